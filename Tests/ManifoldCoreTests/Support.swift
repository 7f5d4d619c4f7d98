import Logging
import ManifoldProtocol
import Synchronization
import Testing
@testable import ManifoldCore

// MARK: Bytes and JSON

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func text<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 { String(decoding: Array(bytes), as: UTF8.self) }

/// Parses a frame; a frame that is not JSON fails the test.
func json<C: Collection>(_ bytes: C, sourceLocation: SourceLocation = #_sourceLocation) -> JSONValue where C.Element == UInt8 {
    do {
        return try JSONValue.parse(bytes)
    } catch {
        Issue.record("not JSON (\(error)): \(text(bytes))", sourceLocation: sourceLocation)
        return .null
    }
}

let testLogger = Logger(label: "manifold.tests")

// MARK: Components

/// A component of `kind` from a listed MCP object (the test fails if it is refused).
func component(_ kind: ComponentKind, _ listed: JSONObject, tags: [String] = []) -> Component {
    var listed = listed
    if !tags.isEmpty { listed["tags"] = .array(tags.map(JSONValue.string)) }
    do {
        return try Component(kind: kind, listed: listed)
    } catch {
        Issue.record("component refused: \(error)")
        fatalError("\(error)")
    }
}

func tool(_ name: String, tags: [String] = [], description: String? = nil) -> Component {
    var listed: JSONObject = ["name": .string(name)]
    if let description { listed["description"] = .string(description) }
    return component(.tool, listed, tags: tags)
}

func resource(_ uri: String, tags: [String] = []) -> Component {
    component(.resource, ["uri": .string(uri), "name": .string(uri)], tags: tags)
}

func template(_ uriTemplate: String, tags: [String] = []) -> Component {
    component(.resourceTemplate, ["uriTemplate": .string(uriTemplate), "name": .string(uriTemplate)], tags: tags)
}

func prompt(_ name: String, arguments: [(String, Bool)] = [], tags: [String] = []) -> Component {
    let args: [JSONValue] = arguments.map { ["name": .string($0.0), "required": .bool($0.1)] }
    return component(.prompt, ["name": .string(name), "arguments": .array(args)], tags: tags)
}

// MARK: A provider under the test's control

/// A provider whose catalog the test sets, which records every request it gets, answers at once
/// with a scripted outcome or holds the call until the test finishes it, and lets the test act
/// through each call's `CallContext` (progress, logs, client requests) and notify observers.
final class FakeProvider: Provider {
    /// One request the provider received.
    struct Invocation: Sendable {
        var kind: ProviderRequest.Kind
        var name: String
        var input: String
        var context: any CallContext
        var completion: @Sendable (CallOutcome) -> Void
    }

    /// What the provider does with a request.
    enum Behavior: Sendable {
        /// Completes at once with this outcome.
        case answer(CallOutcome)
        /// Completes at once with the outcome this closure returns (it may use the context first).
        case script(@Sendable (ProviderRequest, any CallContext) -> CallOutcome)
        /// Keeps the call in flight until `finish(_:with:)`.
        case hold
    }

    let displayName: String
    private struct State {
        var catalog: Catalog
        var health: ProviderHealth = .ready
        var behavior: Behavior = .answer(.result(Array(#"{"content":[{"type":"text","text":"ok"}]}"#.utf8)))
        var invocations: [Invocation] = []
        var subscriptions: [String] = []
        var unsubscriptions: [String] = []
    }
    private let state: Mutex<State>
    private let observers = ObserverList()

    init(_ name: String = "fake", catalog: Catalog = .empty) {
        displayName = "provider '\(name)'"
        state = Mutex(State(catalog: catalog))
    }

    var behavior: Behavior {
        get { state.withLock { $0.behavior } }
        set { state.withLock { $0.behavior = newValue } }
    }

    var invocations: [Invocation] { state.withLock { $0.invocations } }
    var subscriptions: [String] { state.withLock { $0.subscriptions } }
    var unsubscriptions: [String] { state.withLock { $0.unsubscriptions } }

    /// Replaces the catalog; `notify` tells observers (as a plugin's list_changed would).
    func setCatalog(_ catalog: Catalog, notify: Bool = true) {
        state.withLock { $0.catalog = catalog }
        if notify { observers.catalogChanged(self) }
    }

    func setHealth(_ health: ProviderHealth, notify: Bool = true) {
        state.withLock { $0.health = health }
        if notify { observers.catalogChanged(self) }
    }

    /// Announces that one of the provider's resources (its own URI) changed.
    func updateResource(_ uri: String) { observers.resourceUpdated(self, uri: uri) }

    /// Completes the held call number `index` (in order of arrival).
    func finish(_ index: Int, with outcome: CallOutcome) {
        let call = state.withLock { $0.invocations[index] }
        call.completion(outcome)
    }

    // MARK: Provider

    func catalog() -> Catalog { state.withLock { $0.catalog } }
    var health: ProviderHealth { state.withLock { $0.health } }
    func addObserver(_ observer: any ProviderObserver) { observers.add(observer) }
    func subscribe(uri: String) { state.withLock { $0.subscriptions.append(uri) } }
    func unsubscribe(uri: String) { state.withLock { $0.unsubscriptions.append(uri) } }

    func invoke(_ request: ProviderRequest, context: any CallContext,
                completion: @escaping @Sendable (CallOutcome) -> Void) {
        let behavior = state.withLock { s in
            s.invocations.append(Invocation(kind: request.kind, name: request.name, input: text(request.input),
                                            context: context, completion: completion))
            return s.behavior
        }
        switch behavior {
        case .answer(let outcome): completion(outcome)
        case .script(let body): completion(body(request, context))
        case .hold: break
        }
    }
}

/// A result with one text block.
func textResult(_ text: String) -> CallOutcome {
    .result(JSONValue.object(["content": [["type": "text", "text": .string(text)]]]).serialized())
}

// MARK: Sinks that record

/// Captures what one incoming message produced: related messages, then the response.
final class RecordingReply: ReplySink {
    private struct State {
        var sent: [[UInt8]] = []
        var responses: [[UInt8]?] = []
    }
    private let state = Mutex(State())

    func send(_ message: [UInt8]) { state.withLock { $0.sent.append(message) } }
    func finish(_ response: [UInt8]?) { state.withLock { $0.responses.append(response) } }

    /// Related messages (progress, logs, server requests), parsed.
    var sent: [JSONValue] { state.withLock { $0.sent }.map { json($0) } }
    var sentText: [String] { state.withLock { $0.sent }.map { text($0) } }
    /// How many times `finish` was called.
    var finishCount: Int { state.withLock { $0.responses.count } }
    var isFinished: Bool { finishCount > 0 }
    /// The response bytes (nil when finished without one, or not finished).
    var responseBytes: [UInt8]? { state.withLock { $0.responses.first ?? nil } }
    var responseText: String? { responseBytes.map { text($0) } }
    /// The response parsed, or nil when there is none.
    var response: JSONValue? { responseBytes.map { json($0) } }
    var result: JSONValue? { response?["result"] }
    var error: JSONValue? { response?["error"] }
    var errorCode: Int? { error?["code"]?.intValue }
    var errorMessage: String? { error?["message"]?.stringValue }
}

/// Captures a session's unsolicited messages (list_changed, resource updates).
final class RecordingOutbound: OutboundSink {
    private let messages = Mutex<[[UInt8]]>([])
    func send(_ message: [UInt8]) { messages.withLock { $0.append(message) } }
    var all: [JSONValue] { messages.withLock { $0 }.map { json($0) } }
    var methods: [String] { all.compactMap { $0["method"]?.stringValue } }
}

/// Waits until `condition` holds, polling, for at most `timeout`. Returns whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while !condition() {
        if clock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return true
}

// MARK: A host around fake providers

/// One composition served by a dispatcher, with helpers to open sessions and send messages.
/// Like a transport, it keeps its sessions alive (views hold their listeners weakly).
final class Harness: Sendable {
    let composition: HostComposition
    let dispatcher: Dispatcher
    private let sessions = Mutex<[Session]>([])

    init(_ tree: CompositionTree, pageSize: Int = 500, identity: ServerIdentity = Harness.identity) throws {
        composition = try HostComposition(tree: tree, pageSize: pageSize, logger: testLogger)
        dispatcher = Dispatcher(identity: identity, logger: testLogger)
    }

    /// One provider mounted under `prefix` (nil: no prefix).
    convenience init(_ provider: FakeProvider, prefix: String? = nil, pageSize: Int = 500) throws {
        try self.init(CompositionTree(name: "test", mounts: [
            Mount(content: .provider(provider), prefix: prefix, label: "mount '\(prefix ?? "-")'"),
        ]), pageSize: pageSize)
    }

    static let identity = ServerIdentity(name: "manifold-test", version: "9.9.9", title: "Manifold Test",
                                         instructions: "Use the tools.")

    /// A session that has not sent `initialize` yet.
    func newSession(filter: TagFilter = .all, outbound: RecordingOutbound = RecordingOutbound()) -> Session {
        let session = Session(id: "s", view: composition.view(filter: filter), outbound: outbound)
        sessions.withLock { $0.append(session) }
        return session
    }

    /// A session past the handshake (`initialize` + `notifications/initialized`).
    func readySession(version: String = "2025-06-18", capabilities: String = "{}", filter: TagFilter = .all,
                      outbound: RecordingOutbound = RecordingOutbound(),
                      sourceLocation: SourceLocation = #_sourceLocation) -> Session {
        let session = newSession(filter: filter, outbound: outbound)
        let reply = send(initialize(version: version, capabilities: capabilities), to: session)
        #expect(reply.result?["protocolVersion"] != nil, "initialize failed: \(reply.responseText ?? "-")",
                sourceLocation: sourceLocation)
        send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, to: session)
        #expect(session.phase == .ready, sourceLocation: sourceLocation)
        return session
    }

    /// Sends one message and returns what it produced so far.
    @discardableResult
    func send(_ message: String, to session: Session) -> RecordingReply {
        let reply = RecordingReply()
        dispatcher.handle(bytes(message), session: session, reply: reply)
        return reply
    }

    /// A request with `params` (JSON text).
    @discardableResult
    func request(_ method: String, _ params: String? = nil, id: String = "1", to session: Session) -> RecordingReply {
        let p = params.map { #","params":"# + $0 } ?? ""
        return send(#"{"jsonrpc":"2.0","id":"# + id + #","method":""# + method + "\"" + p + "}", to: session)
    }
}

func initialize(version: String, capabilities: String = "{}", id: String = "0") -> String {
    #"{"jsonrpc":"2.0","id":"# + id + #","method":"initialize","params":{"protocolVersion":""# + version
        + #"","capabilities":"# + capabilities + #","clientInfo":{"name":"tests","version":"1"}}}"#
}
