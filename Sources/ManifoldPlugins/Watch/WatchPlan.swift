import Foundation
import ManifoldManifest

/// What the host watches (docs/RELOAD.md, decision 3): folders, and in each the names whose
/// change matters. Rebuilt after every assembly, so a new subfolder, a new plugin or a moved
/// library is watched from the next rescan on.
public struct WatchPlan: Sendable, Equatable {
    public struct Interest: Sendable, Equatable {
        /// Any `*.plugin.yaml|yml|json` here (a plugin or drop-in folder, or one of its subfolders).
        public var pluginManifests = false
        /// Subfolders appearing or going (a plugin or drop-in folder: plugins may sit one level down).
        public var subfolders = false
        /// These file names (a host manifest, a plugin manifest, a library).
        public var files: Set<String> = []

        public init() {}
    }

    public private(set) var folders: [String: Interest] = [:]

    public init() {}

    /// A single file: its folder is watched for that name.
    public mutating func file(_ path: String) {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        folders[url.deletingLastPathComponent().path, default: Interest()].files.insert(url.lastPathComponent)
    }

    /// A plugin or drop-in folder: plugin manifests in it and in each subfolder, and its subfolders.
    public mutating func pluginFolder(_ path: String) {
        let folder = URL(fileURLWithPath: path).standardizedFileURL.path
        folders[folder, default: Interest()].pluginManifests = true
        folders[folder, default: Interest()].subfolders = true
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names where !name.hasPrefix(".") {
            var isDirectory: ObjCBool = false
            let sub = folder + "/" + name
            if FileManager.default.fileExists(atPath: sub, isDirectory: &isDirectory), isDirectory.boolValue {
                folders[sub, default: Interest()].pluginManifests = true
            }
        }
    }

    /// Whether an event about `name` in `folder` may change the assembly.
    public func isRelevant(folder: String, name: String, isDirectory: Bool) -> Bool {
        guard let interest = folders[folder] else { return false }
        if name.isEmpty || name.hasPrefix(".") { return false }
        if isDirectory { return interest.subfolders }
        if interest.files.contains(name) { return true }
        return interest.pluginManifests && ManifestLoader.pluginManifestSuffixes.contains { name.hasSuffix($0) }
    }
}
