import Logging
import ManifoldCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A Streamable HTTP endpoint: a listening socket and, per connection, this pipeline (a
/// sentence of small verbs, front to back):
///
///     NIOSSLServerHandler         TLS (only with the `tls` setting)
///     ReadActivityReporter        tell the deadline handler bytes arrived
///     HTTPResponseEncoder         ┐ HTTP/1.1 framing (NIOHTTP1)
///     HTTPRequestDecoder          ┘
///     ConnectionDeadlineHandler   header / request / idle timeouts → 408 or close
///     HTTPServerPipelineHandler   one request at a time, in order (NIOHTTP1)
///     HTTPServerProtocolErrorHandler  malformed HTTP → 400 (NIOHTTP1)
///     RequestGate                 head + body → HTTPRequest (body limit → 413), then the
///                                 steps that may answer first: /healthz and /readyz, Host → 421
///                                 and Origin → 403, protected-resource metadata and
///                                 authentication (with `auth`)
///     StreamableHTTPHandler       MCP: sessions, JSON or SSE, GET streams, legacy SSE
///
/// `start` binds and returns the bound address (port 0 picks a free port); `shutdown` stops
/// accepting, waits for requests in flight up to a deadline, ends every session (closing SSE
/// streams) and closes the remaining connections.
public final class HTTPEndpoint: Sendable {
    public let configuration: HTTPEndpointConfiguration
    private let state: MCPEndpointState
    private let group: any EventLoopGroup
    private let unhealthy: @Sendable () -> [(label: String, health: ProviderHealth)]
    private let authenticator: any HTTPAuthenticator
    private let tls: NIOSSLContext?
    private let policy: OriginPolicy
    private let logger: Logger
    private let serverChannel = Mutex<(any Channel)?>(nil)
    private let connections = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let sweeper = Mutex<RepeatedTask?>(nil)

    public init(configuration: HTTPEndpointConfiguration, dispatcher: Dispatcher, view: LiveView,
                unhealthy: @escaping @Sendable () -> [(label: String, health: ProviderHealth)] = { [] },
                authenticator: any HTTPAuthenticator = PassThroughAuthenticator(), tls: NIOSSLContext? = nil,
                group: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.state = MCPEndpointState(dispatcher: dispatcher, view: view, configuration: configuration, logger: logger)
        self.group = group
        self.unhealthy = unhealthy
        self.authenticator = authenticator
        self.tls = tls
        self.policy = OriginPolicy(bindHost: configuration.host, allowedHosts: configuration.allowedHosts,
                                   allowedOrigins: configuration.allowedOrigins)
        self.logger = logger
    }

    /// Installs the connection pipeline on a channel (a socket's, or an `EmbeddedChannel` in
    /// tests). Must run on the channel's event loop.
    static func installPipeline(on channel: any Channel, state: MCPEndpointState, policy: OriginPolicy,
                                unhealthy: @escaping @Sendable () -> [(label: String, health: ProviderHealth)],
                                authenticator: any HTTPAuthenticator, tls: NIOSSLContext? = nil) throws {
        let configuration = state.configuration
        let limits = ConnectionDeadlines.Limits(
            header: UInt64(configuration.headerTimeout.nanoseconds),
            request: UInt64(configuration.requestTimeout.nanoseconds),
            idle: UInt64(configuration.idleTimeout.nanoseconds))
        let sync = channel.pipeline.syncOperations
        if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
        let deadlines = ConnectionDeadlineHandler(limits: limits)
        try sync.addHandler(ReadActivityReporter(reportingTo: deadlines))
        try sync.addHandler(HTTPResponseEncoder())
        try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        try sync.addHandler(deadlines)
        try sync.addHandler(HTTPServerPipelineHandler())
        try sync.addHandler(HTTPServerProtocolErrorHandler())
        try sync.addHandler(RequestGate(bodyLimit: configuration.maxBodyBytes, health: HealthProbes(unhealthy: unhealthy),
                                        policy: policy, authenticator: authenticator))
        try sync.addHandler(StreamableHTTPHandler(endpoint: state))
    }

    /// Binds and starts serving. Returns the bound address.
    @discardableResult
    public func start() throws -> SocketAddress {
        let state = self.state
        let policy = self.policy
        let unhealthy = self.unhealthy
        let authenticator = self.authenticator
        let tls = self.tls
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { [weak self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.installPipeline(on: channel, state: state, policy: policy, unhealthy: unhealthy,
                                             authenticator: authenticator, tls: tls)
                    self?.track(channel)
                }
            }
        let channel = try bootstrap.bind(host: configuration.host, port: configuration.port).wait()
        serverChannel.withLock { $0 = channel }
        if !configuration.stateless {
            let interval = TimeAmount.nanoseconds(max(TimeAmount.seconds(1).nanoseconds,
                                                      min(TimeAmount.seconds(60).nanoseconds,
                                                          configuration.sessionIdleTimeout.nanoseconds / 4)))
            let sessions = state.sessions
            let task = group.next().scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
                sessions.expireIdle()
            }
            sweeper.withLock { $0 = task }
        }
        return channel.localAddress!
    }

    /// The bound port (after `start`).
    public var port: Int? { serverChannel.withLock { $0?.localAddress?.port } }

    /// `http(s)://host:port/path` for humans and tests.
    public var url: String {
        let address = serverChannel.withLock { $0?.localAddress }
        var host = address?.ipAddress ?? configuration.host
        if host.contains(":") { host = "[\(host)]" }
        return "\(tls == nil ? "http" : "https")://\(host):\(address?.port ?? configuration.port)\(configuration.path)"
    }

    private func track(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        connections.withLock { $0[key] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.connections.withLock { _ = $0.removeValue(forKey: key) }
        }
    }

    /// Requests being served right now.
    public var requestsInFlight: Int { state.inFlight.load(ordering: .relaxed) }

    /// Stops accepting connections, refuses new requests (503), waits up to `timeout` for the
    /// requests in flight, then ends every session (SSE streams close) and every connection.
    /// Blocks the calling thread (never call it on an event loop). Returns whether the drain
    /// finished in time.
    @discardableResult
    public func shutdown(timeout: TimeAmount) -> Bool {
        let server = serverChannel.withLock { channel -> (any Channel)? in
            let current = channel
            channel = nil
            return current
        }
        try? server?.close().wait()
        state.draining.store(true, ordering: .relaxed)
        sweeper.withLock { $0?.cancel(); $0 = nil }
        // Idle keep-alive connections close now; busy ones after their current response.
        for channel in connections.withLock({ Array($0.values) }) {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let deadline = NIODeadline.now() + timeout
        var drained = true
        while state.inFlight.load(ordering: .relaxed) > 0 {
            if NIODeadline.now() >= deadline {
                drained = false
                logger.warning("\(requestsInFlight) request(s) still in flight after \(timeout.nanoseconds / 1_000_000) ms; closing")
                break
            }
            usleep(10_000)
        }
        state.sessions.endAll()
        let remaining = connections.withLock { Array($0.values) }
        for channel in remaining {
            // Let the SSE ends just enqueued reach the wire first.
            channel.eventLoop.execute { channel.close(promise: nil) }
        }
        for channel in remaining { try? channel.closeFuture.wait() }
        return drained
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
