import ManifoldManifest
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// One HTTP request and what to do with its response. The callbacks run on the connection's
/// event loop, in order: `onHead` once, `onBody` for each chunk, then `onEnd` exactly once
/// (also when the request fails before any response, then without `onHead`).
struct HTTPExchange: Sendable {
    enum End: Sendable {
        case complete
        /// The exchange failed; `afterHead` says whether a response head had arrived.
        case failed(String, afterHead: Bool)
    }

    var head: HTTPRequestHead
    var body: [UInt8]?
    var onHead: @Sendable (HTTPResponseHead) -> Void
    var onBody: @Sendable (ByteBuffer) -> Void
    var onEnd: @Sendable (End) -> Void
}

/// The last handler of a client connection's pipeline (after NIOHTTP1's request encoder and
/// response decoder): runs one exchange at a time — writes the request, reports the response
/// parts, and tells the pool when the connection is free again (or not reusable).
///
/// All of its state is touched on the channel's event loop only.
final class HTTPClientExchangeHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private var context: ChannelHandlerContext?
    private var current: HTTPExchange?
    private var receivedHead = false
    private var keepAlive = true
    /// Called after an exchange ended: whether the connection can take another one.
    var onFinished: (@Sendable (_ reusable: Bool) -> Void)?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Starts an exchange. Must run on the event loop; the connection must be idle.
    func start(_ exchange: HTTPExchange) {
        guard let context, context.channel.isActive else {
            exchange.onEnd(.failed("the connection is closed", afterHead: false))
            return
        }
        current = exchange
        receivedHead = false
        keepAlive = exchange.head.isKeepAlive
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body, !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenFailure { [weak self] error in
            self?.fail("cannot send the request: \(error)")
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange = current else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            receivedHead = true
            keepAlive = keepAlive && head.isKeepAlive
            exchange.onHead(head)
        case .body(let buffer):
            exchange.onBody(buffer)
        case .end:
            current = nil
            exchange.onEnd(.complete)
            onFinished?(keepAlive)
            if !keepAlive { context.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(Self.describe(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail("the server closed the connection")
        onFinished?(false)
        context.fireChannelInactive()
    }

    private func fail(_ reason: String) {
        guard let exchange = current else { return }
        current = nil
        exchange.onEnd(.failed(reason, afterHead: receivedHead))
    }

    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return io.description }
        if let tls = ClientTLS.describe(error) { return tls }
        return "\(error)"
    }
}

/// Keep-alive HTTP/1.1 connections to one server, shared by a transport's requests: an idle
/// connection is reused, a new one is opened when none is idle (no upper bound on connections in
/// use — an SSE response holds its connection for the whole call, and a call may wait for an
/// answer the host posts on another connection), and at most `maxIdle` are kept open when idle.
///
/// A request that fails on a reused connection before any response arrived (the server closed
/// the idle connection as the request went out) is retried once on a new connection.
final class HTTPConnectionPool: Sendable {
    let target: HTTPTarget
    private let group: any EventLoopGroup
    private let connectTimeout: TimeAmount
    private let maxIdle: Int
    /// For an `https://` target: encrypts each connection.
    private let tls: ClientTLS?

    private final class Connection: Sendable {
        let channel: any Channel
        let handler: HTTPClientExchangeHandler
        init(channel: any Channel, handler: HTTPClientExchangeHandler) {
            self.channel = channel
            self.handler = handler
        }
    }
    private struct State {
        var idle: [Connection] = []
        var open: [ObjectIdentifier: Connection] = [:]
        var closed = false
    }
    private let state = Mutex(State())

    /// Reads the `tls` files for an `https://` target (and throws when they are unusable).
    init(target: HTTPTarget, tls: RemoteTLS?, group: any EventLoopGroup, connectTimeout: Double, maxIdle: Int = 8)
        throws(ClientTransportError)
    {
        self.target = target
        self.tls = try ClientTLS(for: target, settings: tls)
        self.group = group
        self.connectTimeout = .milliseconds(Int64(connectTimeout * 1000))
        self.maxIdle = maxIdle
    }

    /// Runs an exchange on a pooled connection. `dedicated`: the connection is not returned to
    /// the pool afterwards (long-lived streams: the GET stream, the legacy SSE stream).
    func execute(_ exchange: HTTPExchange, dedicated: Bool = false) {
        let reused = dedicated ? nil : state.withLock { s -> Connection? in
            while let connection = s.idle.popLast() {
                if connection.channel.isActive { return connection }
            }
            return nil
        }
        if let reused {
            var retrying = exchange
            let original = exchange.onEnd
            retrying.onEnd = { [weak self] end in
                if case .failed(_, afterHead: false) = end, let self {
                    self.connectAndRun(exchange, dedicated: dedicated)
                } else {
                    original(end)
                }
            }
            run(retrying, on: reused, dedicated: dedicated)
        } else {
            connectAndRun(exchange, dedicated: dedicated)
        }
    }

    private func connectAndRun(_ exchange: HTTPExchange, dedicated: Bool) {
        if state.withLock({ $0.closed }) {
            exchange.onEnd(.failed("the transport is closed", afterHead: false))
            return
        }
        let handler = HTTPClientExchangeHandler()
        let target = self.target
        let tls = self.tls
        ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(tls.handler()) }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: target.host, port: target.port)
            .whenComplete { [weak self] result in
                switch result {
                case .failure(let error):
                    exchange.onEnd(.failed("cannot connect to \(target.host):\(target.port): \(HTTPClientExchangeHandler.describe(error))",
                                           afterHead: false))
                case .success(let channel):
                    guard let self else {
                        channel.close(promise: nil)
                        exchange.onEnd(.failed("the transport is closed", afterHead: false))
                        return
                    }
                    let connection = Connection(channel: channel, handler: handler)
                    let closed = self.state.withLock { s -> Bool in
                        if s.closed { return true }
                        s.open[ObjectIdentifier(connection)] = connection
                        return false
                    }
                    if closed {
                        channel.close(promise: nil)
                        exchange.onEnd(.failed("the transport is closed", afterHead: false))
                        return
                    }
                    channel.closeFuture.whenComplete { [weak self] _ in
                        self?.state.withLock { s in
                            s.open[ObjectIdentifier(connection)] = nil
                            s.idle.removeAll { $0 === connection }
                        }
                    }
                    self.run(exchange, on: connection, dedicated: dedicated)
                }
            }
    }

    private func run(_ exchange: HTTPExchange, on connection: Connection, dedicated: Bool) {
        let onFinished: @Sendable (Bool) -> Void = { [weak self, weak connection] reusable in
            guard let self, let connection else { return }
            if dedicated || !reusable {
                connection.channel.close(promise: nil)
                return
            }
            let keep = self.state.withLock { s -> Bool in
                guard !s.closed, s.idle.count < self.maxIdle else { return false }
                s.idle.append(connection)
                return true
            }
            if !keep { connection.channel.close(promise: nil) }
        }
        let handler = connection.handler
        connection.channel.eventLoop.execute {
            handler.onFinished = onFinished
            handler.start(exchange)
        }
    }

    /// Closes every connection, idle or in use; later exchanges fail at once.
    func close() {
        let connections = state.withLock { s -> [Connection] in
            s.closed = true
            s.idle = []
            return Array(s.open.values)
        }
        for connection in connections { connection.channel.close(promise: nil) }
    }
}
