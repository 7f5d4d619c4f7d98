import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A backend reached over the legacy HTTP+SSE transport (MCP 2024-11-05), on SwiftNIO directly:
/// a GET of the SSE URL opens the stream; its first `endpoint` event names the URL to POST
/// messages to; every response and server message then arrives on the stream, as `message`
/// events. Messages sent before the endpoint is known wait for it. The stream ending, or a
/// connection failing, closes the transport with the reason.
public final class LegacySSEClientTransport: ClientTransport {
    public let configuration: HTTPClientConfiguration
    private let group: any EventLoopGroup

    private struct State {
        var closed = false
        var streamPool: HTTPConnectionPool?
        var postPool: HTTPConnectionPool?
        var postTarget: HTTPTarget?
        var waiting: [([UInt8], Int?)] = []
        var postHeaders = HTTPHeaders()
        var streamHeaders = HTTPHeaders()
        var onMessage: (@Sendable ([UInt8], Int?) -> Void)?
        var onClose: (@Sendable (String) -> Void)?
    }
    private let state = Mutex(State())

    public init(configuration: HTTPClientConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = group
    }

    public func start(onMessage: @escaping @Sendable ([UInt8], Int?) -> Void,
                      onClose: @escaping @Sendable (String) -> Void) throws {
        let target = try HTTPTarget(url: configuration.url)
        let pool = try HTTPConnectionPool(target: target, tls: configuration.tls, group: group,
                                          connectTimeout: configuration.connectTimeout, maxIdle: 0)
        state.withLock { s in
            s.streamPool = pool
            s.onMessage = onMessage
            s.onClose = onClose
        }
        var headers = try configuration.baseHeaders(for: target)
        headers.add(name: "Accept", value: "text/event-stream")
        headers.add(name: "Cache-Control", value: "no-cache")
        state.withLock { $0.streamHeaders = headers }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.requestTarget, headers: headers)
        let stream = Stream()
        pool.execute(HTTPExchange(
            head: head, body: nil,
            onHead: { [weak self] head in
                stream.head = head
                if head.status != .ok || !HTTPClientMessages.isEventStream(head) {
                    self?.fail("GET \(target) answered \(HTTPClientMessages.statusText(head, body: []))"
                        + (head.status == .ok ? " (not an event stream)" : ""))
                }
            },
            onBody: { [weak self] chunk in
                guard let self, stream.head?.status == .ok else { return }
                for event in stream.parser.feed(chunk.readableBytesView) {
                    switch event.event {
                    case "endpoint":
                        self.endpoint(String(decoding: event.data, as: UTF8.self), base: target)
                    case nil, "message":
                        if !event.data.isEmpty { onMessage(event.data, nil) }
                    default:
                        break
                    }
                }
            },
            onEnd: { [weak self] end in
                switch end {
                case .complete: self?.fail("the SSE stream \(target) ended")
                case .failed(let reason, _): self?.fail(reason)
                }
            }), dedicated: true)
    }

    private final class Stream: @unchecked Sendable {
        var head: HTTPResponseHead?
        var parser = SSEParser()
    }

    /// The `endpoint` event: where to POST; sends what was waiting for it.
    private func endpoint(_ reference: String, base: HTTPTarget) {
        let resolved: HTTPTarget
        let postPool: HTTPConnectionPool
        do {
            resolved = try base.resolving(reference)
            // The POSTs carry the same headers (a bearer token) as the stream: never in clear text
            // when the stream was encrypted.
            if base.secure && !resolved.secure {
                throw ClientTransportError("\(resolved) is plain http, the stream is https")
            }
            postPool = try HTTPConnectionPool(target: resolved, tls: configuration.tls, group: group,
                                              connectTimeout: configuration.connectTimeout,
                                              maxIdle: configuration.maxIdleConnections)
        } catch {
            fail("the SSE stream named an unusable endpoint: \(error)")
            return
        }
        let waiting = state.withLock { s -> [([UInt8], Int?)] in
            guard !s.closed, s.postTarget == nil else { return [] }
            s.postTarget = resolved
            s.postPool = postPool
            // The stream's headers (manifest headers, Authorization) with the POST target's Host.
            var headers = s.streamHeaders
            headers.replaceOrAdd(name: "Host", value: resolved.hostHeader)
            headers.remove(name: "Accept")
            headers.remove(name: "Cache-Control")
            headers.add(name: "Content-Type", value: "application/json")
            s.postHeaders = headers
            defer { s.waiting = [] }
            return s.waiting
        }
        for (message, id) in waiting { post(message, requestID: id) }
    }

    public func send(_ message: [UInt8], requestID: Int?) {
        let ready = state.withLock { s -> Bool in
            guard !s.closed else { return false }
            if s.postTarget == nil {
                s.waiting.append((message, requestID))
                return false
            }
            return true
        }
        if ready { post(message, requestID: requestID) }
    }

    private func post(_ message: [UInt8], requestID: Int?) {
        guard let (pool, target, headers, deliver) = state.withLock({ s -> (HTTPConnectionPool, HTTPTarget, HTTPHeaders, @Sendable ([UInt8], Int?) -> Void)? in
            guard !s.closed, let pool = s.postPool, let target = s.postTarget, let onMessage = s.onMessage else { return nil }
            return (pool, target, s.postHeaders, onMessage)
        }) else { return }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target.requestTarget, headers: headers)
        head.headers.add(name: "Content-Length", value: String(message.count))
        // The answer comes on the stream; the POST's own response only matters when it is an error.
        let response = PostResponse()
        pool.execute(HTTPExchange(
            head: head, body: message,
            onHead: { response.head = $0 },
            onBody: { chunk in
                if response.head.map({ $0.status.code >= 400 }) == true, response.body.count < 4096 {
                    response.body.append(contentsOf: chunk.readableBytesView.prefix(4096 - response.body.count))
                }
            },
            onEnd: { [weak self] end in
                switch end {
                case .complete:
                    guard let head = response.head, head.status.code >= 400 else { return }
                    if head.status == .notFound {
                        self?.fail("the server ended the session (POST answered HTTP 404)")
                    } else if let requestID {
                        deliver(HTTPClientMessages.error(for: requestID, HTTPClientMessages.statusText(head, body: response.body)), requestID)
                    }
                case .failed(let reason, _):
                    self?.fail(reason)
                }
            }))
    }

    private final class PostResponse: @unchecked Sendable {
        var head: HTTPResponseHead?
        var body: [UInt8] = []
    }

    private func fail(_ reason: String) {
        guard let (pools, onClose) = state.withLock({ s -> ([HTTPConnectionPool], (@Sendable (String) -> Void)?)? in
            guard !s.closed else { return nil }
            s.closed = true
            return ([s.streamPool, s.postPool].compactMap { $0 }, s.onClose)
        }) else { return }
        for pool in pools { pool.close() }
        onClose?(reason)
    }

    public func close() { fail("closed") }
}
