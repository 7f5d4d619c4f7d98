import CManifoldABI
import Logging
import ManifoldManifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loads a native plugin (DESIGN.md §3): finds the library, checks its pinned checksum,
/// `dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)`, resolves the versioned entry, checks the
/// descriptor (ABI major/minor, runtime tag, id, required functions), runs init and lists the
/// components — all lifecycle steps on the control thread. Every refusal is a
/// `PluginLoadError` naming the cause; nothing here can take the host down except the plugin's
/// own code crashing (use isolated execution for code you do not trust).
public enum NativePluginLoader {
    public static func load(_ manifest: PluginManifest, runtime: NativeRuntime, logger: Logger) throws(PluginLoadError)
        -> NativePlugin
    {
        let path = try LibraryLocator.locate(manifest)
        func refuse(_ reason: PluginLoadError.Reason) -> PluginLoadError {
            PluginLoadError(pluginID: manifest.id, library: path, reason: reason)
        }
        if let pinned = manifest.sha256?.lowercased() {
            let actual = Checksum.sha256(ofFile: path) ?? "unreadable"
            guard actual == pinned else { throw refuse(.checksumMismatch(expected: pinned, actual: actual)) }
        }
        let result = runtime.control.sync { () -> Result<NativePlugin, PluginLoadError> in
            do throws(PluginLoadError) {
                let descriptor = try openAndDescribe(manifest: manifest, path: path)
                var pluginLogger = logger
                pluginLogger[metadataKey: "plugin"] = "\(manifest.id)"
                let plugin = NativePlugin(manifest: manifest, libraryPath: path, descriptor: descriptor,
                                          runtime: runtime, logger: pluginLogger)
                try plugin.initialize()
                return .success(plugin)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Control thread: dlopen, entry, descriptor checks.
    private static func openAndDescribe(manifest: PluginManifest, path: String) throws(PluginLoadError)
        -> UnsafePointer<manifold_plugin_v1>
    {
        func refuse(_ reason: PluginLoadError.Reason) -> PluginLoadError {
            PluginLoadError(pluginID: manifest.id, library: path, reason: reason)
        }
        guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
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
