import CManifoldABI
import Logging
import ManifoldManifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loads a native plugin (DESIGN.md §3): finds the library, checks its pinned checksum, copies
/// it to its content-addressed path in the cache, `dlopen(RTLD_NOW | RTLD_LOCAL)`s that copy (pinned
/// with `RTLD_NODELETE` unless it is a pure-C plugin that declared itself unloadable), resolves
/// the versioned entry, checks the
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
        // The copy is in use from here until the instance is shut down (or the load fails):
        // `LibraryCache.release` deletes it once nothing uses it.
        try cache.retain(image, pluginID: manifest.id)
        let result = runtime.control.sync { () -> Result<NativePlugin, PluginLoadError> in
            do throws(PluginLoadError) {
                let (descriptor, unloadable) = try openAndDescribe(manifest: manifest, path: path, loadPath: image.loadPath)
                var pluginLogger = logger
                pluginLogger[metadataKey: "plugin"] = "\(manifest.id)"
                let plugin = NativePlugin(manifest: manifest, libraryPath: path, image: image, descriptor: descriptor,
                                          runtime: runtime, logger: pluginLogger, cache: cache, unloadable: unloadable)
                do throws(PluginLoadError) {
                    try plugin.initialize()
                } catch {
                    // Its init failed: nothing of the plugin runs; a pure-C image may go.
                    plugin.unload()
                    throw error
                }
                return .success(plugin)
            } catch {
                return .failure(error)
            }
        }
        if case .failure = result { cache.release(image) }
        return try result.get()
    }

    /// Finds the library, checks its pin and makes its content-addressed copy.
    public static func prepare(_ manifest: PluginManifest, cache: LibraryCache = .shared) throws(PluginLoadError)
        -> LibraryImage
    {
        let path = try LibraryLocator.locate(manifest)
        return try cache.image(of: path, pluginID: manifest.id, pinnedSHA256: manifest.sha256)
    }

    /// Control thread: dlopen, entry, descriptor checks. Returns the descriptor and, for a pure-C
    /// plugin that declared `MANIFOLD_PLUGIN_FLAG_UNLOADABLE`, the handle its instance may
    /// `dlclose` after shutdown; every other image is pinned with `RTLD_NODELETE`.
    private static func openAndDescribe(manifest: PluginManifest, path: String, loadPath: String) throws(PluginLoadError)
        -> (UnsafePointer<manifold_plugin_v1>, UnsafeMutableRawPointer?)
    {
        func refuse(_ reason: PluginLoadError.Reason) -> PluginLoadError {
            PluginLoadError(pluginID: manifest.id, library: path, reason: reason)
        }
        // Opened without RTLD_NODELETE so that an unloadable pure-C plugin can go later; every
        // other image is pinned below (`pin`) before anything could close it. An image refused
        // here is pinned too: it is never closed.
        guard let library = dlopen(loadPath, RTLD_NOW | RTLD_LOCAL) else {
            throw refuse(.dlopenFailed(dlerror().map { String(cString: $0) } ?? "unknown dlopen error"))
        }
        var unloadable = false
        defer { if !unloadable { pin(loadPath) } }
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
        // Not enabled yet: a pool thread whose `call` completed synchronously (host->complete
        // inside `call`) is still returning through the plugin's code after its last call
        // counted as done, so a dlclose right after shutdown can unmap code under it (seen as a
        // SIGSEGV in test_reload.py). Closing needs a count of threads *inside* `call` (in
        // `perform`, the hot path) to wait for; until then every image is pinned.
        unloadable = Self.unloadingEnabled && mayUnload(flags: d.flags, runtimeTag: d.runtime_tag, library: library)
        return (descriptor, unloadable ? library : nil)
    }

    /// Whether unloadable images are closed after shutdown (see `openAndDescribe`): off.
    static let unloadingEnabled = false

    /// Whether an image may be `dlclose`d after its instance's shutdown (DESIGN.md §3): only when
    /// the plugin declares `MANIFOLD_PLUGIN_FLAG_UNLOADABLE` *and* nothing of Swift is in it —
    /// no runtime tag, and no Swift runtime symbol reachable from its handle (a `dlsym` on a
    /// handle searches the library and its dependencies only, so a library that links the
    /// Swift runtime, directly or through a dependency, or carries it statically, is found).
    /// Closing a Swift image crashes the next dynamic cast, whatever the plugin claims.
    static func mayUnload(flags: UInt32, runtimeTag: UnsafePointer<CChar>?, library: UnsafeMutableRawPointer) -> Bool {
        guard flags & UInt32(MANIFOLD_PLUGIN_FLAG_UNLOADABLE) != 0, runtimeTag == nil else { return false }
        return !containsSwift(library)
    }

    /// Whether the Swift runtime is reachable from a `dlopen` handle (the library or one of its
    /// dependencies defines it).
    static func containsSwift(_ library: UnsafeMutableRawPointer) -> Bool {
        for symbol in ["swift_retain", "swift_release", "swift_getTypeByMangledNameInContext", "swift_allocObject"]
            where dlsym(library, symbol) != nil
        {
            return true
        }
        _ = dlerror()
        return false
    }

    /// Marks a loaded image `RTLD_NODELETE` for good (glibc applies the flag to an object already
    /// loaded when it is opened again with `RTLD_NOLOAD`), so no `dlclose` can ever unmap it.
    private static func pin(_ loadPath: String) {
        if dlopen(loadPath, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE | RTLD_NOLOAD) == nil { _ = dlerror() }
    }
}
