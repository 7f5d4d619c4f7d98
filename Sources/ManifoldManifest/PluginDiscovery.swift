import Foundation

extension ManifestLoader {
    /// The file name endings of plugin manifests.
    public static let pluginManifestSuffixes = [".plugin.yaml", ".plugin.yml", ".plugin.json"]

    /// Finds and reads the plugin manifests in drop-in folders: files named `*.plugin.yaml`,
    /// `*.plugin.yml` or `*.plugin.json`, directly in a folder or in one of its subfolders
    /// (`Plugins/Math/math.plugin.yaml`). Hidden files and folders are skipped.
    ///
    /// Folders are visited in the order given (a folder listed twice is visited once); within a
    /// folder, manifests come in order of their path. A manifest that cannot be read, and a
    /// folder that does not exist, give an entry in `errors` and do not stop the others.
    /// Plugins with the same id in several places are all returned; choosing is the caller's.
    public static func discoverPlugins(in folders: [String]) -> (plugins: [PluginManifest], errors: [ManifestError]) {
        var plugins: [PluginManifest] = []
        var errors: [ManifestError] = []
        var visited = Set<String>()
        for folder in folders where visited.insert(ManifestPaths.absolute(folder)).inserted {
            guard isDirectory(folder) else {
                let message = FileManager.default.fileExists(atPath: folder)
                    ? "is not a folder" : "plugin folder not found"
                errors.append(ManifestError(file: folder, line: 0, column: 0, keyPath: "", message: message))
                continue
            }
            for file in manifestFiles(in: folder) {
                do {
                    plugins.append(try loadPlugin(path: file))
                } catch {
                    errors.append(error)
                }
            }
        }
        return (plugins, errors)
    }

    /// The plugin manifest paths under `folder` (itself and one level of subfolders), sorted.
    static func manifestFiles(in folder: String) -> [String] {
        let base = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        var found: [String] = []
        for name in visibleEntries(of: base) {
            let path = base + "/" + name
            if isDirectory(path) {
                for inner in visibleEntries(of: path) where isPluginManifestName(inner) {
                    let innerPath = path + "/" + inner
                    if !isDirectory(innerPath) { found.append(innerPath) }
                }
            } else if isPluginManifestName(name) {
                found.append(path)
            }
        }
        return found.sorted()
    }

    static func isPluginManifestName(_ name: String) -> Bool {
        pluginManifestSuffixes.contains { name.hasSuffix($0) && name.count > $0.count }
    }

    private static func visibleEntries(of folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
