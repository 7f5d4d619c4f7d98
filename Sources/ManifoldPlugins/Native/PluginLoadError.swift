/// Why a plugin was not loaded. The message names the plugin, the file, the cause and, where
/// there is one, the fix — it is what a user reads in the log and in `manifold inspect`.
public struct PluginLoadError: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The library file is not where the manifest says (with every place looked in).
        case libraryNotFound(searched: [String])
        /// The file's SHA-256 differs from the manifest's pin.
        case checksumMismatch(expected: String, actual: String)
        /// `dlopen` failed (not a shared library, missing dependency, wrong architecture).
        case dlopenFailed(String)
        /// The library exports no `manifold_plugin_entry_v1`; `otherMajor` when it exports the
        /// entry of another ABI major instead.
        case missingEntry(otherMajor: Int?)
        /// The entry returned NULL; with what the plugin logged.
        case refusedByPlugin(String)
        /// The descriptor speaks another ABI.
        case abiMismatch(pluginMajor: Int, pluginMinor: Int)
        /// The descriptor is smaller than ABI v1 requires or has a missing function.
        case malformedDescriptor(String)
        /// A Swift plugin built by another toolchain.
        case runtimeMismatch(plugin: String, host: String)
        /// The library says it is another plugin than its manifest.
        case idMismatch(library: String)
        /// The plugin's init failed.
        case initFailed(status: Int32, log: String)
        /// The plugin manifest asks for something this loader does not do.
        case unsupported(String)
        /// Discovery in a runner process crashed or failed.
        case discoveryFailed(String)
    }

    public var pluginID: String
    public var library: String
    public var reason: Reason

    public init(pluginID: String, library: String, reason: Reason) {
        self.pluginID = pluginID
        self.library = library
        self.reason = reason
    }

    public var description: String {
        let head = "plugin '\(pluginID)' (\(library))"
        switch reason {
        case .libraryNotFound(let searched):
            return "plugin '\(pluginID)': library '\(library)' not found; looked in: \(searched.joined(separator: ", "))"
        case .checksumMismatch(let expected, let actual):
            return "\(head) refused: checksum mismatch — the manifest pins sha256 \(expected), the file has \(actual)"
        case .dlopenFailed(let message):
            return "\(head) could not be loaded: \(message)"
        case .missingEntry(let otherMajor?):
            return "\(head) refused: built for ABI \(otherMajor).x (it exports manifold_plugin_entry_v\(otherMajor)), this host speaks 1.x — rebuild against manifold_plugin.h 1.x"
        case .missingEntry(nil):
            return "\(head) refused: missing symbol manifold_plugin_entry_v1 — export it with C linkage and default visibility (Swift: a public @_cdecl function)"
        case .refusedByPlugin(let log):
            return "\(head) refused to load" + (log.isEmpty ? "" : ": \(log)")
        case .abiMismatch(let major, let minor):
            if major != 1 {
                return "\(head) refused: built for ABI \(major).\(minor), this host speaks 1.x — rebuild against manifold_plugin.h 1.x"
            }
            return "\(head) refused: built for ABI \(major).\(minor), newer than this host's 1.0 — upgrade the host or rebuild the plugin"
        case .malformedDescriptor(let what):
            return "\(head) refused: malformed descriptor: \(what)"
        case .runtimeMismatch(let plugin, let host):
            return "\(head) refused: runtime tag \(plugin) differs from the host's \(host) — rebuild the plugin with the host's Swift toolchain"
        case .idMismatch(let library):
            return "\(head) refused: the library identifies itself as '\(library)', not '\(pluginID)' — fix the manifest's id or library"
        case .initFailed(let status, let log):
            return "\(head) failed to initialize (status \(status))" + (log.isEmpty ? "" : ": \(log)")
        case .unsupported(let what):
            return "plugin '\(pluginID)': \(what)"
        case .discoveryFailed(let why):
            return "\(head) was not loaded: \(why)"
        }
    }
}
