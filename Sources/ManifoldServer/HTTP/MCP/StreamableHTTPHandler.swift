import Logging
import ManifoldCore
import ManifoldProtocol
import NIOCore
import NIOHTTP1

/// The MCP end of the HTTP pipeline: Streamable HTTP (PROTOCOL.md §7) and the legacy
/// HTTP+SSE transport, one handler per connection, serving one request at a time (the
/// pipelining handler in front of it holds back the next request until the response ended).
///
/// - `POST <path>`: one JSON-RPC message (or a batch, for sessions before 2025-06-18). A
///   notification or response → `202` with no body. A request → `application/json` when the
///   call emits nothing before its result, else `text/event-stream`: the switch happens at the
///   call's first related message (progress, log, server→client request) if the client's
///   `Accept` allows SSE. Nothing is ever buffered waiting for that decision.
/// - `GET <path>` (`Accept: text/event-stream`): the session's standalone stream (its
///   `OutboundSink`), or with `Last-Event-ID` the replay and continuation of any of its streams.
/// - `DELETE <path>`: ends the session.
/// - `GET <base>sse`, `POST <base>messages?sessionId=…`: the 2024-11-05 transport.
///
/// Session rules (stateful): `Mcp-Session-Id` is issued on a successful `initialize` response;
/// a request without it (other than `initialize`) → 400; an unknown or ended id → 404; an
/// unsupported `MCP-Protocol-Version` → 400. Stateless: no ids; every POST gets a fresh
/// session (preinitialized at the header's version, or the latest), GET and DELETE → 405.
///
/// Replies may come from any thread (plugin workers); everything that touches the channel
/// hops to its event loop first. The hot path — a JSON answer — is one hop and three writes.
final class StreamableHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequest
    typealias OutboundOut = HTTPServerResponsePart

    /// What the connection is answering right now.
    private enum Active {
        case none
        /// A POST whose reply has not started (the JSON-or-SSE decision is still open).
        case exchange(PostExchange)
        /// An SSE response is open. `finished(disconnected)` runs once when it ends.
        case stream(generation: Int, finished: (_ disconnected: Bool) -> Void)
    }

    private let endpoint: MCPEndpointState
    private var context: ChannelHandlerContext?
    private var active: Active = .none
    /// Numbers each response, so late deliveries meant for an earlier one are dropped.
    private var generation = 0
    private var version: HTTPVersion = .http1_1
    private var keepAlive = true
    /// CORS headers for the current request (only when it carried an allowed `Origin`).
    private var cors: HTTPHeaders?
    private var heartbeat: RepeatedTask?

    init(endpoint: MCPEndpointState) {
        self.endpoint = endpoint
    }

    private var configuration: HTTPEndpointConfiguration { endpoint.configuration }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        connectionGone()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectionGone()
        context.fireChannelInactive()
    }

    private func connectionGone() {
        heartbeat?.cancel()
        heartbeat = nil
        let previous = active
        active = .none
        switch previous {
        case .none:
            break
        case .exchange(let exchange):
            // Nobody will read a stateless answer: stop the work. A stateful call runs on (a
            // disconnection is not a cancellation) and its answer is dropped.
            exchange.statelessSession?.close()
        case .stream(_, let finished):
            finished(true)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = self.unwrapInboundIn(data)
        guard case .none = active else {
            // The pipelining handler guarantees one request at a time; anything else is a bug.
            endpoint.logger.error("HTTP request received while a response is open; closing the connection")
            context.close(promise: nil)
            return
        }
        version = request.head.version
        keepAlive = request.head.isKeepAlive
        cors = corsHeaders(origin: request.fields.origin)
        if endpoint.draining.load(ordering: .relaxed) {
            keepAlive = false
            refuse(.serviceUnavailable, "Service Unavailable: the server is shutting down", id: nil)
            return
        }
        let path = request.path
        if path == endpoint.path || (path.count == endpoint.path.count + 1 && path.hasPrefix(endpoint.path) && path.hasSuffix("/")) {
            switch request.head.method {
            case .POST: post(request)
            case .GET: get(request)
            case .DELETE: delete(request)
            case .OPTIONS: preflight(request)
            default:
                var headers = HTTPHeaders()
                headers.add(name: "allow", value: configuration.stateless ? "POST, OPTIONS" : "GET, POST, DELETE, OPTIONS")
                refuse(.methodNotAllowed, "Method Not Allowed", id: nil, headers: headers)
            }
        } else if configuration.legacySSE && !configuration.stateless && path == endpoint.legacySSEPath && request.head.method == .GET {
            legacyStream(request)
        } else if configuration.legacySSE && !configuration.stateless
            && (path == endpoint.legacyMessagesPath || path == endpoint.legacyMessagesPath + "/")
        {
            if request.head.method == .POST {
                legacyPost(request)
            } else {
                var headers = HTTPHeaders()
                headers.add(name: "allow", value: "POST")
                refuse(.methodNotAllowed, "Method Not Allowed", id: nil, headers: headers)
            }
        } else {
            writeComplete(.notFound, contentType: "text/plain; charset=utf-8", body: Array("not found\n".utf8))
        }
    }

    // MARK: POST

    private func post(_ request: HTTPRequest) {
        if let type = request.fields.contentType, type != "application/json",
            !type.lowercased().hasPrefix("application/json")
        {
            refuse(.unsupportedMediaType, "Unsupported Media Type: Content-Type must be application/json", id: nil)
            return
        }
        let accept = AcceptedMedia(request.fields.accept)
        guard accept.json || accept.sse else {
            refuse(.notAcceptable, "Not Acceptable: Client must accept application/json or text/event-stream", id: nil)
            return
        }
        guard let (body, envelope) = readMessage(request) else { return }
        let isInitialize = envelope?.kind == .request && envelope?.method == MCPMethod.initialize
        if configuration.stateless {
            postStateless(request, body: body, envelope: envelope, accept: accept, isInitialize: isInitialize)
        } else {
            postStateful(request, body: body, envelope: envelope, accept: accept, isInitialize: isInitialize)
        }
    }

    /// The POST body and, unless it is a batch (`[`), its envelope parsed once; nil after
    /// answering `400` with the JSON-RPC parse error when it is not a valid message.
    private func readMessage(_ request: HTTPRequest) -> (body: [UInt8], envelope: RPCEnvelope?)? {
        let body = Array(request.body.readableBytesView)
        let first = body.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        guard first != UInt8(ascii: "[") else { return (body, nil) }
        switch RPCEnvelope.parse(body) {
        case .failure(let error):
            writeComplete(.badRequest, contentType: "application/json", body: RPCMessage.error(error))
            return nil
        case .success(let envelope):
            return (body, envelope)
        }
    }

    private func postStateful(_ request: HTTPRequest, body: [UInt8], envelope: RPCEnvelope?, accept: AcceptedMedia,
                              isInitialize: Bool) {
        if let id = request.fields.sessionID {
            guard let session = endpoint.sessions.checkOut(id) else {
                refuse(.notFound, "Not Found: session does not exist or has ended; send initialize to start a new one",
                       id: envelope?.id)
                return
            }
            guard request.mayUse(sessionOwnedBy: session.owner) else {
                // Another caller's session: answered as if it did not exist (Security/SessionBinding.swift).
                endpoint.sessions.checkIn(id)
                refuse(.notFound, "Not Found: session does not exist or has ended; send initialize to start a new one",
                       id: envelope?.id)
                return
            }
            if !isInitialize, let header = request.fields.protocolVersion,
                !ProtocolVersion(rawValue: header).isSupported
            {
                endpoint.sessions.checkIn(id)
                refuse(.badRequest, Self.unsupportedVersionMessage(header), id: envelope?.id)
                return
            }
            let exchange = makeExchange(accept: accept)
            exchange.session = session
            dispatch(exchange, body: body, envelope: envelope, session: session.core)
        } else if isInitialize {
            let session = HTTPSession(id: HTTPSessionTable.newID(), view: request.view(endpoint),
                                      replayCapacity: configuration.replayBufferEvents, owner: request.sessionOwner)
            guard endpoint.sessions.insert(session) else {
                refuse(.serviceUnavailable, "Service Unavailable: too many sessions (\(configuration.maxSessions))",
                       id: envelope?.id)
                return
            }
            let exchange = makeExchange(accept: accept)
            exchange.session = session
            exchange.issuesSessionID = true
            dispatch(exchange, body: body, envelope: envelope, session: session.core)
        } else {
            refuse(.badRequest, "Bad Request: Mcp-Session-Id header is required (send initialize first to start a session)",
                   id: envelope?.id)
        }
    }

    private func postStateless(_ request: HTTPRequest, body: [UInt8], envelope: RPCEnvelope?, accept: AcceptedMedia,
                               isInitialize: Bool) {
        var negotiated = ProtocolVersion.latest
        if let header = request.fields.protocolVersion {
            let requested = ProtocolVersion(rawValue: header)
            guard requested.isSupported else {
                refuse(.badRequest, Self.unsupportedVersionMessage(header), id: envelope?.id)
                return
            }
            negotiated = requested
        }
        // `initialize` is answered for real (clients that initialize keep working) but no
        // session survives it; every other message runs in a session that skips the handshake.
        let session = Session(id: "stateless", view: request.view(endpoint), outbound: DiscardingOutbound.shared,
                              preinitialized: isInitialize ? nil : negotiated)
        let exchange = makeExchange(accept: accept)
        exchange.statelessSession = session
        exchange.closeSessionWhenDone = isInitialize
        dispatch(exchange, body: body, envelope: envelope, session: session)
    }

    private func makeExchange(accept: AcceptedMedia) -> PostExchange {
        generation += 1
        return PostExchange(handler: NIOLoopBound(self, eventLoop: context!.eventLoop), eventLoop: context!.eventLoop,
                            accept: accept, generation: generation)
    }

    private func dispatch(_ exchange: PostExchange, body: [UInt8], envelope: RPCEnvelope?, session: Session) {
        endpoint.inFlight.add(1, ordering: .relaxed)
        active = .exchange(exchange)
        if let envelope {
            endpoint.dispatcher.handle(envelope, session: session, reply: exchange)
        } else {
            endpoint.dispatcher.handle(body, session: session, reply: exchange)
        }
    }

    /// Whether the connection is still answering this exchange with JSON-or-SSE undecided.
    private func isPending(_ exchange: PostExchange) -> Bool {
        if case .exchange(let current) = active, current === exchange, context != nil { return true }
        return false
    }

    /// A message related to the POST's request (on the event loop).
    fileprivate func exchangeSend(_ exchange: PostExchange, _ message: [UInt8]) {
        switch exchange.phase {
        case .done:
            return
        case .streamingHub(let hub, let stream):
            hub.emit(message, on: stream)
        case .streamingDirect:
            writeEvent(message, id: nil, generation: exchange.generation)
        case .pending:
            guard isPending(exchange) else { return }
            if exchange.accept.sse {
                beginSSE(exchange)
                exchangeSend(exchange, message)
            } else {
                // The client takes JSON only: the message cannot ride on this response. Related
                // messages then go to the session's standalone stream (if it has one open).
                exchange.session?.streams.send(message)
            }
        }
    }

    /// The POST's response, or nil for none (on the event loop).
    fileprivate func exchangeFinish(_ exchange: PostExchange, _ response: [UInt8]?) {
        if case .pending = exchange.phase, response != nil, !exchange.accept.json, isPending(exchange) {
            // The client takes SSE only: the response alone goes as one event.
            beginSSE(exchange)
        }
        let phase = exchange.phase
        exchange.phase = .done
        switch phase {
        case .done:
            return
        case .pending:
            if isPending(exchange) {
                if let response {
                    writeJSON(response, sessionID: issuedSessionID(exchange))
                } else {
                    writeComplete(.accepted, contentType: nil, body: [], sessionID: issuedSessionID(exchange))
                }
            }
        case .streamingDirect:
            if let response { writeEvent(response, id: nil, generation: exchange.generation) }
            endStream(generation: exchange.generation)
        case .streamingHub(let hub, let stream):
            if let response { hub.emit(response, on: stream) }
            hub.finish(stream)
        }
        completed(exchange)
    }

    /// Bookkeeping after a POST's reply finished.
    private func completed(_ exchange: PostExchange) {
        endpoint.inFlight.subtract(1, ordering: .relaxed)
        if let session = exchange.session {
            if exchange.issuesSessionID && session.core.phase == .new {
                // initialize failed: the session never existed for the client.
                _ = endpoint.sessions.remove(session.id)
                session.end()
            } else {
                endpoint.sessions.checkIn(session.id)
            }
        }
        if exchange.closeSessionWhenDone { exchange.statelessSession?.close() }
    }

    private func issuedSessionID(_ exchange: PostExchange) -> String? {
        guard exchange.issuesSessionID, let session = exchange.session, session.core.phase != .new else { return nil }
        return session.id
    }

    /// Switches a pending POST to an SSE response.
    private func beginSSE(_ exchange: PostExchange) {
        let generation = exchange.generation
        if let session = exchange.session {
            let subscriber = ConnectionEventSubscriber(handler: exchange.handler, eventLoop: exchange.eventLoop,
                                                       generation: generation)
            let (stream, primingID) = session.streams.openPostStream(subscriber)
            let hub = session.streams
            exchange.phase = .streamingHub(hub, stream)
            writeSSEHead(generation: generation, sessionID: issuedSessionID(exchange)) { disconnected in
                if disconnected { hub.detach(subscriber) }
            }
            if Self.primes(session.core.protocolVersion) { writePriming(primingID) }
        } else {
            exchange.phase = .streamingDirect
            let session = exchange.statelessSession
            writeSSEHead(generation: generation, sessionID: nil) { disconnected in
                if disconnected { session?.close() }
            }
        }
    }

    /// Priming events (an id and empty data) are understood by clients of 2025-11-25 and later;
    /// older clients would choke on the empty data (the Python SDK server draws the same line).
    private static func primes(_ version: ProtocolVersion?) -> Bool {
        (version ?? .v2025_03_26) >= .v2025_11_25
    }

    private static func unsupportedVersionMessage(_ header: String) -> String {
        "Bad Request: Unsupported protocol version: \(header). Supported versions: "
            + ProtocolVersion.supported.map(\.rawValue).joined(separator: ", ")
    }

    // MARK: GET, DELETE, OPTIONS

    private func get(_ request: HTTPRequest) {
        guard !configuration.stateless else {
            var headers = HTTPHeaders()
            headers.add(name: "allow", value: "POST, OPTIONS")
            refuse(.methodNotAllowed, "Method Not Allowed: this endpoint is stateless and has no server-to-client stream",
                   id: nil, headers: headers)
            return
        }
        guard AcceptedMedia(request.fields.accept).sse else {
            refuse(.notAcceptable, "Not Acceptable: Client must accept text/event-stream", id: nil)
            return
        }
        guard let id = request.fields.sessionID else {
            refuse(.badRequest, "Bad Request: Mcp-Session-Id header is required", id: nil)
            return
        }
        guard let session = endpoint.sessions.checkOut(id) else {
            refuse(.notFound, "Not Found: session does not exist or has ended", id: nil)
            return
        }
        guard request.mayUse(sessionOwnedBy: session.owner) else {
            endpoint.sessions.checkIn(id)
            refuse(.notFound, "Not Found: session does not exist or has ended", id: nil)
            return
        }
        if let header = request.fields.protocolVersion, !ProtocolVersion(rawValue: header).isSupported {
            endpoint.sessions.checkIn(id)
            refuse(.badRequest, Self.unsupportedVersionMessage(header), id: nil)
            return
        }
        generation += 1
        let generation = self.generation
        let subscriber = ConnectionEventSubscriber(handler: NIOLoopBound(self, eventLoop: context!.eventLoop),
                                                   eventLoop: context!.eventLoop, generation: generation)
        let hub = session.streams
        let sessions = endpoint.sessions
        let finished: (Bool) -> Void = { disconnected in
            if disconnected { hub.detach(subscriber) }
            sessions.checkIn(id)
        }
        if let lastEventID = request.fields.lastEventID {
            // Replayed events are enqueued on this event loop: they are written after the head.
            switch hub.resume(after: lastEventID, subscriber) {
            case .malformed:
                sessions.checkIn(id)
                refuse(.badRequest, "Bad Request: Last-Event-ID '\(lastEventID)' is not an event id of this server", id: nil)
            case .unknownStream:
                sessions.checkIn(id)
                refuse(.notFound, "Not Found: the stream of event '\(lastEventID)' is no longer available", id: nil)
            case .resumed:
                writeSSEHead(generation: generation, sessionID: nil, finished: finished)
            }
        } else {
            let primingID = hub.attachStandalone(subscriber)
            writeSSEHead(generation: generation, sessionID: nil, finished: finished)
            if Self.primes(session.core.protocolVersion) { writePriming(primingID) }
        }
    }

    private func delete(_ request: HTTPRequest) {
        guard !configuration.stateless else {
            var headers = HTTPHeaders()
            headers.add(name: "allow", value: "POST, OPTIONS")
            refuse(.methodNotAllowed, "Method Not Allowed: this endpoint is stateless and has no sessions", id: nil,
                   headers: headers)
            return
        }
        guard let id = request.fields.sessionID else {
            refuse(.badRequest, "Bad Request: Mcp-Session-Id header is required", id: nil)
            return
        }
        guard let session = endpoint.sessions.remove(id, ifOwnedBy: request.sessionOwner) else {
            refuse(.notFound, "Not Found: session does not exist or has ended", id: nil)
            return
        }
        session.end()
        writeComplete(.ok, contentType: nil, body: [])
    }

    /// CORS preflight for browser clients whose origin is allowed (the guard refused others).
    private func preflight(_ request: HTTPRequest) {
        var headers = HTTPHeaders()
        headers.add(name: "allow", value: "GET, POST, DELETE, OPTIONS")
        if cors != nil {
            headers.add(name: "access-control-allow-methods", value: "GET, POST, DELETE, OPTIONS")
            headers.add(name: "access-control-allow-headers",
                        value: "content-type, accept, authorization, mcp-session-id, mcp-protocol-version, last-event-id")
            headers.add(name: "access-control-max-age", value: "600")
        }
        writeComplete(.noContent, contentType: nil, body: [], headers: headers)
    }

    private func corsHeaders(origin: String?) -> HTTPHeaders? {
        guard let origin else { return nil }
        var cors = HTTPHeaders()
        cors.add(name: "access-control-allow-origin", value: origin)
        cors.add(name: "access-control-expose-headers", value: "mcp-session-id, mcp-protocol-version")
        cors.add(name: "vary", value: "origin")
        return cors
    }

    // MARK: Legacy HTTP+SSE (2024-11-05)

    private func legacyStream(_ request: HTTPRequest) {
        guard AcceptedMedia(request.fields.accept).sse else {
            refuse(.notAcceptable, "Not Acceptable: Client must accept text/event-stream", id: nil)
            return
        }
        generation += 1
        let generation = self.generation
        let subscriber = ConnectionEventSubscriber(handler: NIOLoopBound(self, eventLoop: context!.eventLoop),
                                                   eventLoop: context!.eventLoop, generation: generation)
        let id = HTTPSessionTable.newID()
        let session = LegacySSESession(id: id, view: request.view(endpoint), subscriber: subscriber, owner: request.sessionOwner)
        let sessions = endpoint.sessions
        sessions.insertLegacy(session)
        writeSSEHead(generation: generation, sessionID: nil) { _ in
            sessions.removeLegacy(id)?.end()
        }
        var buffer = context!.channel.allocator.buffer(capacity: 96)
        SSEFrame.event("endpoint", data: "\(endpoint.legacyMessagesPath)?sessionId=\(id)", into: &buffer)
        context!.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
    }

    private func legacyPost(_ request: HTTPRequest) {
        guard let id = request.query("sessionId"), !id.isEmpty else {
            refuse(.badRequest, "Bad Request: sessionId query parameter is required", id: nil)
            return
        }
        guard let session = endpoint.sessions.legacySession(id), request.mayUse(sessionOwnedBy: session.owner) else {
            refuse(.notFound, "Not Found: session does not exist or has ended", id: nil)
            return
        }
        guard let (body, envelope) = readMessage(request) else { return }
        writeComplete(.accepted, contentType: nil, body: [])
        let reply = LegacyReply(session: session)
        if let envelope {
            endpoint.dispatcher.handle(envelope, session: session.core, reply: reply)
        } else {
            endpoint.dispatcher.handle(body, session: session.core, reply: reply)
        }
    }

    // MARK: Writing

    /// A refusal: the status and a JSON-RPC error body (code -32600).
    private func refuse(_ status: HTTPResponseStatus, _ message: String, id: RequestID?, headers: HTTPHeaders = HTTPHeaders()) {
        writeComplete(status, contentType: "application/json",
                      body: JSONRPCErrorBody.make(code: RPCError.Code.invalidRequest.rawValue, message: message, id: id),
                      headers: headers)
    }

    /// `content-type: application/json`, built once: the hot path copies it instead of adding
    /// (and validating) the header per response.
    private static let jsonHeaders: HTTPHeaders = {
        var headers = HTTPHeaders()
        headers.reserveCapacity(4)
        headers.add(name: "content-type", value: "application/json")
        return headers
    }()

    /// The hot path: a JSON-RPC response as `application/json`.
    private func writeJSON(_ response: [UInt8], sessionID: String?) {
        writeComplete(.ok, contentType: nil, body: response, headers: Self.jsonHeaders, sessionID: sessionID)
    }

    /// A complete response with a body; then the connection is free for the next request.
    private func writeComplete(_ status: HTTPResponseStatus, contentType: String?, body: [UInt8],
                               headers extra: HTTPHeaders = HTTPHeaders(), sessionID: String? = nil) {
        guard let context else { return }
        var headers = extra
        if let contentType { headers.add(name: "content-type", value: contentType) }
        if status != .noContent { headers.add(name: "content-length", value: String(body.count)) }
        if let sessionID { headers.add(name: "mcp-session-id", value: sessionID) }
        if let cors { headers.add(contentsOf: cors) }
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))),
                      promise: nil)
        if !body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        active = .none
        finishResponse(context)
    }

    private func finishResponse(_ context: ChannelHandlerContext) {
        if keepAlive {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let loopBound = context.loopBound
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                loopBound.value.close(promise: nil)
            }
        }
    }

    /// Opens an SSE response; `finished` runs once when it ends (normally or by disconnection).
    private func writeSSEHead(generation: Int, sessionID: String?, finished: @escaping (Bool) -> Void) {
        guard let context else {
            finished(true)
            return
        }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/event-stream")
        headers.add(name: "cache-control", value: "no-cache, no-transform")
        headers.add(name: "x-accel-buffering", value: "no")
        if let sessionID { headers.add(name: "mcp-session-id", value: sessionID) }
        if let cors { headers.add(contentsOf: cors) }
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))),
                              promise: nil)
        active = .stream(generation: generation, finished: finished)
        let interval = configuration.sseHeartbeat
        if interval.nanoseconds > 0 {
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            heartbeat = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
                handler.value.writeHeartbeat(generation: generation)
            }
        }
    }

    private func writePriming(_ id: String) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 48)
        SSEFrame.priming(id: id, retryMs: configuration.sseRetryMs, into: &buffer)
        context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
    }

    private func isStreaming(_ generation: Int) -> Bool {
        if case .stream(let current, _) = active, current == generation, context != nil { return true }
        return false
    }

    /// One event on the open SSE response (dropped if that response already ended).
    fileprivate func writeEvent(_ message: [UInt8], id: String?, generation: Int) {
        guard isStreaming(generation), let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: message.count + 48)
        SSEFrame.message(message, id: id, into: &buffer)
        context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
    }

    fileprivate func writeHeartbeat(generation: Int) {
        guard isStreaming(generation), let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 16)
        SSEFrame.heartbeat(into: &buffer)
        context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
    }

    /// Ends the open SSE response (if it is still this one).
    fileprivate func endStream(generation: Int) {
        guard isStreaming(generation), let context, case .stream(_, let finished) = active else { return }
        heartbeat?.cancel()
        heartbeat = nil
        active = .none
        finished(false)
        finishResponse(context)
    }
}

/// The reply sink of one POST: the dispatcher's `send` and `finish` (from any thread) hop to
/// the connection's event loop, where the handler decides JSON or SSE. All mutable state is
/// touched on that event loop only.
final class PostExchange: ReplySink, @unchecked Sendable {
    enum Phase {
        case pending
        /// SSE without resumability (stateless): written straight to the connection.
        case streamingDirect
        /// SSE recorded in the session's streams (resumable), delivered to whoever is attached.
        case streamingHub(EventStreamHub, Int)
        case done
    }

    let handler: NIOLoopBound<StreamableHTTPHandler>
    let eventLoop: any EventLoop
    let accept: AcceptedMedia
    let generation: Int
    var phase: Phase = .pending
    /// Stateful: the session (checked out for the duration).
    var session: HTTPSession?
    /// This POST is the `initialize` that created `session`.
    var issuesSessionID = false
    /// Stateless: the throwaway session.
    var statelessSession: Session?
    var closeSessionWhenDone = false

    init(handler: NIOLoopBound<StreamableHTTPHandler>, eventLoop: any EventLoop, accept: AcceptedMedia, generation: Int) {
        self.handler = handler
        self.eventLoop = eventLoop
        self.accept = accept
        self.generation = generation
    }

    func send(_ message: [UInt8]) {
        if eventLoop.inEventLoop {
            handler.value.exchangeSend(self, message)
        } else {
            eventLoop.execute { self.handler.value.exchangeSend(self, message) }
        }
    }

    /// SSE can carry a server→client request on this POST's answer; a JSON-only client gets it
    /// on its session's GET stream, so only while one is open (`session` is set before the
    /// exchange is dispatched and never changes).
    var carriesRequests: Bool { accept.sse || (session?.streams.hasStandaloneSubscriber ?? false) }

    func finish(_ response: [UInt8]?) {
        if eventLoop.inEventLoop {
            handler.value.exchangeFinish(self, response)
        } else {
            eventLoop.execute { self.handler.value.exchangeFinish(self, response) }
        }
    }
}

/// An SSE response of a connection, attached to a session's stream: deliveries are enqueued
/// on the connection's event loop (never written inline), in the order the hub recorded them.
final class ConnectionEventSubscriber: EventSubscriber, @unchecked Sendable {
    private let handler: NIOLoopBound<StreamableHTTPHandler>
    private let eventLoop: any EventLoop
    private let generation: Int

    init(handler: NIOLoopBound<StreamableHTTPHandler>, eventLoop: any EventLoop, generation: Int) {
        self.handler = handler
        self.eventLoop = eventLoop
        self.generation = generation
    }

    func deliver(_ message: [UInt8], id: String?) {
        eventLoop.execute { self.handler.value.writeEvent(message, id: id, generation: self.generation) }
    }

    func end() {
        eventLoop.execute { self.handler.value.endStream(generation: self.generation) }
    }
}
