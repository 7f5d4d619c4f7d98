/// Where a session's unsolicited messages go: list_changed, resource updates. Over stdio this
/// is stdout; over HTTP, the session's GET stream (or nowhere, when none is open).
public protocol OutboundSink: AnyObject, Sendable {
    /// Sends one complete JSON-RPC message (no framing).
    func send(_ message: [UInt8])
}

/// Where everything about one incoming message goes: related messages (progress, logs, server
/// requests) while it is served, then its response. Over HTTP each POST has its own.
public protocol ReplySink: AnyObject, Sendable {
    /// A message related to the request, sent before its response.
    func send(_ message: [UInt8])
    /// The response (nil when there is none: a notification, a response, a cancelled request).
    /// Called exactly once; nothing is sent afterwards.
    func finish(_ response: [UInt8]?)
    /// Whether a server→client request sent now through `send` can reach the client. When it
    /// cannot (an HTTP client that takes JSON only and has no GET stream open), the request is
    /// refused at once instead of waiting for an answer that cannot come.
    var carriesRequests: Bool { get }
}

extension ReplySink {
    /// Most sinks (stdio, an SSE answer, a runner's pipe) reach the client whenever it is there.
    public var carriesRequests: Bool { true }
}
