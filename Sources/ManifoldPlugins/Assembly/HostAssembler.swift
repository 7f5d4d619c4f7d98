import Foundation
import Logging
import ManifoldCore
import ManifoldManifest
import ManifoldProtocol

/// Turns a host manifest into a running composition tree: finds each mount's source (a plugin
/// by id in the plugin folders or by manifest path, a nested host manifest), loads it once
/// however often it is mounted, and translates mount options into core terms.
///
/// A source that fails to load becomes a `FailedProvider` with the reason, so one broken plugin
/// never stops the others; `problems` lists every such failure for `validate` and the log.
public final class HostAssembler {
    public struct Assembly: Sendable {
        public var tree: CompositionTree
        /// Load failures and manifest problems, each naming its source.
        public var problems: [String]
        /// Every plugin manifest found in the plugin folders, by id.
        public var discovered: [String: PluginManifest]
    }

    private let runtime: NativeRuntime
    private let logger: Logger
    /// The executable started as `<runner> runner <plugin-manifest>` for isolated plugins.
    private let runnerExecutable: String
    /// Providers loaded so far, by plugin manifest file (one instance per plugin).
    private var loaded: [String: any Provider] = [:]
    private var problems: [String] = []

    public init(runtime: NativeRuntime, logger: Logger, runnerExecutable: String) {
        self.runtime = runtime
        self.logger = logger
        self.runnerExecutable = runnerExecutable
    }

    public func assemble(_ manifest: HostManifest) -> Assembly {
        problems = []
        var discovered: [String: PluginManifest] = [:]
        let tree = composition(of: manifest, inheritedFolders: [], stack: [], discovered: &discovered)
        return Assembly(tree: tree, problems: problems, discovered: discovered)
    }

    private func composition(of manifest: HostManifest, inheritedFolders: [String], stack: [String],
                             discovered: inout [String: PluginManifest]) -> CompositionTree {
        let folders = manifest.pluginFolders + inheritedFolders.filter { !manifest.pluginFolders.contains($0) }
        let (plugins, errors) = ManifestLoader.discoverPlugins(in: manifest.pluginFolders)
        for error in errors { report("\(error)") }
        var byID: [String: PluginManifest] = [:]
        for plugin in plugins {
            if let existing = byID[plugin.id] {
                report("plugin id '\(plugin.id)' is declared twice: \(existing.file) and \(plugin.file); using the first")
                continue
            }
            byID[plugin.id] = plugin
        }
        for (id, plugin) in byID where discovered[id] == nil { discovered[id] = plugin }
        var mounts: [Mount] = []
        for spec in manifest.mounts {
            let label = Self.label(spec)
            let content: Mount.Content
            switch spec.source {
            case .plugin(let reference):
                content = .provider(plugin(reference, known: discovered, folders: folders, label: label))
            case .manifest(let path):
                if stack.contains(path) || path == manifest.file {
                    report("\(label): nested manifest \(path) includes itself")
                    content = .provider(FailedProvider(displayName: label, reason: "cyclic composition"))
                } else {
                    do {
                        let inner = try ManifestLoader.loadHost(path: path)
                        content = .composition(composition(of: inner, inheritedFolders: folders,
                                                           stack: stack + [manifest.file], discovered: &discovered))
                    } catch {
                        report("\(error)")
                        content = .provider(FailedProvider(displayName: label, reason: "\(error)"))
                    }
                }
            case .remoteCommand(let command, let args, let env, let cwd):
                let provider = RemoteProvider(
                    options: .init(displayName: label, callTimeout: spec.timeoutMs.map { Double($0) / 1000 }),
                    logger: logger,
                    transport: { StdioClientTransport(executable: command, arguments: args, environment: env, workingDirectory: cwd) })
                if case .failed(let reason) = provider.start(waitingUpTo: 15) { report("\(label): \(reason) (retrying in the background)") }
                content = .provider(provider)
            case .remoteURL, .mcpServers:
                let reason = "HTTP remotes and mcpServers mounts are not available in this build"
                report("\(label): \(reason)")
                content = .provider(FailedProvider(displayName: label, reason: reason))
            }
            let filter: TagFilter
            do {
                filter = try Self.filter(spec.filter)
            } catch {
                report("\(spec.location): \(error)")
                filter = TagFilter(expression: .tag("\u{0}never"))
            }
            mounts.append(Mount(content: content, prefix: spec.prefix,
                                mode: spec.mode == .import ? .snapshot : .live, filter: filter,
                                renames: spec.rename, addTags: Set(spec.addTags), label: label))
        }
        return CompositionTree(name: manifest.file, separator: manifest.separator, mounts: mounts,
                               onCollision: CompositionTree.CollisionPolicy(rawValue: manifest.onCollision.rawValue) ?? .error)
    }

    /// Loads (once) the plugin a mount names, by id or by manifest path.
    private func plugin(_ reference: String, known: [String: PluginManifest], folders: [String], label: String)
        -> any Provider
    {
        let manifest: PluginManifest
        if reference.contains("/") || reference.hasSuffix(".yaml") || reference.hasSuffix(".yml") || reference.hasSuffix(".json") {
            do {
                manifest = try ManifestLoader.loadPlugin(path: reference)
            } catch {
                report("\(error)")
                return FailedProvider(displayName: label, reason: "\(error)")
            }
        } else if let found = known[reference] {
            manifest = found
        } else {
            let reason = "no plugin with id '\(reference)' in the plugin folders (\(folders.isEmpty ? "none declared" : folders.joined(separator: ", ")))"
            report("\(label): \(reason)")
            return FailedProvider(displayName: label, reason: reason)
        }
        if let provider = loaded[manifest.file] { return provider }
        let provider: any Provider
        do {
            provider = try load(manifest)
            logger.info("loaded \(provider.displayName)", metadata: ["library": "\(manifest.library)"])
        } catch {
            report("\(error)")
            provider = FailedProvider(displayName: "plugin '\(manifest.id)'", reason: "\(error)")
        }
        loaded[manifest.file] = provider
        return provider
    }

    private func load(_ manifest: PluginManifest) throws(PluginLoadError) -> any Provider {
        switch (manifest.kind, manifest.effectiveExecution) {
        case (.plugin, .inProcess):
            return try NativePluginLoader.load(manifest, runtime: runtime, logger: logger)
        case (_, .isolated):
            return isolated(manifest)
        case (.ffi, .inProcess):
            throw PluginLoadError(pluginID: manifest.id, library: manifest.library,
                                  reason: .unsupported("ffi plugins are not available in this build"))
        }
    }

    /// An isolated plugin: a runner child process serving it over stdio, proxied as a remote
    /// server, restarted with backoff, given up after a crash loop.
    private func isolated(_ manifest: PluginManifest) -> any Provider {
        var arguments = ["runner", manifest.file]
        if let mb = manifest.limits.addressSpaceMB { arguments += ["--address-space-mb", String(mb)] }
        if let seconds = manifest.limits.cpuSeconds { arguments += ["--cpu-seconds", String(seconds)] }
        var options = RemoteProvider.Options(displayName: "plugin '\(manifest.id)' (isolated)",
                                             callTimeout: manifest.limits.callTimeoutMs.map { Double($0) / 1000 })
        options.crashLoopLimit = 5
        let executable = runnerExecutable
        let runnerArguments = arguments
        let provider = RemoteProvider(options: options, logger: logger) {
            StdioClientTransport(executable: executable, arguments: runnerArguments)
        }
        if case .failed(let reason) = provider.start(waitingUpTo: 15) {
            report("plugin '\(manifest.id)' (isolated): \(reason)")
        }
        return provider
    }

    private func report(_ problem: String) {
        problems.append(problem)
        logger.error("\(problem)")
    }

    /// The core filter for a manifest's filter spec.
    public static func filter(_ spec: TagFilterSpec) throws(TagExpressionError) -> TagFilter {
        TagFilter(include: Set(spec.includeTags), exclude: Set(spec.excludeTags),
                  expression: try spec.expression.map { (text) throws(TagExpressionError) in try TagExpression.parse(text) })
    }

    /// How a mount is named in `inspect` and errors.
    static func label(_ spec: MountSpec) -> String {
        let file = URL(fileURLWithPath: spec.location.file).lastPathComponent
        let at = "\(file):\(spec.location.line)"
        switch spec.source {
        case .plugin(let reference): return "plugin '\(URL(fileURLWithPath: reference).lastPathComponent)' (\(at))"
        case .manifest(let path): return "manifest '\(URL(fileURLWithPath: path).lastPathComponent)' (\(at))"
        case .remoteCommand(let command, _, _, _): return "remote '\(command)' (\(at))"
        case .remoteURL(let url, _, _, _): return "remote '\(url)' (\(at))"
        case .mcpServers(let path): return "mcpServers '\(URL(fileURLWithPath: path).lastPathComponent)' (\(at))"
        }
    }
}
