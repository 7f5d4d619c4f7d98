import Foundation

/// Path arithmetic for manifests: relative paths are relative to the manifest's folder, `~`
/// is the home folder, and results are absolute and normalized (no `.` or `..` segments;
/// symbolic links are left alone).
enum ManifestPaths {
    /// The absolute form of `path`, resolved against `directory` when relative.
    static func absolute(_ path: String, relativeTo directory: String) -> String {
        var expanded = path
        if expanded == "~" || expanded.hasPrefix("~/") {
            expanded = NSHomeDirectory() + expanded.dropFirst()
        }
        if !expanded.hasPrefix("/") {
            expanded = directory + "/" + expanded
        }
        return normalize(expanded)
    }

    /// The absolute form of a path given by the caller, resolved against the working directory.
    static func absolute(_ path: String) -> String {
        absolute(path, relativeTo: FileManager.default.currentDirectoryPath)
    }

    /// The folder holding `file` (an absolute path).
    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }

    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether a mount's `plugin` value names a manifest file rather than a plugin id.
    static func looksLikePath(_ value: String) -> Bool {
        value.contains("/") || value.hasSuffix(".yaml") || value.hasSuffix(".yml") || value.hasSuffix(".json")
    }
}
