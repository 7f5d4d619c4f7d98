@preconcurrency import CFFI
import Logging
import ManifoldCore
import ManifoldManifest
import ManifoldProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain C library described by an ffi manifest, serving its functions as tools
/// (DESIGN.md §4). Calls run on the native runtime's worker pool — one at a time per library
/// unless a function says `concurrent: true` — never on the caller's thread.
public final class FFIPlugin: Provider, @unchecked Sendable {
    public let manifest: PluginManifest
    /// What was passed to dlopen (a path, or a name the dynamic linker searches for).
    public let libraryPath: String
    public var displayName: String { "ffi plugin '\(manifest.id)'" }
    public let functions: [FFIFunction]
    private let byName: [String: FFIFunction]
    private let runtime: NativeRuntime
    private let lane: SerialLane
    private let observers = ObserverList()
    private let catalogValue: Catalog

    init(manifest: PluginManifest, libraryPath: String, functions: [FFIFunction], runtime: NativeRuntime,
         logger: Logger) throws(PluginLoadError)
    {
        self.manifest = manifest
        self.libraryPath = libraryPath
        self.functions = functions
        self.runtime = runtime
        self.lane = SerialLane(pool: runtime.pool)
        var byName: [String: FFIFunction] = [:]
        var tools: [Component] = []
        for function in functions {
            byName[function.spec.name] = function
            do {
                tools.append(try Component(kind: .tool, listed: function.definition, extraTags: manifest.tags))
            } catch {
                throw PluginLoadError(pluginID: manifest.id, library: libraryPath,
                                      reason: .unsupported("function '\(function.spec.name)': \(error)"))
            }
        }
        self.byName = byName
        self.catalogValue = Catalog(tools: tools)
    }

    // MARK: Provider

    public func catalog() -> Catalog { catalogValue }
    public var health: ProviderHealth { .ready }
    public func addObserver(_ observer: any ProviderObserver) { observers.add(observer) }

    public func invoke(_ request: ProviderRequest, context: any CallContext,
                       completion: @escaping @Sendable (CallOutcome) -> Void) {
        switch request.kind {
        case .callTool:
            guard let function = byName[request.name] else {
                completion(.failure(.invalidParams("Unknown tool: '\(request.name)'")))
                return
            }
            let input = request.input
            let job: WorkerPool.Job = {
                if context.isCancelled {
                    completion(.cancelled)
                    return
                }
                let bytes = input.withUnsafeBytes { function.call(arguments: $0) }
                completion(.result(bytes))
            }
            if function.spec.concurrent { runtime.pool.submit(job) } else { lane.submit(job) }
        case .readResource:
            completion(.failure(RPCError(code: .resourceNotFound, message: "Resource not found: \(request.name)",
                                         data: ["uri": .string(request.name)])))
        case .getPrompt:
            completion(.failure(.invalidParams("Unknown prompt: '\(request.name)'")))
        case .complete:
            completion(.failure(.methodNotFound("completion/complete")))
        }
    }

    /// Calls a tool on the current thread (tests, `manifold call`-like tools).
    public func callSync(_ name: String, arguments: String) -> [UInt8]? {
        byName[name]?.call(arguments: Array(arguments.utf8))
    }
}

/// Loads ffi manifests: reads the function entries, opens the library, resolves every symbol
/// (and every named free function), prepares every call interface — all at load, so a call
/// only converts arguments. Every refusal names the manifest, the library and the function or
/// symbol at fault.
public enum FFIPluginLoader {
    public static func load(_ manifest: PluginManifest, runtime: NativeRuntime, logger: Logger) throws(PluginLoadError)
        -> FFIPlugin
    {
        func refuse(_ library: String, _ message: String) -> PluginLoadError {
            PluginLoadError(pluginID: manifest.id, library: library, reason: .unsupported(message))
        }
        let specs: [FFIFunctionSpec]
        do {
            specs = try FFIManifestParser.parse(manifest)
        } catch {
            throw refuse(manifest.library, "\(error)")
        }
        let path = try locate(manifest)
        if let pinned = manifest.sha256?.lowercased() {
            guard path.contains("/") else {
                throw refuse(path, "the manifest pins sha256 but the library '\(path)' is not a file next to the manifest, in MANIFOLD_LIBRARY_PATH or next to the executable; give its path")
            }
            let actual = Checksum.sha256(ofFile: path) ?? "unreadable"
            guard actual == pinned else {
                throw PluginLoadError(pluginID: manifest.id, library: path, reason: .checksumMismatch(expected: pinned, actual: actual))
            }
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let message = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw PluginLoadError(pluginID: manifest.id, library: path, reason: .dlopenFailed(message))
        }
        var functions: [FFIFunction] = []
        for (index, spec) in specs.enumerated() {
            let place = placeOf(manifest, index: index, spec: spec)
            guard let symbol = dlsym(handle, spec.symbol) else {
                throw refuse(path, "\(place): symbol '\(spec.symbol)' not found in \(path)")
            }
            var frees: [String: UnsafeRawPointer] = [:]
            for name in freeFunctionNames(spec) where frees[name] == nil {
                guard let free = dlsym(handle, name) ?? dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
                    throw refuse(path, "\(place): free function '\(name)' not found in \(path) or the process")
                }
                frees[name] = UnsafeRawPointer(free)
            }
            do {
                functions.append(try FFIFunction(spec: spec, symbol: UnsafeRawPointer(symbol), freeFunctions: frees))
            } catch {
                throw refuse(path, "\(place): \(error)")
            }
        }
        var pluginLogger = logger
        pluginLogger[metadataKey: "plugin"] = "\(manifest.id)"
        return try FFIPlugin(manifest: manifest, libraryPath: path, functions: functions, runtime: runtime, logger: pluginLogger)
    }

    /// Checks a manifest's function entries without opening the library (the host does this
    /// for isolated ffi plugins before starting their runner).
    public static func validate(_ manifest: PluginManifest) throws(PluginLoadError) {
        do {
            _ = try FFIManifestParser.parse(manifest)
        } catch {
            throw PluginLoadError(pluginID: manifest.id, library: manifest.library, reason: .unsupported("\(error)"))
        }
        if manifest.library.contains("/") { _ = try LibraryLocator.locate(manifest) }
    }

    /// `libm.so.6` style names are left to the dynamic linker unless a file of that name is
    /// next to the manifest, in MANIFOLD_LIBRARY_PATH or next to the executable; a name with a
    /// slash is a path (relative to the manifest).
    static func locate(_ manifest: PluginManifest) throws(PluginLoadError) -> String {
        if manifest.library.contains("/") { return try LibraryLocator.locate(manifest) }
        if let found = try? LibraryLocator.locate(manifest) { return found }
        return manifest.library
    }

    static func placeOf(_ manifest: PluginManifest, index: Int, spec: FFIFunctionSpec) -> String {
        let location = index < manifest.functionLocations.count ? "\(manifest.functionLocations[index]): " : "\(manifest.file): "
        return "\(location)functions[\(index)] (\(spec.name))"
    }

    static func freeFunctionNames(_ spec: FFIFunctionSpec) -> [String] {
        var names: [String] = []
        if case .cstring(.freed(let name)) = spec.returns { names.append(name) }
        for param in spec.params {
            if case .outStringRef(.freed(let name)) = param.kind { names.append(name) }
        }
        return names
    }

    /// For runner processes: a fatal signal in an ffi call is reported on stderr, naming the
    /// function, and kills the process at once (the host restarts it).
    public static func installCrashReporter() {
        FFIFunction.installCrashReporter()
    }
}
