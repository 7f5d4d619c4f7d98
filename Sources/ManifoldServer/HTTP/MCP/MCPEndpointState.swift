import Logging
import ManifoldCore
import Synchronization

/// What every connection of one endpoint shares: the dispatcher and view it serves, its
/// configuration, its sessions, and the count of requests in flight (for a graceful drain).
final class MCPEndpointState: Sendable {
    let dispatcher: Dispatcher
    let view: LiveView
    let configuration: HTTPEndpointConfiguration
    let sessions: HTTPSessionTable
    let logger: Logger
    /// Requests being served (POSTs whose reply has not finished).
    let inFlight = Atomic<Int>(0)
    /// Shutting down: new requests are refused with 503.
    let draining = Atomic<Bool>(false)

    // Precomputed paths.
    let path: String
    let legacySSEPath: String
    let legacyMessagesPath: String

    init(dispatcher: Dispatcher, view: LiveView, configuration: HTTPEndpointConfiguration, logger: Logger) {
        self.dispatcher = dispatcher
        self.view = view
        self.configuration = configuration
        self.sessions = HTTPSessionTable(capacity: configuration.maxSessions, idleTimeout: configuration.sessionIdleTimeout)
        self.logger = logger
        self.path = configuration.path
        self.legacySSEPath = configuration.legacyBase + "sse"
        self.legacyMessagesPath = configuration.legacyBase + "messages"
    }
}

/// Discards messages: the outbound sink of a stateless request's session (no stream to carry
/// unsolicited messages).
final class DiscardingOutbound: OutboundSink {
    static let shared = DiscardingOutbound()
    func send(_ message: [UInt8]) {}
}
