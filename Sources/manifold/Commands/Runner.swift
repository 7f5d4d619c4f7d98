import ArgumentParser
import Foundation
import Logging
import ManifoldCore
import ManifoldManifest
import ManifoldPlugins
import ManifoldProtocol
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

    // Hot reload and discovery (docs/RELOAD.md).
    @Flag(help: "Load, initialize and list the plugin, print a one-line JSON summary and exit (host discovery).")
    var discover = false

    @Option(help: "Load this library file instead of the one the manifest names (a content-addressed copy).")
    var library: String?

    func run() throws {
        let protocolFD = ProtocolStdout.claim()
        Self.defaultSignals()
        LogSetup.bootstrap(level: logLevel)
        var logger = Logger(label: "manifold.runner")
        if let mb = addressSpaceMb { Self.limit(RLIMIT_AS, UInt(mb) << 20) }
        // The hard CPU limit one second later: SIGXCPU (named in the host's error) comes first,
        // not an anonymous SIGKILL.
        if let seconds = cpuSeconds { Self.limit(RLIMIT_CPU, UInt(seconds), hard: UInt(seconds) + 1) }
        var plugin: PluginManifest
        do {
            plugin = try ManifestLoader.loadPlugin(path: manifest)
        } catch {
            throw CommandFailure("\(error)")
        }
        logger[metadataKey: "plugin"] = "\(plugin.id)"
        plugin.execution = .inProcess
        if let library { plugin.library = library }
        let provider: any Provider
        do {
            switch plugin.kind {
            case .plugin:
                provider = try NativePluginLoader.load(plugin, runtime: NativeRuntime(), logger: logger)
            case .ffi:
                // A crash in a C function (a wrong signature in the manifest) ends this process
                // at once, naming the function; the host restarts it.
                FFIPluginLoader.installCrashReporter()
                provider = try FFIPluginLoader.load(plugin, runtime: NativeRuntime(), logger: logger)
            }
        } catch {
            if discover { Self.discoveryRefused(error, output: protocolFD) }
            throw CommandFailure("\(error)")
        }
        if discover { return Self.discoverySummary(provider, plugin: plugin, output: protocolFD) }
        let tree = CompositionTree(name: plugin.file, mounts: [Mount(content: .provider(provider), label: provider.displayName)])
        let composition = try HostComposition(tree: tree, pageSize: 10_000, logger: logger)
        let dispatcher = Dispatcher(identity: ServerIdentity(name: "manifold-runner:\(plugin.id)", version: plugin.version ?? "0"),
                                    logger: logger)
        StdioEndpoint(dispatcher: dispatcher, view: composition.view(filter: .all, tagsInMeta: true), output: protocolFD, logger: logger,
                      tagsRelatedMessages: true).run()
    }

    /// The resource-limit signals do their default (end the process, named by the host), even if
    /// the host ignored or blocked them when it started this process.
    private static func defaultSignals() {
        for number in [SIGXCPU, SIGXFSZ] { signal(number, SIG_DFL) }
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
    }

    private static func limit(_ resource: __rlimit_resource, _ value: UInt, hard: UInt? = nil) {
        var limit = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(hard ?? value))
        setrlimit(__rlimit_resource_t(resource.rawValue), &limit)
    }
}

// MARK: Discovery (docs/RELOAD.md): `manifold runner --discover <plugin-manifest>`

extension Runner {
    /// Exit 0 with `{"ok":true,"id":…,"sha256":…,"tools":n,…}`: the plugin loaded, initialized and listed.
    static func discoverySummary(_ provider: any Provider, plugin: PluginManifest, output: Int32) {
        let catalog = provider.catalog()
        var summary: JSONObject = ["ok": true, "id": .string(plugin.id)]
        if let native = provider as? NativePlugin { summary["sha256"] = .string(native.image.sha256) }
        for kind in ComponentKind.allCases { summary[kind.listField] = .int(catalog[kind].count) }
        TextOutput(fd: output).line(JSONValue.object(summary).jsonText)
    }

    /// Exit 2 with `{"ok":false,"error":…}`: the plugin was refused without crashing.
    static func discoveryRefused(_ error: any Error, output: Int32) -> Never {
        TextOutput(fd: output).line(JSONValue.object(["ok": false, "error": .string("\(error)")]).jsonText)
        Glibc.exit(2)
    }
}
