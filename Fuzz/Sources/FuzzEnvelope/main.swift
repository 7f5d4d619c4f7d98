import Logging
import ManifoldCore
import ManifoldProtocol

/// libFuzzer target: one JSON-RPC message (or batch) as the transports receive it.
///
/// Each input goes through `RPCEnvelope.parse`, `RequestParams` (when it is a request) and then
/// the whole `Dispatcher.handle` — lifecycle gate, method handlers, routing into a small
/// in-memory composition (a tool, a resource, a template, a prompt) that answers at once. The
/// first byte picks the session's state: an initialized session (most methods reachable) or a
/// new one (the lifecycle gate). Any trap, crash or sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let fresh = data[0] & 1 == 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if case .success(let envelope) = RPCEnvelope.parse(bytes), envelope.kind == .request {
        _ = try? RequestParams(envelope)
    }
    let session = Session(id: "fuzz", view: EnvelopeFixture.shared.view, outbound: EnvelopeFixture.Discard(),
                          preinitialized: fresh ? nil : .latest)
    let reply = EnvelopeFixture.Reply()
    EnvelopeFixture.shared.dispatcher.handle(bytes, session: session, reply: reply)
    session.close()
    return 0
}

/// The composition every input is dispatched into (built once).
final class EnvelopeFixture: Sendable {
    static let shared = EnvelopeFixture()

    let dispatcher: Dispatcher
    let view: LiveView
    let composition: HostComposition

    init() {
        let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
        let tree = CompositionTree(name: "fuzz", mounts: [
            Mount(content: .provider(InstantProvider()), prefix: "a", label: "mount 'a'"),
            Mount(content: .provider(InstantProvider()), label: "mount 'b'"),
        ])
        composition = try! HostComposition(tree: tree, pageSize: 2, logger: logger)
        view = composition.view(filter: .all)
        dispatcher = Dispatcher(identity: ServerIdentity(name: "fuzz", version: "1"), logger: logger)
    }

    final class Discard: OutboundSink {
        func send(_ message: [UInt8]) {}
    }

    final class Reply: ReplySink {
        func send(_ message: [UInt8]) {}
        func finish(_ response: [UInt8]?) {}
    }
}

/// Tools `echo` (returns its arguments as text) and `fail`, a resource, a template and a prompt;
/// every call completes on the calling thread.
final class InstantProvider: Provider {
    let displayName = "provider 'instant'"
    var health: ProviderHealth { .ready }

    func catalog() -> Catalog {
        func component(_ kind: ComponentKind, _ fields: JSONObject) -> Component {
            try! Component(kind: kind, listed: fields)
        }
        let schema: JSONValue = ["type": "object", "properties": ["text": ["type": "string"]], "required": ["text"]]
        return Catalog(
            tools: [component(.tool, ["name": "echo", "inputSchema": schema, "tags": ["public"]]),
                    component(.tool, ["name": "fail", "inputSchema": ["type": "object"], "tags": ["admin"]])],
            resources: [component(.resource, ["uri": "fuzz://doc", "name": "doc"])],
            resourceTemplates: [component(.resourceTemplate, ["uriTemplate": "fuzz://items/{id}", "name": "item"])],
            prompts: [component(.prompt, ["name": "greet", "arguments": [["name": "who", "required": true]]])])
    }

    func addObserver(_ observer: any ProviderObserver) {}

    func invoke(_ request: ProviderRequest, context: any CallContext, completion: @escaping @Sendable (CallOutcome) -> Void) {
        switch request.kind {
        case .callTool:
            if request.name == "fail" {
                completion(.failure(RPCError(code: .internalError, message: "failed")))
                return
            }
            var w = JSONWriter()
            w.raw(#"{"content":[{"type":"text","text":"#)
            w.string(String(decoding: request.input, as: UTF8.self))
            w.raw("}]}")
            completion(.result(w.bytes))
        case .readResource:
            completion(.result(Array(#"{"contents":[{"uri":"fuzz://doc","text":"doc"}]}"#.utf8)))
        case .getPrompt:
            completion(.result(Array(#"{"messages":[{"role":"user","content":{"type":"text","text":"hi"}}]}"#.utf8)))
        case .complete:
            completion(.result(Array(#"{"completion":{"values":["a","b"]}}"#.utf8)))
        }
    }
}
