import ArgumentParser
import Logging

/// Options every command that loads a host manifest shares.
struct HostOptions: ParsableArguments {
    @Argument(help: "The host manifest (YAML or JSON).")
    var manifest: String

    @Option(name: .long, help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .warning

    @Option(name: .long, help: "Worker threads for plugin calls (default: max(4, 2 × cores)).")
    var threads: Int?
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
