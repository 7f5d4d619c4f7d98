import Foundation
import Testing
@testable import ManifoldManifest

/// The manifests shipped in the repository (`manifests/`, `Plugins/*/`) load.
@Suite struct RepositoryManifestTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Non-empty host manifests directly in `manifests/` (plugin manifests there are named
    /// `*.plugin.yaml` and checked with the others).
    static func hostManifests() -> [String] {
        let folder = root + "/manifests"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !isPluginManifestName($0) }.sorted()
            .map { folder + "/" + $0 }.filter(isNonEmpty)
    }

    static func isPluginManifestName(_ name: String) -> Bool {
        ManifestLoader.pluginManifestSuffixes.contains { name.hasSuffix($0) }
    }

    static func isNonEmpty(_ path: String) -> Bool {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
            .contains { !$0.isWhitespace }
    }

    @Test(arguments: hostManifests())
    func repositoryHostManifestLoads(_ path: String) throws {
        _ = try ManifestLoader.loadHost(path: path)
    }

    @Test func repositoryPluginManifestsLoad() {
        let files = (ManifestLoader.manifestFiles(in: Self.root + "/Plugins")
            + ManifestLoader.manifestFiles(in: Self.root + "/manifests")).filter(Self.isNonEmpty)
        for file in files {
            #expect(throws: Never.self) { _ = try ManifestLoader.loadPlugin(path: file) }
        }
    }
}
