import Dispatch
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A backend reached over Streamable HTTP (MCP 2025-03-26 and later), on SwiftNIO directly.
///
/// - Every message is POSTed to the endpoint with `Accept: application/json, text/event-stream`.
///   The answer is a JSON body, or an SSE stream carrying the request's progress, logs and
///   server→client requests before its response (delivered with the request's id, so the
///   provider routes them to the client request that caused them), or 202 for notifications
///   and responses.
/// - `Mcp-Session-Id` from the initialize response is sent on every later request, and so is
///   `MCP-Protocol-Version` once negotiated; then a GET stream is opened for messages the server
///   sends on its own (list_changed, resource updates); 405 means the server has none.
/// - Connections are kept alive in a small pool (`HTTPConnectionPool`); request headers are
///   built once per session, not per call.
/// - A connection failure, or 404 for our session (it ended), closes the transport with the
///   reason, and the provider reconnects with backoff. `close()` ends the session with DELETE.
/// - `https://` URLs are reached over TLS (`ClientTLS`: the system's trust store, or the mount's
///   `tls.caFile`, and a client certificate when the mount gives one).
public final class StreamableHTTPClientTransport: ClientTransport {
    public let configuration: HTTPClientConfiguration
    private let group: any EventLoopGroup

    private struct State {
        var target: HTTPTarget?
        /// Host, manifest headers, Authorization: resolved once, at start.
        var base = HTTPHeaders()
        var pool: HTTPConnectionPool?
        var onMessage: (@Sendable ([UInt8], Int?) -> Void)?
        var onClose: (@Sendable (String) -> Void)?
        var closed = false
        var sessionID: String?
        var protocolVersion: String?
        /// The headers of every POST (content type, accept, session, version): rebuilt when the
        /// session or version is learned, copied per request.
        var postHeaders = HTTPHeaders()
        var streamHeaders = HTTPHeaders()
        var getStreamWanted = false
        var lastEventID: String?
    }
    private let state = Mutex(State())

    public init(configuration: HTTPClientConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = group
    }

    public func start(onMessage: @escaping @Sendable ([UInt8], Int?) -> Void,
                      onClose: @escaping @Sendable (String) -> Void) throws {
        let target = try HTTPTarget(url: configuration.url)
        let base = try configuration.baseHeaders(for: target)
        let pool = try HTTPConnectionPool(target: target, tls: configuration.tls, group: group, connectTimeout: configuration.connectTimeout,
                                      maxIdle: configuration.maxIdleConnections)
        state.withLock { s in
            s.target = target
            s.base = base
            s.pool = pool
            s.onMessage = onMessage
            s.onClose = onClose
            rebuildHeaders(&s)
        }
    }

    private func rebuildHeaders(_ s: inout State) {
        var base = s.base
        if let sessionID = s.sessionID { base.replaceOrAdd(name: "Mcp-Session-Id", value: sessionID) }
        if let version = s.protocolVersion { base.replaceOrAdd(name: "MCP-Protocol-Version", value: version) }
        var post = base
        post.add(name: "Content-Type", value: "application/json")
        post.add(name: "Accept", value: "application/json, text/event-stream")
        s.postHeaders = post
        var stream = base
        stream.add(name: "Accept", value: "text/event-stream")
        s.streamHeaders = stream
    }

    public func send(_ message: [UInt8], requestID: Int?) {
        guard let (pool, target, headers, deliver, learning) = state.withLock({ s -> (HTTPConnectionPool, HTTPTarget, HTTPHeaders, @Sendable ([UInt8], Int?) -> Void, Bool)? in
            guard !s.closed, let pool = s.pool, let target = s.target, let onMessage = s.onMessage else { return nil }
            return (pool, target, s.postHeaders, onMessage, s.sessionID == nil)
        }) else { return }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target.requestTarget, headers: headers)
        head.headers.add(name: "Content-Length", value: String(message.count))
        let response = HTTPMessageResponse(requestID: requestID, deliver: deliver)
        pool.execute(HTTPExchange(
            head: head, body: message,
            onHead: { [weak self] head in
                if learning { self?.learnSession(from: head) }
                response.onHead(head)
            },
            onBody: { response.onBody($0) },
            onEnd: { [weak self] end in
                guard let self else { return }
                switch end {
                case .complete:
                    if response.status == .notFound, self.hasSession {
                        self.fail("the server ended the session (HTTP 404)")
                        return
                    }
                    response.onComplete()
                case .failed(let reason, _):
                    self.fail(reason)
                }
            }))
    }

    private var hasSession: Bool { state.withLock { $0.sessionID != nil } }

    /// Takes the session id from the first response that carries one (initialize's).
    private func learnSession(from head: HTTPResponseHead) {
        guard let id = head.headers.first(name: "mcp-session-id"), !id.isEmpty else { return }
        state.withLock { s in
            guard s.sessionID == nil else { return }
            s.sessionID = id
            rebuildHeaders(&s)
        }
    }

    public func negotiated(protocolVersion: String) {
        state.withLock { s in
            s.protocolVersion = protocolVersion
            s.getStreamWanted = true
            rebuildHeaders(&s)
        }
        openGetStream(attempt: 0)
    }

    // MARK: The GET stream

    /// Opens the stream of messages the server sends on its own. A server without one answers
    /// 405; a stream that ends is reopened (with `Last-Event-ID`), a few times in a row at most;
    /// one that cannot connect any more closes the transport (the server is gone).
    private func openGetStream(attempt: Int) {
        guard let (pool, target, headers, deliver) = state.withLock({ s -> (HTTPConnectionPool, HTTPTarget, HTTPHeaders, @Sendable ([UInt8], Int?) -> Void)? in
            guard !s.closed, s.getStreamWanted, let pool = s.pool, let target = s.target, let onMessage = s.onMessage else { return nil }
            var headers = s.streamHeaders
            if let last = s.lastEventID { headers.add(name: "Last-Event-ID", value: last) }
            return (pool, target, headers, onMessage)
        }) else { return }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.requestTarget, headers: headers)
        let stream = GetStream()
        pool.execute(HTTPExchange(
            head: head, body: nil,
            onHead: { head in stream.head = head },
            onBody: { [weak self] chunk in
                guard stream.head?.status == .ok, HTTPClientMessages.isEventStream(stream.head!) else { return }
                for event in stream.parser.feed(chunk.readableBytesView) {
                    if let id = event.id { self?.state.withLock { $0.lastEventID = id } }
                    if (event.event == nil || event.event == "message") && !event.data.isEmpty { deliver(event.data, nil) }
                }
                stream.delivered = true
            },
            onEnd: { [weak self] end in
                guard let self else { return }
                switch end {
                case .complete:
                    guard let head = stream.head, head.status == .ok else {
                        if stream.head?.status == .notFound, self.hasSession { self.fail("the server ended the session (HTTP 404)") }
                        return  // 405: no stream offered; other answers: none wanted
                    }
                    self.reopenGetStream(attempt: stream.delivered ? 0 : attempt + 1)
                case .failed(let reason, let afterHead):
                    if afterHead { self.reopenGetStream(attempt: attempt + 1) } else { self.fail(reason) }
                }
            }), dedicated: true)
    }

    private func reopenGetStream(attempt: Int) {
        guard attempt < 5 else { return }
        let delay = attempt == 0 ? 0.05 : 0.25 * Double(attempt)
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in self?.openGetStream(attempt: attempt) }
    }

    private final class GetStream: @unchecked Sendable {
        var head: HTTPResponseHead?
        var parser = SSEParser()
        var delivered = false
    }

    // MARK: Ending

    /// Ends the transport for a reason (connection lost, session ended): once.
    private func fail(_ reason: String) {
        guard let (pool, onClose) = state.withLock({ s -> (HTTPConnectionPool?, (@Sendable (String) -> Void)?)? in
            guard !s.closed else { return nil }
            s.closed = true
            return (s.pool, s.onClose)
        }) else { return }
        pool?.close()
        onClose?(reason)
    }

    /// Ends the session (DELETE, best effort, answered or not within a second) and the transport.
    public func close() {
        guard let (pool, target, headers, session, onClose) = state.withLock({ s -> (HTTPConnectionPool?, HTTPTarget?, HTTPHeaders, String?, (@Sendable (String) -> Void)?)? in
            guard !s.closed else { return nil }
            s.closed = true
            return (s.pool, s.target, s.streamHeaders, s.sessionID, s.onClose)
        }) else { return }
        guard let pool, let target, session != nil else {
            pool?.close()
            onClose?("closed")
            return
        }
        let done = Mutex(false)
        let finish: @Sendable () -> Void = {
            guard done.withLock({ d -> Bool in defer { d = true }; return !d }) else { return }
            pool.close()
            onClose?("closed")
        }
        var head = HTTPRequestHead(version: .http1_1, method: .DELETE, uri: target.requestTarget, headers: headers)
        head.headers.remove(name: "Accept")
        pool.execute(HTTPExchange(head: head, body: nil, onHead: { _ in }, onBody: { _ in }, onEnd: { _ in finish() }),
                     dedicated: true)
        DispatchQueue.global().asyncAfter(deadline: .now() + 1) { finish() }
    }
}
