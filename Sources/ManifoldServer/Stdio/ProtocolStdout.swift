#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps stdout for the protocol (DESIGN.md §3): takes a private duplicate of fd 1 for MCP
/// frames, then points fd 1 at stderr, so anything else that writes to stdout — a plugin's
/// `printf`, a library's banner — lands in the log instead of corrupting the stream.
/// Call once, before any plugin is loaded.
public enum ProtocolStdout {
    /// Returns the descriptor that now carries the protocol.
    public static func claim() -> Int32 {
        fflush(nil)
        let protocolFD = dup(STDOUT_FILENO)
        precondition(protocolFD >= 0, "cannot duplicate stdout")
        _ = fcntl(protocolFD, F_SETFD, FD_CLOEXEC)
        dup2(STDERR_FILENO, STDOUT_FILENO)
        return protocolFD
    }
}
