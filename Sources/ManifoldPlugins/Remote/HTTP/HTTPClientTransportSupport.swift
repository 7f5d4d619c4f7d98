import Foundation
import ManifoldManifest
import NIOCore
import NIOHTTP1
import NIOPosix
import ManifoldProtocol

/// How an HTTP backend is reached: its URL, the headers the manifest gives, and a bearer token
/// (read from the environment by the assembler; never logged or shown).
public struct HTTPClientConfiguration: Sendable {
    public var url: String
    public var headers: [String: String]
    /// The environment variable holding a bearer token, read when the transport starts (so a
    /// reconnect picks up a rotated token). The token is only ever put in `Authorization`.
    public var bearerTokenEnv: String?
    /// Seconds to establish a TCP connection.
    public var connectTimeout: Double
    /// Keep-alive connections kept open while idle.
    public var maxIdleConnections: Int
    /// Trust and client certificate for an `https://` URL (nil: system trust store, none).
    public var tls: RemoteTLS?

    public init(url: String, headers: [String: String] = [:], bearerTokenEnv: String? = nil,
                connectTimeout: Double = 10, maxIdleConnections: Int = 8, tls: RemoteTLS? = nil) {
        self.url = url
        self.tls = tls
        self.headers = headers
        self.bearerTokenEnv = bearerTokenEnv
        self.connectTimeout = connectTimeout
        self.maxIdleConnections = maxIdleConnections
    }

    /// The headers every request carries: `Host`, the manifest's, `Authorization` (from
    /// `bearerTokenEnv`). Throws when the token's variable is not set.
    func baseHeaders(for target: HTTPTarget) throws(ClientTransportError) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: target.hostHeader)
        headers.add(name: "User-Agent", value: "manifold/0.1")
        for (name, value) in self.headers.sorted(by: { $0.key < $1.key }) { headers.replaceOrAdd(name: name, value: value) }
        if let bearerTokenEnv {
            guard let token = ProcessInfo.processInfo.environment[bearerTokenEnv], !token.isEmpty else {
                throw ClientTransportError("the environment variable \(bearerTokenEnv) (bearerTokenEnv) is not set")
            }
            headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)")
        }
        return headers
    }
}

enum HTTPClientMessages {
    /// A JSON-RPC error response for our own request `id`, made up when the HTTP exchange
    /// carrying it failed in a way the backend could not express itself.
    static func error(for id: Int, _ message: String) -> [UInt8] {
        var w = JSONWriter(capacity: message.utf8.count + 64)
        w.raw("{\"jsonrpc\":\"2.0\",\"id\":")
        w.int(id)
        w.raw(",\"error\":{\"code\":-32603,\"message\":")
        w.string(message)
        w.raw("}}")
        return w.bytes
    }

    /// The messages in a JSON body: one object, or a (legacy) batch array.
    static func split(_ body: [UInt8]) -> [[UInt8]] {
        guard let first = body.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else { return [] }
        guard first == UInt8(ascii: "[") else { return [body] }
        guard let items = (try? JSONValue.parse(body))?.arrayValue else { return [] }
        return items.map { $0.serialized() }
    }

    /// "HTTP 401 Unauthorized: <first line of the body>".
    static func statusText(_ head: HTTPResponseHead, body: [UInt8]) -> String {
        var text = "HTTP \(head.status.code) \(head.status.reasonPhrase)"
        let snippet = String(decoding: body.prefix(300), as: UTF8.self)
            .split(whereSeparator: \.isNewline).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        if !snippet.isEmpty { text += ": " + snippet }
        return text
    }

    static func isEventStream(_ head: HTTPResponseHead) -> Bool {
        head.headers.first(name: "content-type")?.lowercased().hasPrefix("text/event-stream") == true
    }
}

/// The response to one POST, as it arrives: a JSON body (collected, then delivered), an SSE
/// stream (each event delivered as it completes), 202 Accepted (nothing), or an HTTP error
/// (delivered as a JSON-RPC error for the request, if it was one). Confined to the
/// connection's event loop.
final class HTTPMessageResponse: @unchecked Sendable {
    enum Body {
        case none
        case json
        case events
        case error
    }

    let requestID: Int?
    private var mode = Body.none
    private var head: HTTPResponseHead?
    private var buffer: [UInt8] = []
    private var parser = SSEParser()
    /// Whether an event that is not a request or notification (no `"method"`) came: the answer.
    private var answered = false
    private let deliver: @Sendable ([UInt8], Int?) -> Void

    init(requestID: Int?, deliver: @escaping @Sendable ([UInt8], Int?) -> Void) {
        self.requestID = requestID
        self.deliver = deliver
    }

    func onHead(_ head: HTTPResponseHead) {
        self.head = head
        switch head.status.code {
        case 200..<300 where head.status.code != 202 && head.status.code != 204:
            mode = HTTPClientMessages.isEventStream(head) ? .events : .json
        case 200..<300:
            mode = .none
        default:
            mode = .error
        }
    }

    func onBody(_ chunk: ByteBuffer) {
        switch mode {
        case .json:
            buffer.append(contentsOf: chunk.readableBytesView)
        case .events:
            for event in parser.feed(chunk.readableBytesView) where event.event == nil || event.event == "message" {
                guard !event.data.isEmpty else { continue }
                if !answered && !Self.contains(event.data, Self.methodKey) { answered = true }
                deliver(event.data, requestID)
            }
        case .error:
            if buffer.count < 4096 { buffer.append(contentsOf: chunk.readableBytesView.prefix(4096 - buffer.count)) }
        case .none:
            break
        }
    }

    /// The exchange completed. A request that got no answer (an SSE stream that ended first,
    /// an HTTP error) is answered with an error, so the caller never waits for nothing (should
    /// the answer have come after all, the connection ignores the duplicate).
    func onComplete() {
        switch mode {
        case .json:
            for message in HTTPClientMessages.split(buffer) { deliver(message, requestID) }
            buffer = []
        case .events:
            if let requestID, !answered {
                deliver(HTTPClientMessages.error(for: requestID, "the server closed the response stream without answering"), requestID)
            }
        case .error:
            if let requestID, let head {
                deliver(HTTPClientMessages.error(for: requestID, HTTPClientMessages.statusText(head, body: buffer)), requestID)
            }
        case .none:
            break
        }
    }

    var status: HTTPResponseStatus? { head?.status }

    private static let methodKey = Array("\"method\"".utf8)

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        let first = needle[0]
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
