/// Carries JSON-RPC messages between the host (as an MCP client) and one backend: a child
/// process over stdio, or an HTTP server. One message per `send`; incoming messages arrive on
/// the transport's own thread, in order.
public protocol ClientTransport: AnyObject, Sendable {
    /// Starts the transport. `onMessage` receives each message; `onClose` is called once when
    /// the transport ends for any reason (process exit, connection loss, `close()`), with a
    /// reason a user can read ("exited with status 1", "killed by signal 11 (SIGSEGV)").
    func start(onMessage: @escaping @Sendable ([UInt8]) -> Void,
               onClose: @escaping @Sendable (String) -> Void) throws
    /// Sends one message. Messages sent after close are dropped.
    func send(_ message: [UInt8])
    /// Ends the transport (terminates a child process).
    func close()
}
