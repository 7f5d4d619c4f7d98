import ManifoldProtocol
import Synchronization

/// One client's conversation with the host: its lifecycle phase, negotiated protocol version,
/// capabilities, logging threshold, resource subscriptions, requests in flight (for
/// cancellation) and requests the host sent to it (awaiting answers).
///
/// The lifecycle rules (what may be sent before `initialize`, when notifications start) are
/// here; the methods themselves are in `Dispatcher`.
public final class Session: ViewListener, Sendable {
    public enum Phase: Sendable, Equatable {
        /// Waiting for `initialize`.
        case new
        /// `initialize` answered; waiting for `notifications/initialized`.
        case initializing
        /// Operating.
        case ready
        /// Ended (stdin closed, DELETE, shutdown).
        case closed
    }

    struct State {
        var phase: Phase = .new
        var version: ProtocolVersion?
        var clientCapabilities: JSONValue = .object([:])
        var clientInfo: JSONValue = .null
        var logLevel: LogLevel?
        /// Exposed URI → where it was subscribed, so it is released there even after the
        /// resource left the list.
        var subscriptions: [String: Subscription] = [:]
        var inflight: [RequestID: InFlightCall] = [:]
        var pending: [RequestID: @Sendable (Result<[UInt8], RPCError>) -> Void] = [:]
        var nextRequestNumber = 1
    }

    /// A resource subscription: the provider that serves it and the provider's URI.
    struct Subscription {
        let provider: any Provider
        let localURI: String
    }

    public let id: String
    public let view: LiveView
    let outbound: any OutboundSink
    let state: Mutex<State>
    /// Tag logs and requests sent while serving a call with the call's progress token, in
    /// `_meta["io.manifold/progressToken"]`, so a Manifold host proxying this session can tell
    /// which of its client requests they belong to (runner processes set this).
    public let tagsRelatedMessages: Bool

    /// A session for a transport. `preinitialized` skips the handshake (stateless HTTP, where
    /// every request stands alone and carries its version in a header).
    public init(id: String, view: LiveView, outbound: any OutboundSink, preinitialized: ProtocolVersion? = nil,
                clientCapabilities: JSONValue = .object([:]), tagsRelatedMessages: Bool = false) {
        self.id = id
        self.view = view
        self.outbound = outbound
        self.tagsRelatedMessages = tagsRelatedMessages
        var initial = State()
        if let preinitialized {
            initial.phase = .ready
            initial.version = preinitialized
            initial.clientCapabilities = clientCapabilities
        }
        self.state = Mutex(initial)
        if preinitialized == nil { view.addListener(self) }
    }

    public var phase: Phase { state.withLock { $0.phase } }
    public var protocolVersion: ProtocolVersion? { state.withLock { $0.version } }
    public var clientInfo: JSONValue { state.withLock { $0.clientInfo } }

    /// Whether the client declared a capability (`sampling`, `elicitation`, `roots`).
    public func clientSupports(_ capability: String) -> Bool {
        state.withLock { $0.clientCapabilities[capability] != nil }
    }

    /// The client can no longer answer (its input ended): every request the host sent it
    /// fails now, so the calls waiting on them can finish.
    public func failPendingClientRequests(_ reason: String) {
        let pending = state.withLock { s in
            let pending = Array(s.pending.values)
            s.pending = [:]
            return pending
        }
        for callback in pending { callback(.failure(RPCError(code: .internalError, message: reason))) }
    }

    /// Ends the session: in-flight calls are cancelled, pending server requests fail, its
    /// resource subscriptions are released.
    public func close() {
        let (calls, pending, subscriptions) = state.withLock { s in
            s.phase = .closed
            let calls = Array(s.inflight.values)
            let pending = Array(s.pending.values)
            let subscriptions = s.subscriptions
            s.inflight = [:]
            s.pending = [:]
            s.subscriptions = [:]
            return (calls, pending, subscriptions.values)
        }
        view.removeListener(self)
        for subscription in subscriptions { subscription.provider.unsubscribe(uri: subscription.localURI) }
        for call in calls { call.cancel() }
        for callback in pending { callback(.failure(RPCError(code: .internalError, message: "session closed"))) }
    }

    // MARK: Notifications to the client

    /// Sends an unsolicited notification, once the client is operating.
    func notify(_ method: String, _ params: JSONValue?) {
        guard phase == .ready else { return }
        outbound.send(RPCMessage.notification(method: method, params: params))
    }

    public func viewListChanged(_ kinds: Set<ComponentKind>) {
        if kinds.contains(.tool) { notify(MCPMethod.toolsListChanged, nil) }
        if kinds.contains(.resource) || kinds.contains(.resourceTemplate) { notify(MCPMethod.resourcesListChanged, nil) }
        if kinds.contains(.prompt) { notify(MCPMethod.promptsListChanged, nil) }
    }

    public func viewResourceUpdated(_ uri: String) {
        guard state.withLock({ $0.subscriptions[uri] != nil }) else { return }
        notify(MCPMethod.resourceUpdated, ["uri": .string(uri)])
    }

    /// Whether a log message of `level` passes the client's threshold (all pass until
    /// `logging/setLevel`).
    func accepts(_ level: LogLevel) -> Bool {
        state.withLock { s in s.logLevel.map { level >= $0 } ?? true }
    }

    // MARK: In-flight requests

    func register(_ call: InFlightCall) {
        state.withLock { $0.inflight[call.requestID] = call }
    }

    func unregister(_ call: InFlightCall) {
        state.withLock { s in
            if s.inflight[call.requestID] === call { s.inflight[call.requestID] = nil }
        }
    }

    /// Subscribes to an exposed URI; the provider hears of the first subscription only.
    func subscribe(_ uri: String, provider: any Provider, localURI: String) {
        let added = state.withLock { s -> Bool in
            guard s.subscriptions[uri] == nil else { return false }
            s.subscriptions[uri] = Subscription(provider: provider, localURI: localURI)
            return true
        }
        if added { provider.subscribe(uri: localURI) }
    }

    /// Releases a subscription where it was made; unknown URIs are ignored.
    func unsubscribe(_ uri: String) {
        let removed = state.withLock { $0.subscriptions.removeValue(forKey: uri) }
        if let removed { removed.provider.unsubscribe(uri: removed.localURI) }
    }

    /// `notifications/cancelled`: unknown ids are ignored.
    func cancel(_ id: RequestID) {
        let call = state.withLock { $0.inflight[id] }
        call?.cancel()
    }

    // MARK: Requests to the client

    /// Allocates an id for a server → client request and remembers its callback.
    func expectResponse(_ callback: @escaping @Sendable (Result<[UInt8], RPCError>) -> Void) -> RequestID {
        state.withLock { s in
            let id = RequestID(string: "manifold-\(s.nextRequestNumber)")
            s.nextRequestNumber += 1
            s.pending[id] = callback
            return id
        }
    }

    /// A response from the client to one of our requests.
    func resolve(_ id: RequestID, _ result: Result<[UInt8], RPCError>) {
        let callback = state.withLock { $0.pending.removeValue(forKey: id) }
        callback?(result)
    }
}
