import Logging
import ManifoldCore
import ManifoldProtocol
import NIOCore
import NIOEmbedded
import Synchronization
import Testing
@testable import ManifoldServer

let testLogger = Logger(label: "manifold.http.tests")

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
func text<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 { String(decoding: Array(bytes), as: UTF8.self) }

func json(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONValue {
    do {
        return try JSONValue.parse(text)
    } catch {
        Issue.record("not JSON (\(error)): \(text)", sourceLocation: sourceLocation)
        return .null
    }
}

// MARK: A provider under the test's control

/// Tools: `echo` (answers at once), `chatty` (progress and a log, then the result), `slow`
/// (held until the test calls `release`), `stepwise` (progress, then held; `release` reports
/// more progress and completes). One resource `test://doc`.
final class TestProvider: Provider {
    let displayName = "provider 'test'"
    private let held = Mutex<[(context: (any CallContext)?, completion: @Sendable (CallOutcome) -> Void)]>([])
    private let observers = Mutex<[any ProviderObserver]>([])
    let healthState = Mutex<ProviderHealth>(.ready)

    func catalog() -> Catalog {
        func tool(_ name: String) -> Component {
            try! Component(kind: .tool, listed: ["name": .string(name), "description": .string("the \(name) tool")])
        }
        let doc = try! Component(kind: .resource, listed: ["uri": "test://doc", "name": "doc"])
        return Catalog(tools: [tool("echo"), tool("chatty"), tool("slow"), tool("stepwise")], resources: [doc])
    }

    var health: ProviderHealth { healthState.withLock { $0 } }

    func addObserver(_ observer: any ProviderObserver) {
        observers.withLock { $0.append(observer) }
    }

    func changeCatalog() {
        for observer in observers.withLock({ $0 }) { observer.providerCatalogChanged(self) }
    }

    func invoke(_ request: ProviderRequest, context: any CallContext, completion: @escaping @Sendable (CallOutcome) -> Void) {
        switch request.name {
        case "chatty":
            context.progress(1, total: 2, message: "halfway")
            context.log(.info, logger: "test", data: bytes("\"working\""))
            completion(Self.result("done"))
        case "slow":
            held.withLock { $0.append((nil, completion)) }
        case "stepwise":
            context.progress(1, total: 3, message: "one")
            held.withLock { $0.append((context, completion)) }
        case "test://doc":
            completion(.result(bytes(#"{"contents":[{"uri":"test://doc","text":"hello"}]}"#)))
        default:
            completion(Self.result("echo \(text(request.input))"))
        }
    }

    /// Completes the held `slow` calls.
    func release(_ text: String = "slow done") {
        let calls = held.withLock { calls in
            let all = calls
            calls = []
            return all
        }
        for call in calls {
            call.context?.progress(2, total: 3, message: "two")
            call.completion(Self.result(text))
        }
    }

    var heldCount: Int { held.withLock { $0.count } }

    static func result(_ text: String) -> CallOutcome {
        .result(JSONValue.object(["content": [["type": "text", "text": .string(text)]]]).serialized())
    }
}

// MARK: Responses as the client reads them

/// One HTTP response parsed from the bytes the pipeline wrote.
struct RawResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    /// The whole body arrived (Content-Length reached, or the last chunk).
    var complete: Bool

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var bodyText: String { text(body) }
    var bodyJSON: JSONValue { json(bodyText) }

    /// SSE events of the body: each one's fields (`id`, `event`, `data`, `retry`) and whether it
    /// was a comment-only block.
    var events: [[String: String]] {
        var result: [[String: String]] = []
        for block in bodyText.split(separator: "\n\n", omittingEmptySubsequences: true) {
            var fields: [String: String] = [:]
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix(":") {
                    fields["comment", default: ""] += String(line.dropFirst())
                    continue
                }
                let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                let value = parts.count > 1 ? String(parts[1].drop { $0 == " " }) : ""
                fields[String(parts[0])] = fields[String(parts[0])].map { $0 + "\n" + value } ?? value
            }
            result.append(fields)
        }
        return result
    }

    /// The JSON-RPC messages of the SSE events (`message` events with data).
    var messages: [JSONValue] {
        events.filter { ($0["event"] ?? "message") == "message" }.compactMap { $0["data"] }.filter { !$0.isEmpty }
            .map { json($0) }
    }
}

/// Splits a byte stream into HTTP responses (Content-Length or chunked bodies; a response
/// without either ends with the stream).
func parseResponses(_ data: [UInt8]) -> [RawResponse] {
    var responses: [RawResponse] = []
    var rest = data[...]
    while !rest.isEmpty {
        guard let headEnd = rest.firstRange(of: bytes("\r\n\r\n")) else { break }
        let headLines = text(rest[rest.startIndex..<headEnd.lowerBound]).components(separatedBy: "\r\n")
        rest = rest[headEnd.upperBound...]
        let statusParts = headLines[0].split(separator: " ")
        let status = Int(statusParts[1]) ?? 0
        var headers: [(String, String)] = []
        for line in headLines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: " ")))
        }
        var response = RawResponse(status: status, headers: headers, body: [], complete: false)
        if status < 200 {
            response.complete = true
            responses.append(response)
            continue
        }
        if let length = response.header("content-length").flatMap(Int.init) {
            let available = min(length, rest.count)
            response.body = Array(rest.prefix(available))
            response.complete = available == length
            rest = rest.dropFirst(available)
        } else if response.header("transfer-encoding")?.lowercased() == "chunked" {
            while true {
                guard let lineEnd = rest.firstRange(of: bytes("\r\n")),
                    let size = Int(text(rest[rest.startIndex..<lineEnd.lowerBound]), radix: 16)
                else { break }
                let chunkStart = lineEnd.upperBound
                if size == 0 {
                    response.complete = true
                    rest = rest[min(rest.endIndex, chunkStart + 2)...]
                    break
                }
                guard rest.endIndex >= chunkStart + size + 2 else { break }
                response.body += rest[chunkStart..<(chunkStart + size)]
                rest = rest[(chunkStart + size + 2)...]
            }
        } else if status == 204 || status == 304 {
            response.complete = true
        } else {
            response.body = Array(rest)
            rest = rest[rest.endIndex...]
        }
        responses.append(response)
    }
    return responses
}

extension String {
    func components(separatedBy separator: String) -> [String] {
        var parts: [String] = []
        var rest = self[...]
        while let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }

    func trimmingCharacters(in set: String) -> String {
        var s = self[...]
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

// MARK: One connection through the real pipeline

/// A connection to an endpoint's pipeline on an `EmbeddedChannel`: raw request bytes in, raw
/// response bytes out, no sockets and no sleeps (time advances by hand).
final class HTTPHarness {
    let provider: TestProvider
    let composition: HostComposition
    let state: MCPEndpointState
    let policy: OriginPolicy
    let unhealthy: @Sendable () -> [(label: String, health: ProviderHealth)]
    private(set) var channels: [EmbeddedChannel] = []
    private var received: [ObjectIdentifier: [UInt8]] = [:]

    init(stateless: Bool = false, provider: TestProvider = TestProvider(),
         configure: (inout HTTPEndpointConfiguration) -> Void = { _ in }) throws {
        self.provider = provider
        let tree = CompositionTree(name: "test", mounts: [Mount(content: .provider(provider), label: "mount 'test'")])
        composition = try HostComposition(tree: tree, logger: testLogger)
        var configuration = HTTPEndpointConfiguration(host: "127.0.0.1", port: 0, path: "/mcp", stateless: stateless)
        configuration.sseHeartbeat = .zero
        configure(&configuration)
        let dispatcher = Dispatcher(identity: ServerIdentity(name: "test-host", version: "1.0.0"), logger: testLogger)
        state = MCPEndpointState(dispatcher: dispatcher, view: composition.view(filter: .all),
                                 configuration: configuration, logger: testLogger)
        policy = OriginPolicy(bindHost: configuration.host, allowedHosts: configuration.allowedHosts,
                              allowedOrigins: configuration.allowedOrigins)
        let composition = self.composition
        unhealthy = { composition.surface.unhealthy }
    }

    /// A new client connection (connected, so channelActive has fired).
    func connect() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try HTTPEndpoint.installPipeline(on: channel, state: state, policy: policy, unhealthy: unhealthy,
                                         authenticator: PassThroughAuthenticator())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        channels.append(channel)
        return channel
    }

    lazy var main: EmbeddedChannel = try! connect()

    /// Errors the pipeline raised (e.g. the decoder's complaint when the server closed a
    /// connection in the middle of a request).
    private(set) var pipelineErrors: [any Error] = []

    /// Writes raw bytes as the client.
    func write(_ raw: String, on channel: EmbeddedChannel? = nil) throws {
        let channel = channel ?? main
        var buffer = channel.allocator.buffer(capacity: raw.utf8.count)
        buffer.writeString(raw)
        do {
            try channel.writeInbound(buffer)
        } catch {
            pipelineErrors.append(error)
        }
    }

    /// Every response written on the connection so far (the last one possibly incomplete),
    /// after running whatever the event loop has queued.
    func responses(on channel: EmbeddedChannel? = nil) throws -> [RawResponse] {
        let channel = channel ?? main
        channel.embeddedEventLoop.run()
        let key = ObjectIdentifier(channel)
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            received[key, default: []] += Array(buffer.readableBytesView)
        }
        return parseResponses(received[key] ?? [])
    }

    /// The raw text written on the connection so far.
    func rawOutput(on channel: EmbeddedChannel? = nil) throws -> String {
        _ = try responses(on: channel)
        return text(received[ObjectIdentifier(channel ?? main)] ?? [])
    }

    /// Sends one request and returns the newest response it produced.
    @discardableResult
    func request(_ method: String = "POST", path: String = "/mcp", headers: [(String, String)] = [],
                 body: String? = nil, on channel: EmbeddedChannel? = nil,
                 defaultHeaders: Bool = true, expectResponse: Bool = true,
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> RawResponse {
        let channel = channel ?? main
        let before = try responses(on: channel).count
        var lines = ["\(method) \(path) HTTP/1.1"]
        var all = headers
        if defaultHeaders {
            if !all.contains(where: { $0.0.lowercased() == "host" }) { all.insert(("Host", "127.0.0.1:8080"), at: 0) }
            if body != nil && !all.contains(where: { $0.0.lowercased() == "content-type" }) {
                all.append(("Content-Type", "application/json"))
            }
            if !all.contains(where: { $0.0.lowercased() == "accept" }) {
                all.append(("Accept", "application/json, text/event-stream"))
            }
        }
        if let body { all.append(("Content-Length", String(body.utf8.count))) }
        for (name, value) in all { lines.append("\(name): \(value)") }
        try write(lines.joined(separator: "\r\n") + "\r\n\r\n" + (body ?? ""), on: channel)
        let after = try responses(on: channel)
        guard after.count > before else {
            if expectResponse { Issue.record("no response to \(method) \(path)", sourceLocation: sourceLocation) }
            return RawResponse(status: 0, headers: [], body: [], complete: false)
        }
        return after[after.count - 1]
    }

    /// The newest response on the connection (e.g. an SSE stream that grew).
    func latest(on channel: EmbeddedChannel? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> RawResponse {
        guard let last = try responses(on: channel).last else {
            Issue.record("no response on the connection", sourceLocation: sourceLocation)
            return RawResponse(status: 0, headers: [], body: [], complete: false)
        }
        return last
    }

    // MARK: MCP helpers

    func initialize(version: String = "2025-11-25", capabilities: String = "{}", on channel: EmbeddedChannel? = nil)
        throws -> (sessionID: String?, response: RawResponse)
    {
        let response = try request(body: """
            {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"\(version)","capabilities":\(capabilities),"clientInfo":{"name":"t","version":"1"}}}
            """, on: channel)
        let sessionID = response.header("mcp-session-id")
        if let sessionID {
            try request(headers: [("Mcp-Session-Id", sessionID)],
                        body: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, on: channel)
        }
        return (sessionID, response)
    }

    func call(_ tool: String, id: Int = 2, session: String?, progressToken: String? = nil,
              headers: [(String, String)] = [], on channel: EmbeddedChannel? = nil,
              expectResponse: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) throws -> RawResponse {
        var all = headers
        if let session { all.append(("Mcp-Session-Id", session)) }
        let meta = progressToken.map { #","_meta":{"progressToken":"\#($0)"}"# } ?? ""
        return try request(headers: all, body: """
            {"jsonrpc":"2.0","id":\(id),"method":"tools/call","params":{"name":"\(tool)","arguments":{}\(meta)}}
            """, on: channel, expectResponse: expectResponse, sourceLocation: sourceLocation)
    }
}
