import Foundation
import ManifoldManifest

/// Finds the file a plugin manifest's `library` names: an absolute path as is; otherwise next
/// to the manifest, then in each folder of `MANIFOLD_LIBRARY_PATH`, then next to the host
/// executable (where `swift build` puts the first-party plugins).
public enum LibraryLocator {
    public static func candidates(for manifest: PluginManifest) -> [String] {
        let library = manifest.library
        if library.hasPrefix("/") { return [library] }
        var folders = [URL(fileURLWithPath: manifest.file).deletingLastPathComponent().path]
        if let path = ProcessInfo.processInfo.environment["MANIFOLD_LIBRARY_PATH"] {
            folders += path.split(separator: ":").map(String.init)
        }
        folders.append(executableFolder)
        var seen = Set<String>()
        return folders.map { URL(fileURLWithPath: $0).appendingPathComponent(library).standardizedFileURL.path }
            .filter { seen.insert($0).inserted }
    }

    /// The first candidate that exists, or the error listing where it looked.
    public static func locate(_ manifest: PluginManifest) throws(PluginLoadError) -> String {
        let candidates = candidates(for: manifest)
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw PluginLoadError(pluginID: manifest.id, library: manifest.library,
                              reason: .libraryNotFound(searched: candidates))
    }

    /// The running executable.
    public static let executablePath: String =
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]

    /// The folder of the running executable.
    public static let executableFolder: String = URL(fileURLWithPath: executablePath).deletingLastPathComponent().path
}
