import ArgumentParser
import Foundation
import Logging
import ManifoldCore
import ManifoldManifest
import ManifoldPlugins
import ManifoldServer

#if canImport(Glibc)
import Glibc
#endif

/// `manifold runner <plugin-manifest>` (hidden): the child process of an isolated plugin
/// (DESIGN.md §3). Applies the plugin's resource limits to itself, loads the one plugin
/// in-process and serves it over stdio to the host, which proxies to it as an MCP client. A
/// crash here costs only this plugin's in-flight calls.
struct Runner: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve one plugin over stdio for an isolating host (internal).", shouldDisplay: false)

    @Argument(help: "The plugin manifest.")
    var manifest: String

    @Option(help: "Address-space limit in MiB.")
    var addressSpaceMb: Int?

    @Option(help: "CPU-time limit in seconds.")
    var cpuSeconds: Int?

    @Option(name: .long, help: "Log level on stderr.")
    var logLevel: Logger.Level = .warning

    func run() throws {
        let protocolFD = ProtocolStdout.claim()
        LogSetup.bootstrap(level: logLevel)
        var logger = Logger(label: "manifold.runner")
        if let mb = addressSpaceMb { Self.limit(RLIMIT_AS, UInt(mb) << 20) }
        if let seconds = cpuSeconds { Self.limit(RLIMIT_CPU, UInt(seconds)) }
        var plugin: PluginManifest
        do {
            plugin = try ManifestLoader.loadPlugin(path: manifest)
        } catch {
            throw CommandFailure("\(error)")
        }
        logger[metadataKey: "plugin"] = "\(plugin.id)"
        plugin.execution = .inProcess
        let provider: any Provider
        do {
            provider = try NativePluginLoader.load(plugin, runtime: NativeRuntime(), logger: logger)
        } catch {
            throw CommandFailure("\(error)")
        }
        let tree = CompositionTree(name: plugin.file, mounts: [Mount(content: .provider(provider), label: provider.displayName)])
        let composition = try HostComposition(tree: tree, pageSize: 10_000, logger: logger)
        let dispatcher = Dispatcher(identity: ServerIdentity(name: "manifold-runner:\(plugin.id)", version: plugin.version ?? "0"),
                                    logger: logger)
        StdioEndpoint(dispatcher: dispatcher, view: composition.view(filter: .all), output: protocolFD, logger: logger,
                      tagsRelatedMessages: true).run()
    }

    private static func limit(_ resource: __rlimit_resource, _ value: UInt) {
        var limit = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
        setrlimit(__rlimit_resource_t(resource.rawValue), &limit)
    }
}
