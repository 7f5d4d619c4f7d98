import Foundation
@testable import ManifoldManifest

/// A temporary folder of manifest files for one test, removed when the test ends.
final class Fixture {
    let root: String

    init() {
        let base = FileManager.default.temporaryDirectory.path
        root = ManifestPaths.normalize(base + "/manifold-manifest-tests-" + UUID().uuidString)
        try! FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Writes `text` at `relativePath` (creating folders) and returns the absolute path.
    @discardableResult
    func write(_ relativePath: String, _ text: String) -> String {
        let path = root + "/" + relativePath
        let folder = ManifestPaths.directory(of: path)
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// The error a host manifest text is refused with (file name `manifests/demo.yaml`).
func hostError(_ yaml: String) -> ManifestError? {
    do {
        _ = try ManifestLoader.parseHost(yaml: yaml, file: "manifests/demo.yaml")
        return nil
    } catch {
        return error
    }
}

/// The error a plugin manifest text is refused with (file name `math.plugin.yaml`).
func pluginError(_ yaml: String) -> ManifestError? {
    do {
        _ = try ManifestLoader.parsePlugin(yaml: yaml, file: "math.plugin.yaml")
        return nil
    } catch {
        return error
    }
}
