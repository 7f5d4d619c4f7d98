import ArgumentParser

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
}
