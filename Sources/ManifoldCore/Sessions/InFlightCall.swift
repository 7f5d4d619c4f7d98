import ManifoldProtocol
import Synchronization

/// One request being served by a provider: the `CallContext` the provider sees, and the rules
/// around it — progress only while live and strictly increasing, logs filtered by the client's
/// level, requests to the client only with the matching capability, cancellation, and exactly
/// one response (none if cancelled).
final class InFlightCall: CallContext {
    let requestID: RequestID
    private let session: Session
    private let reply: any ReplySink
    private let progressToken: [UInt8]?
    let meta: ArraySlice<UInt8>?
    /// Applied to a successful result before it is sent (e.g. URI rewriting for prefixed
    /// resources). Nil on the hot path.
    private let transform: (@Sendable ([UInt8]) -> [UInt8])?

    private struct State {
        var finished = false
        var cancelled = false
        /// In the session's table of calls in flight (see `registerIfLive`).
        var registered = false
        var lastProgress = -Double.infinity
        var cancelHandlers: [@Sendable () -> Void] = []
    }
    private let state = Mutex(State())

    init(requestID: RequestID, session: Session, reply: any ReplySink, meta: ArraySlice<UInt8>?,
         progressToken: [UInt8]?, transform: (@Sendable ([UInt8]) -> [UInt8])? = nil) {
        self.requestID = requestID
        self.session = session
        self.reply = reply
        self.meta = meta
        self.progressToken = progressToken
        self.transform = transform
    }

    /// Called once the provider took the call: puts it in the session's table of calls in
    /// flight (where `notifications/cancelled` and the session's end find it) unless it already
    /// finished — as a non-blocking plugin's call run inline has, which then costs the session
    /// no table update at all. Under the call's lock, so `finish` sees the registration.
    func registerIfLive() {
        state.withLock { s in
            guard !s.finished else { return }
            s.registered = true
            session.register(self)
        }
    }

    /// Delivers the provider's outcome as the response. Later calls are ignored.
    func finish(_ outcome: CallOutcome) {
        let settled: (cancelled: Bool, registered: Bool)? = state.withLock { s in
            if s.finished { return nil }
            s.finished = true
            return (s.cancelled, s.registered)
        }
        guard let (cancelled, registered) = settled else { return }
        if registered { session.unregister(self) }
        if cancelled {
            reply.finish(nil)
            return
        }
        switch outcome {
        case .result(let bytes):
            reply.finish(RPCMessage.response(id: requestID, result: transform.map { $0(bytes) } ?? bytes))
        case .failure(let error):
            reply.finish(RPCMessage.error(error, id: requestID))
        case .cancelled:
            reply.finish(nil)
        }
    }

    /// The client cancelled: run the provider's hooks; the response will not be sent.
    func cancel() {
        let handlers: [@Sendable () -> Void] = state.withLock { s in
            if s.finished || s.cancelled { return [] }
            s.cancelled = true
            let handlers = s.cancelHandlers
            s.cancelHandlers = []
            return handlers
        }
        for handler in handlers { handler() }
    }

    // MARK: CallContext

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s -> Bool in
            if s.cancelled { return true }
            if !s.finished { s.cancelHandlers.append(handler) }
            return false
        }
        if runNow { handler() }
    }

    func progress(_ progress: Double, total: Double?, message: String?) {
        guard let progressToken, progress.isFinite else { return }
        let live = state.withLock { s -> Bool in
            guard !s.finished, !s.cancelled, progress > s.lastProgress else { return false }
            s.lastProgress = progress
            return true
        }
        guard live else { return }
        var w = JSONWriter(capacity: 128)
        w.raw("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":")
        w.raw(progressToken)
        w.raw(",\"progress\":")
        w.double(progress)
        if let total, total >= 0, total.isFinite {
            w.raw(",\"total\":")
            w.double(total)
        }
        if let message, !message.isEmpty {
            w.raw(",\"message\":")
            w.string(message)
        }
        w.raw("}}")
        reply.send(w.bytes)
    }

    func log(_ level: LogLevel, logger: String?, data: [UInt8]) {
        guard session.accepts(level), state.withLock({ !$0.finished }) else { return }
        guard data.withUnsafeBytes({ JSONValue.isValid($0) }) else { return }
        var w = JSONWriter(capacity: 96 + data.count)
        w.raw("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":")
        w.string(level.name)
        if let logger, !logger.isEmpty {
            w.raw(",\"logger\":")
            w.string(logger)
        }
        w.raw(",\"data\":")
        w.raw(data)
        if session.tagsRelatedMessages, let progressToken {
            w.raw(",\"_meta\":{\"io.manifold/progressToken\":")
            w.raw(progressToken)
            w.raw("}")
        }
        w.raw("}}")
        reply.send(w.bytes)
    }

    func request(method: String, params: [UInt8],
                 completion: @escaping @Sendable (Result<[UInt8], RPCError>) -> Void) -> Bool {
        let capability: String
        switch method {
        case MCPMethod.samplingCreateMessage: capability = "sampling"
        case MCPMethod.elicitationCreate: capability = "elicitation"
        case MCPMethod.rootsList: capability = "roots"
        default: return false
        }
        guard session.clientSupports(capability), reply.carriesRequests, state.withLock({ !$0.finished }) else {
            return false
        }
        if method == MCPMethod.elicitationCreate, let version = session.protocolVersion, version < .v2025_06_18 {
            return false
        }
        guard var object = (try? JSONValue.parse(params))?.objectValue else { return false }
        if session.tagsRelatedMessages, let progressToken, let token = try? JSONValue.parse(progressToken) {
            var meta = object["_meta"]?.objectValue ?? [:]
            meta["io.manifold/progressToken"] = token
            object["_meta"] = .object(meta)
        }
        let id = session.expectResponse(completion)
        reply.send(RPCMessage.request(id: id, method: method, params: JSONValue.object(object).serialized()))
        return true
    }
}
