import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `manifold` command: serve, inspect, validate and call compositions of plugins.
@main
struct Manifold: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifold",
        abstract: "Compose tool-set plugins and MCP servers into one Model Context Protocol endpoint.",
        version: "0.1.0",
        subcommands: [Serve.self, Inspect.self, Validate.self, Call.self, Runner.self],
        defaultSubcommand: nil
    )

    /// A write to a pipe whose reader is gone — a remote server or runner that died, a client
    /// that left — must fail with EPIPE where it is made (the transport then reports the peer
    /// gone), not kill the whole host with SIGPIPE. Children inherit the ignored disposition
    /// (exec keeps it, and Foundation's Process does not reset it): a remote server or runner
    /// whose host is gone sees EPIPE on stdout and EOF on stdin, and ends on either.
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        main(nil)
    }
}
