import CManifoldABI
import Logging
import ManifoldManifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loads a native plugin (DESIGN.md §3): finds the library, checks its pinned checksum, copies
/// it to its content-addressed path in the cache, `dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)`s
/// that copy, resolves the versioned entry, checks the
/// descriptor (ABI major/minor, runtime tag, id, required functions), runs init and lists the
/// components — all lifecycle steps on the control thread. Every refusal is a
/// `PluginLoadError` naming the cause; nothing here can take the host down except the plugin's
/// own code crashing (use isolated execution for code you do not trust).
public enum NativePluginLoader {
    /// Loads `manifest`'s library from its content-addressed copy in `cache` (docs/RELOAD.md):
    /// the pin is checked against the source file, the copy is what `dlopen` opens. `image`, when
    /// given, is a copy already made (and vetted by discovery) for this manifest.
    public static func load(_ manifest: PluginManifest, runtime: NativeRuntime, logger: Logger,
                            image given: LibraryImage? = nil, cache: LibraryCache = .shared) throws(PluginLoadError)
        -> NativePlugin
    {
        let image: LibraryImage
        if let given { image = given } else { image = try prepare(manifest, cache: cache) }
        let path = image.source
        let result = runtime.control.sync { () -> Result<NativePlugin, PluginLoadError> in
            do throws(PluginLoadError) {
                let descriptor = try openAndDescribe(manifest: manifest, path: path, loadPath: image.loadPath)
                var pluginLogger = logger
                pluginLogger[metadataKey: "plugin"] = "\(manifest.id)"
                let plugin = NativePlugin(manifest: manifest, libraryPath: path, image: image, descriptor: descriptor,
                                          runtime: runtime, logger: pluginLogger)
                try plugin.initialize()
                return .success(plugin)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Finds the library, checks its pin and makes its content-addressed copy.
    public static func prepare(_ manifest: PluginManifest, cache: LibraryCache = .shared) throws(PluginLoadError)
        -> LibraryImage
    {
        let path = try LibraryLocator.locate(manifest)
        return try cache.image(of: path, pluginID: manifest.id, pinnedSHA256: manifest.sha256)
    }

    /// Control thread: dlopen, entry, descriptor checks.
    private static func openAndDescribe(manifest: PluginManifest, path: String, loadPath: String) throws(PluginLoadError)
        -> UnsafePointer<manifold_plugin_v1>
    {
        func refuse(_ reason: PluginLoadError.Reason) -> PluginLoadError {
            PluginLoadError(pluginID: manifest.id, library: path, reason: reason)
        }
        // Never dlclose'd: a Swift image must stay mapped (DESIGN.md §3), and RTLD_NODELETE
        // keeps even an accidental close from unmapping it.
        guard let library = dlopen(loadPath, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw refuse(.dlopenFailed(dlerror().map { String(cString: $0) } ?? "unknown dlopen error"))
        }
        guard let symbol = dlsym(library, MANIFOLD_PLUGIN_ENTRY_V1_SYMBOL) else {
            let other = (0...9).first { $0 != 1 && dlsym(library, "manifold_plugin_entry_v\($0)") != nil }
            throw refuse(.missingEntry(otherMajor: other))
        }
        let entry = unsafeBitCast(symbol, to: manifold_plugin_entry_v1_fn.self)
        HostServices.entryLog.withLock { $0.removeAll() }
        guard let descriptor = entry(HostServices.table) else {
            let log = HostServices.entryLog.withLock { $0.joined(separator: "; ") }
            throw refuse(.refusedByPlugin(log))
        }
        let d = descriptor.pointee
        guard Int(d.abi_major) == Int(MANIFOLD_ABI_MAJOR), Int(d.abi_minor) <= Int(MANIFOLD_ABI_MINOR) else {
            throw refuse(.abiMismatch(pluginMajor: Int(d.abi_major), pluginMinor: Int(d.abi_minor)))
        }
        guard Int(d.struct_size) >= MemoryLayout<manifold_plugin_v1>.size else {
            throw refuse(.malformedDescriptor("struct_size \(d.struct_size) is smaller than ABI 1.0's \(MemoryLayout<manifold_plugin_v1>.size)"))
        }
        guard d.`init` != nil, d.list != nil, d.call != nil else {
            throw refuse(.malformedDescriptor("init, list and call are required"))
        }
        let hostTag = manifold_swift_runtime_tag().map { String(cString: $0) } ?? "none"
        if let tagPointer = d.runtime_tag {
            let tag = String(cString: tagPointer)
            guard tag == hostTag else { throw refuse(.runtimeMismatch(plugin: tag, host: hostTag)) }
        }
        if let idPointer = d.id {
            let id = String(cString: idPointer)
            guard id == manifest.id else { throw refuse(.idMismatch(library: id)) }
        }
        return descriptor
    }
}
