import Foundation
import Testing
@testable import ManifoldManifest

@Suite struct PluginDiscoveryTests {
    @Test func discoveryFindsManifestsInFolderAndSubfoldersInOrder() throws {
        let fixture = Fixture()
        fixture.write("plugins/Text/text.plugin.yml", "kind: plugin\nid: text\nlibrary: libText.so\n")
        fixture.write("plugins/Math/math.plugin.yaml", "kind: plugin\nid: math\nlibrary: libMath.so\n")
        fixture.write("plugins/zeta.plugin.json", #"{"kind": "plugin", "id": "zeta", "library": "libZeta.so"}"#)
        fixture.write("plugins/Math/README.md", "not a manifest")
        fixture.write("plugins/Math/deeper/too-deep.plugin.yaml", "kind: plugin\nid: deep\nlibrary: x.so\n")
        fixture.write("plugins/.hidden/hidden.plugin.yaml", "kind: plugin\nid: hidden\nlibrary: x.so\n")
        fixture.write("plugins/host.yaml", "kind: host\n")
        fixture.write("more/alpha.plugin.yaml", "kind: plugin\nid: alpha\nlibrary: libAlpha.so\n")

        let found = ManifestLoader.discoverPlugins(in: [fixture.root + "/plugins", fixture.root + "/more"])
        #expect(found.errors == [])
        #expect(found.plugins.map(\.id) == ["math", "text", "zeta", "alpha"])
        #expect(found.plugins[0].file == fixture.root + "/plugins/Math/math.plugin.yaml")
    }

    @Test func brokenManifestGivesAnErrorAndTheOthersStillLoad() throws {
        let fixture = Fixture()
        fixture.write("plugins/A/a.plugin.yaml", "kind: plugin\nid: a\nlibrary: liba.so\n")
        let broken = fixture.write("plugins/B/b.plugin.yaml", "kind: plugin\nid: b\nlibary: libb.so\n")
        fixture.write("plugins/C/c.plugin.yaml", "kind: plugin\nid: c\nlibrary: libc.so\n")

        let found = ManifestLoader.discoverPlugins(in: [fixture.root + "/plugins"])
        #expect(found.plugins.map(\.id) == ["a", "c"])
        #expect(found.errors == [ManifestError(file: broken, line: 3, column: 1, keyPath: "libary",
                                               message: "unknown key 'libary' in the plugin manifest (did you mean 'library'?)")])
    }

    @Test func missingFolderIsAnErrorEntry() {
        let fixture = Fixture()
        fixture.write("plugins/a.plugin.yaml", "kind: plugin\nid: a\nlibrary: liba.so\n")
        let missing = fixture.root + "/nope"
        let found = ManifestLoader.discoverPlugins(in: [missing, fixture.root + "/plugins", fixture.root + "/plugins/"])
        #expect(found.plugins.map(\.id) == ["a"])
        #expect(found.errors.map(\.description) == ["\(missing): plugin folder not found"])
    }
}
