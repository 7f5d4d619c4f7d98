/// Carries JSON-RPC messages between the host (as an MCP client) and one backend: a child
/// process over stdio, or an HTTP server (Streamable HTTP, or the legacy HTTP+SSE transport).
/// One message per `send`; incoming messages arrive on the transport's own thread (stdio: its
/// reader thread; HTTP: the connection's event loop), in order per stream.
public protocol ClientTransport: AnyObject, Sendable {
    /// Starts the transport. `onMessage` receives each message, with the id of the request it
    /// arrived in answer to when the transport knows it (a Streamable HTTP POST's SSE stream
    /// carries the progress, logs and server→client requests of that request; stdio and the
    /// legacy SSE stream carry no such link: nil). `onClose` is called once when the transport
    /// ends for any reason (process exit, connection lost, session ended, `close()`), with a
    /// reason a user can read ("'python3' exited with status 1", "cannot connect to
    /// 127.0.0.1:8000: connection refused"). Throws when it cannot start at all.
    func start(onMessage: @escaping @Sendable ([UInt8], _ relatedRequestID: Int?) -> Void,
               onClose: @escaping @Sendable (String) -> Void) throws
    /// Sends one message; `requestID` is its id when it is a request the host expects an answer
    /// to (nil for notifications and responses). Messages sent after close are dropped.
    func send(_ message: [UInt8], requestID: Int?)
    /// The protocol version the backend accepted in `initialize` (Streamable HTTP sends it as
    /// `MCP-Protocol-Version` on every later request).
    func negotiated(protocolVersion: String)
    /// Ends the transport (terminates a child process; ends an HTTP session).
    func close()
}

extension ClientTransport {
    public func negotiated(protocolVersion: String) {}
}

/// Why a transport could not start.
public struct ClientTransportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
