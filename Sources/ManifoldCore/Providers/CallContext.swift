import ManifoldProtocol

/// What a provider can do for the client while it serves one request: report progress, send
/// log messages, learn of cancellation, and ask the client things (sampling, elicitation,
/// roots). The session layer implements it for each in-flight request; everything here is safe
/// to call from any thread and harmless after the request finished.
public protocol CallContext: AnyObject, Sendable {
    /// True once the client cancelled the request.
    var isCancelled: Bool { get }

    /// The `_meta` object the client sent with the request (JSON bytes), if any. Passed through
    /// untouched to plugins and remote servers.
    var meta: ArraySlice<UInt8>? { get }

    /// Runs `handler` when the client cancels (at once if it already has).
    func onCancel(_ handler: @escaping @Sendable () -> Void)

    /// Sends `notifications/progress` if the client asked for progress and `progress` is
    /// greater than the last value sent.
    func progress(_ progress: Double, total: Double?, message: String?)

    /// Sends `notifications/message` if `level` passes the client's threshold. `data` is JSON.
    func log(_ level: LogLevel, logger: String?, data: [UInt8])

    /// Sends a request to the client (`sampling/createMessage`, `elicitation/create`,
    /// `roots/list`) on this request's stream. Returns false, without calling `completion`,
    /// when the client did not declare the capability the method needs.
    func request(method: String, params: [UInt8],
                 completion: @escaping @Sendable (Result<[UInt8], RPCError>) -> Void) -> Bool
}

/// A context for work without a client (one-shot `manifold call`, discovery, tests).
public final class DetachedCallContext: CallContext {
    public init() {}
    public var isCancelled: Bool { false }
    public var meta: ArraySlice<UInt8>? { nil }
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {}
    public func progress(_ progress: Double, total: Double?, message: String?) {}
    public func log(_ level: LogLevel, logger: String?, data: [UInt8]) {}
    public func request(method: String, params: [UInt8],
                        completion: @escaping @Sendable (Result<[UInt8], RPCError>) -> Void) -> Bool { false }
}
