import Foundation
import Logging
import ManifoldCore
import ManifoldManifest
import ManifoldProtocol

/// Turns a host manifest into a running composition tree: finds each mount's source (a plugin
/// by id in the plugin folders or by manifest path, a nested host manifest, every plugin of a
/// drop-in folder), loads it once however often it is mounted, and translates mount options
/// into core terms.
///
/// A source that fails to load becomes a `FailedProvider` with the reason, so one broken plugin
/// never stops the others; `problems` lists every such failure for `validate` and the log.
///
/// The assembler keeps what it loaded across assemblies (docs/RELOAD.md, decision 5): assembling
/// again — after a file changed, on SIGHUP — reuses every plugin whose manifest and library
/// content are unchanged (the same provider object, so the composition and its calls in flight
/// are untouched), reloads side by side those whose manifest or library changed (the same
/// `ReloadableProvider`, with a new instance behind it), and hands back through
/// `takeUnreferenced()` what the new tree no longer uses, to be drained and stopped.
/// Use it from one thread at a time.
public final class HostAssembler: @unchecked Sendable {
    public struct Assembly: Sendable {
        public var tree: CompositionTree
        /// Load failures and manifest problems, each naming its source.
        public var problems: [String]
        /// Every plugin manifest found in the plugin folders, by id.
        public var discovered: [String: PluginManifest]
        /// The folders and files whose change may change this assembly.
        public var watch: WatchPlan
    }

    private let runtime: NativeRuntime
    private let logger: Logger
    /// The executable started as `<runner> runner <plugin-manifest>` for isolated plugins.
    private let runnerExecutable: String
    public let cache: LibraryCache
    /// Vets libraries the host has not seen in a runner before they are loaded in-process.
    public let discovery: DiscoveryGate
    /// Seconds a replaced or unmounted plugin instance gets to finish its calls.
    public var drainDeadline: Double = 10
    private let hashes = FileHashes()

    /// A plugin loaded for one manifest file and execution mode.
    private struct LoadedPlugin {
        var provider: ReloadableProvider
        /// The manifest and library content the current state was made from.
        var manifest: PluginManifest
        var sha256: String?
        /// The problem to report again on every assembly while it lasts.
        var problem: String?
    }
    private var plugins: [String: LoadedPlugin] = [:]
    /// Remote servers, by their command line (and occurrence, so two mounts stay two processes).
    private var remotes: [String: ReloadableProvider] = [:]
    private var referencedPlugins: Set<String> = []
    private var referencedRemotes: Set<String> = []
    private var remoteOccurrences: [String: Int] = [:]
    /// Remote servers started by this assembly, waited for together at its end.
    private var remoteStarts: [(label: String, settled: @Sendable (Double) -> ProviderHealth)] = []
    private var problems: [String] = []
    private var previousProblems: Set<String> = []
    private var watch = WatchPlan()
    private var discoveryEnabled = true

    public init(runtime: NativeRuntime, logger: Logger, runnerExecutable: String,
                cache: LibraryCache = .shared, discovery: DiscoveryGate? = nil) {
        self.runtime = runtime
        self.logger = logger
        self.runnerExecutable = runnerExecutable
        self.cache = cache
        self.discovery = discovery ?? DiscoveryGate(cache: cache, runnerExecutable: runnerExecutable, logger: logger)
    }

    public func assemble(_ manifest: HostManifest) -> Assembly {
        problems = []
        watch = WatchPlan()
        referencedPlugins = []
        referencedRemotes = []
        remoteOccurrences = [:]
        discoveryEnabled = manifest.discovery == .runner
        var discovered: [String: PluginManifest] = [:]
        let tree = composition(of: manifest, inheritedFolders: [], stack: [], discovered: &discovered)
        awaitRemoteStarts()
        previousProblems = Set(problems)
        return Assembly(tree: tree, problems: problems, discovered: discovered, watch: watch)
    }

    /// Providers loaded by earlier assemblies that the last one did not use: they are forgotten
    /// here, and the caller retires them (after installing the new tree).
    public func takeUnreferenced() -> [any Provider] {
        var gone: [any Provider] = []
        for (key, entry) in plugins where !referencedPlugins.contains(key) {
            gone.append(entry.provider)
            plugins[key] = nil
        }
        for (key, remote) in remotes where !referencedRemotes.contains(key) {
            gone.append(remote)
            remotes[key] = nil
        }
        return gone
    }

    private func composition(of manifest: HostManifest, inheritedFolders: [String], stack: [String],
                             discovered: inout [String: PluginManifest]) -> CompositionTree {
        watch.file(manifest.file)
        let folders = manifest.pluginFolders + inheritedFolders.filter { !manifest.pluginFolders.contains($0) }
        for folder in manifest.pluginFolders { watch.pluginFolder(folder) }
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
                watch.file(path)
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
                content = .provider(remote(spec, label: label) {
                    StdioClientTransport(executable: command, arguments: args, environment: env, workingDirectory: cwd)
                })
            case .remoteURL(let url, let headers, let tokenEnv, let sse, let tls):
                content = .provider(remote(spec, label: label, transport: Self.httpTransport(
                    url: url, headers: headers, bearerTokenEnv: tokenEnv, sse: sse, tls: tls)))
            case .mcpServers(let path):
                content = mcpServers(spec, path: path, label: label, in: manifest)
            }
            let filter: TagFilter
            do {
                filter = try Self.filter(spec.filter)
            } catch {
                report("\(spec.location): \(error)")
                filter = TagFilter(expression: .tag("\u{0}never"))
            }
            var mount = Mount(content: content, prefix: spec.prefix,
                              mode: spec.mode == .import ? .snapshot : .live, filter: filter,
                              renames: spec.rename, descriptions: spec.descriptions, addTags: Set(spec.addTags), label: label)
            mount.tools = ToolSelection(allow: spec.tools.allow, deny: spec.tools.deny)
            mount.fixedArguments = spec.fixedArguments
            mounts.append(mount)
        }
        mounts += dropInMounts(manifest)
        return CompositionTree(name: manifest.file, separator: manifest.separator, mounts: mounts,
                               onCollision: CompositionTree.CollisionPolicy(rawValue: manifest.onCollision.rawValue) ?? .error)
    }

    /// One mount per plugin manifest found in each drop-in folder, after the manifest's mounts.
    private func dropInMounts(_ manifest: HostManifest) -> [Mount] {
        var mounts: [Mount] = []
        for rule in manifest.dropIns {
            watch.pluginFolder(rule.folder)
            let (found, errors) = ManifestLoader.discoverPlugins(in: [rule.folder])
            for error in errors { report("\(rule.location): drop-in folder: \(error)") }
            let filter: TagFilter
            do {
                filter = try Self.filter(rule.filter)
            } catch {
                report("\(rule.location): \(error)")
                continue
            }
            let folderName = URL(fileURLWithPath: rule.folder).lastPathComponent
            for plugin in found {
                let relative = plugin.file.hasPrefix(rule.folder + "/") ? String(plugin.file.dropFirst(rule.folder.count + 1)) : plugin.file
                let label = "drop-in '\(relative)' (\(folderName))"
                let provider = load(plugin, executionOverride: rule.execution, label: label)
                mounts.append(Mount(content: .provider(provider), prefix: rule.prefix(for: plugin.id),
                                    mode: rule.mode == .import ? .snapshot : .live, filter: filter,
                                    addTags: Set(rule.addTags), label: label))
            }
        }
        return mounts
    }

    /// Loads (once) the plugin a mount names, by id or by manifest path.
    private func plugin(_ reference: String, known: [String: PluginManifest], folders: [String], label: String)
        -> any Provider
    {
        let manifest: PluginManifest
        if reference.contains("/") || reference.hasSuffix(".yaml") || reference.hasSuffix(".yml") || reference.hasSuffix(".json") {
            watch.file(reference)
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
        return load(manifest, executionOverride: nil, label: label)
    }

    /// The provider of one plugin manifest: the cached one when its manifest and library are
    /// unchanged, the cached one reloaded side by side when either changed, or a new one.
    private func load(_ manifest: PluginManifest, executionOverride: ExecutionMode?, label: String) -> any Provider {
        var manifest = manifest
        if let executionOverride { manifest.execution = executionOverride }
        let key = manifest.file + "|" + manifest.effectiveExecution.rawValue
        referencedPlugins.insert(key)
        watch.file(manifest.file)
        let libraryFile = LibraryLocator.candidates(for: manifest).first { FileManager.default.fileExists(atPath: $0) }
        if let libraryFile { watch.file(libraryFile) }
        let sha = libraryFile.flatMap(hashes.sha256(of:))

        if var entry = plugins[key] {
            if entry.manifest == manifest && entry.sha256 == sha {
                if let problem = entry.problem { report(problem) }
                return entry.provider
            }
            let reloadable = entry.provider
            do {
                let next = try loadInstance(manifest, reloading: true)
                reloadable.replace(with: next)
                logger.info("reloaded \(next.displayName)", metadata: ["library": "\(libraryFile ?? manifest.library)", "sha256": "\(sha ?? "-")"])
                entry.problem = nil
            } catch {
                if reloadable.current is FailedProvider {
                    reloadable.replace(with: FailedProvider(displayName: "plugin '\(manifest.id)'", reason: "\(error)"))
                    entry.problem = "\(error)"
                } else {
                    let problem = "\(error) — the previous build keeps serving"
                    reloadable.reloadFailed("\(error)")
                    entry.problem = problem
                }
                report(entry.problem!)
            }
            entry.manifest = manifest
            entry.sha256 = sha
            plugins[key] = entry
            return reloadable
        }

        let provider: any Provider
        var problem: String?
        do {
            provider = try loadInstance(manifest, reloading: false)
            logger.info("loaded \(provider.displayName)", metadata: ["library": "\(manifest.library)"])
        } catch {
            problem = "\(error)"
            report("\(error)")
            provider = FailedProvider(displayName: "plugin '\(manifest.id)'", reason: "\(error)")
        }
        let reloadable = ReloadableProvider(provider, drainDeadline: drainDeadline, logger: logger)
        plugins[key] = LoadedPlugin(provider: reloadable, manifest: manifest, sha256: sha, problem: problem)
        return reloadable
    }

    /// One new instance of a plugin.
    private func loadInstance(_ manifest: PluginManifest, reloading: Bool) throws(PluginLoadError) -> any Provider {
        switch (manifest.kind, manifest.effectiveExecution) {
        case (.plugin, .inProcess):
            let image = try NativePluginLoader.prepare(manifest, cache: cache)
            if discoveryEnabled { try discovery.vet(manifest, image: image) }
            return try NativePluginLoader.load(manifest, runtime: runtime, logger: logger, image: image, cache: cache)
        case (.ffi, .isolated):
            // Entry mistakes are found here, with their names, rather than as a runner that
            // keeps exiting; the library itself is only ever opened by the runner.
            try FFIPluginLoader.validate(manifest)
            return try isolated(manifest, reloading: reloading)
        case (_, .isolated):
            return try isolated(manifest, reloading: reloading)
        case (.ffi, .inProcess):
            return try FFIPluginLoader.load(manifest, runtime: runtime, logger: logger)
        }
    }

    /// An isolated plugin: a runner child process serving it over stdio, proxied as a remote
    /// server, restarted with backoff, given up after a crash loop. A reload starts a new runner
    /// (which loads the new files) and keeps the old one unless the new one comes up.
    private func isolated(_ manifest: PluginManifest, reloading: Bool) throws(PluginLoadError) -> any Provider {
        var arguments = ["runner", manifest.file]
        if let mb = manifest.limits.addressSpaceMB { arguments += ["--address-space-mb", String(mb)] }
        if let seconds = manifest.limits.cpuSeconds { arguments += ["--cpu-seconds", String(seconds)] }
        var options = RemoteProvider.Options(displayName: "plugin '\(manifest.id)' (isolated)",
                                             callTimeout: manifest.limits.callTimeoutMs.map { Double($0) / 1000 })
        options.crashLoopLimit = 5
        let executable = runnerExecutable
        let runnerArguments = arguments
        // A crashing plugin should fail its calls at once: a short backtrace (addresses only)
        // instead of a symbolicated one, which takes seconds. SWIFT_BACKTRACE set by the user wins.
        var environment: [String: String] = [:]
        if ProcessInfo.processInfo.environment["SWIFT_BACKTRACE"] == nil { environment["SWIFT_BACKTRACE"] = "symbolicate=off" }
        let runnerEnvironment = environment
        let provider = RemoteProvider(options: options, logger: logger) {
            StdioClientTransport(executable: executable, arguments: runnerArguments, environment: runnerEnvironment)
        }
        if case .failed(let reason) = provider.start(waitingUpTo: 15) {
            if reloading {
                provider.stop()
                throw PluginLoadError(pluginID: manifest.id, library: manifest.library,
                                      reason: .unsupported("the new runner did not start: \(reason)"))
            }
            report("plugin '\(manifest.id)' (isolated): \(reason)")
        }
        return provider
    }

    /// A remote server, started once and kept across assemblies while the same mount is there.
    private func remote(_ spec: MountSpec, label: String, transport: @escaping @Sendable () -> any ClientTransport) -> any Provider {
        remote(key: "\(spec.source)|\(spec.timeoutMs.map(String.init) ?? "-")", timeoutMs: spec.timeoutMs,
               label: label, endpoint: Self.endpointDescription(spec.source), transport: transport)
    }

    // MARK: Remote servers and mcpServers groups (the server mesh; docs/MESH.md)

    /// A remote server by cache key: reused while an equal mount is there, else started in the
    /// background (every server of the assembly starts at once; `assemble` waits for them together).
    private func remote(key base: String, timeoutMs: Int?, label: String, endpoint: String,
                        transport: @escaping @Sendable () -> any ClientTransport) -> any Provider {
        let occurrence = remoteOccurrences[base, default: 0]
        remoteOccurrences[base] = occurrence + 1
        let key = "\(base)#\(occurrence)"
        referencedRemotes.insert(key)
        if let existing = remotes[key] { return existing }
        var options = RemoteProvider.Options(displayName: label, callTimeout: timeoutMs.map { Double($0) / 1000 })
        options.endpoint = endpoint
        let provider = RemoteProvider(options: options, logger: logger, transport: transport)
        remoteStarts.append((label, provider.startInBackground()))
        // Wrapped so that a mount removed by a manifest reload drains before the server is stopped.
        let reloadable = ReloadableProvider(provider, drainDeadline: drainDeadline, logger: logger)
        remotes[key] = reloadable
        return reloadable
    }

    /// Waits (15 s at most in all) for the remote servers this assembly started to be listed or
    /// to fail; a failure is reported, and the server keeps retrying in the background.
    private func awaitRemoteStarts() {
        let deadline = DispatchTime.now() + 15
        for start in remoteStarts {
            let left = Double(Int64(deadline.uptimeNanoseconds) - Int64(DispatchTime.now().uptimeNanoseconds)) / 1e9
            switch start.settled(left) {
            case .failed(let reason): report("\(start.label): \(reason) (retrying in the background)")
            case .starting: report("\(start.label): still starting after 15s (it keeps trying in the background)")
            case .ready: break
            }
        }
        remoteStarts = []
    }

    /// The transport factory of an HTTP remote (called on every (re)connection).
    static func httpTransport(url: String, headers: [String: String], bearerTokenEnv: String?, sse: Bool, tls: RemoteTLS?)
        -> @Sendable () -> any ClientTransport
    {
        let configuration = HTTPClientConfiguration(url: url, headers: headers, bearerTokenEnv: bearerTokenEnv, tls: tls)
        if sse { return { LegacySSEClientTransport(configuration: configuration) } }
        return { StreamableHTTPClientTransport(configuration: configuration) }
    }

    /// What a remote is, for `inspect`: its command line or URL (never headers or tokens).
    static func endpointDescription(_ source: MountSource) -> String {
        switch source {
        case .remoteCommand(let command, let args, _, _): return ([command] + args).joined(separator: " ")
        case .remoteURL(let url, _, _, let sse, _): return sse ? "\(url) (legacy SSE)" : url
        default: return ""
        }
    }

    /// An `mcpServers` file as a nested composition: one mount per server, its key as prefix,
    /// with the per-server options of the mount's `options.servers`. A server whose entry is
    /// unusable, or which fails, is one failed mount; the others serve.
    private func mcpServers(_ spec: MountSpec, path: String, label: String, in manifest: HostManifest) -> Mount.Content {
        watch.file(path)
        let entries: [MCPServerEntry]
        do {
            entries = try MCPServersFile.load(path: path)
        } catch {
            report("\(label): \(error)")
            return .provider(FailedProvider(displayName: label, reason: "\(error)"))
        }
        let fileName = URL(fileURLWithPath: path).lastPathComponent
        for (name, options) in spec.servers.sorted(by: { $0.key < $1.key }) where !entries.contains(where: { $0.name == name }) {
            report("\(options.location.map { "\($0): " } ?? "")options.servers.\(name): \(fileName) has no server '\(name)'")
        }
        var mounts: [Mount] = []
        for entry in entries {
            let options = spec.servers[entry.name] ?? MCPServerOptions()
            if entry.disabled || options.disabled { continue }
            let serverLabel = "server '\(entry.name)' (\(fileName))"
            let provider: any Provider
            if let problem = entry.problem {
                report("\(problem)")
                provider = FailedProvider(displayName: serverLabel, reason: problem.message)
            } else if !Composer.isValidToolName(entry.name) {
                let reason = "the server name '\(entry.name)' cannot be a prefix (1 to 64 letters, digits, '_', '.' or '-')"
                report("\(entry.location): \(reason)")
                provider = FailedProvider(displayName: serverLabel, reason: reason)
            } else {
                let timeoutMs = options.timeoutMs ?? spec.timeoutMs
                let key = "mcpServers|\(path)|\(entry.name)|\(String(describing: entry.source))|\(timeoutMs.map(String.init) ?? "-")"
                let endpoint = entry.source.map(Self.endpointDescription) ?? ""
                switch entry.source {
                case .remoteCommand(let command, let args, let env, let cwd)?:
                    provider = remote(key: key, timeoutMs: timeoutMs, label: serverLabel, endpoint: endpoint) {
                        StdioClientTransport(executable: command, arguments: args, environment: env, workingDirectory: cwd)
                    }
                case .remoteURL(let url, let headers, let tokenEnv, let sse, let tls)?:
                    provider = remote(key: key, timeoutMs: timeoutMs, label: serverLabel, endpoint: endpoint,
                                      transport: Self.httpTransport(url: url, headers: headers, bearerTokenEnv: tokenEnv,
                                                                    sse: sse, tls: tls))
                default:
                    provider = FailedProvider(displayName: serverLabel, reason: "not a server definition")
                }
            }
            let filter: TagFilter
            do {
                filter = try Self.filter(options.filter)
            } catch {
                report("\(options.location.map { "\($0): " } ?? "")options.servers.\(entry.name): \(error)")
                filter = TagFilter(expression: .tag("\u{0}never"))
            }
            var mount = Mount(content: .provider(provider), prefix: entry.name, filter: filter, label: serverLabel)
            mount.tools = ToolSelection(allow: options.tools.allow, deny: options.tools.deny)
            mounts.append(mount)
        }
        return .composition(CompositionTree(
            name: path, separator: manifest.separator, mounts: mounts,
            onCollision: CompositionTree.CollisionPolicy(rawValue: manifest.onCollision.rawValue) ?? .error))
    }

    /// Records a problem; logs it unless the previous assembly already reported it.
    private func report(_ problem: String) {
        problems.append(problem)
        if !previousProblems.contains(problem) { logger.error("\(problem)") }
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
        case .remoteURL(let url, _, _, _, _): return "remote '\(url)' (\(at))"
        case .mcpServers(let path): return "mcpServers '\(URL(fileURLWithPath: path).lastPathComponent)' (\(at))"
        }
    }
}
