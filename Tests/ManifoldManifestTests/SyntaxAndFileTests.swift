import Foundation
import ManifoldProtocol
import Testing
@testable import ManifoldManifest

@Suite struct SyntaxAndFileTests {
    @Test func badIndentationReportsLibyamlsPosition() {
        let error = hostError("""
            mounts:
              - plugin: math
               prefix: math
            """)
        #expect(error?.description == "manifests/demo.yaml:3:4: invalid YAML: did not find expected '-' indicator"
            + " (while parsing a block collection at line 2, column 3)")
    }

    @Test func unclosedFlowListReportsWhereItStarted() {
        let error = hostError("kind: host\npluginFolders: [a, b\nmounts: []\n")
        #expect(error?.message.hasPrefix("invalid YAML: did not find expected ',' or ']'") == true)
        #expect(error?.message.contains("line 2, column 16") == true)
        #expect(error?.line == 3)
    }

    @Test func duplicateKeyIsRefused() {
        let error = hostError("kind: host\npageSize: 10\npageSize: 20\n")
        #expect(error?.description == "manifests/demo.yaml:2:1: duplicate key 'pageSize' in the same mapping")
    }

    @Test func emptyFileIsRefused() {
        #expect(hostError("")?.description == "manifests/demo.yaml:1:1: the manifest is empty")
        #expect(hostError("# only a comment\n")?.message == "the manifest is empty")
    }

    @Test func missingFileHasNoPosition() {
        let error = #expect(throws: ManifestError.self) {
            try ManifestLoader.loadHost(path: "/nonexistent/manifold/host.yaml")
        }
        #expect(error == ManifestError(file: "/nonexistent/manifold/host.yaml", line: 0, column: 0, keyPath: "",
                                       message: "file not found"))
        #expect(error?.description == "/nonexistent/manifold/host.yaml: file not found")
    }

    @Test func folderInsteadOfFileIsRefused() {
        let fixture = Fixture()
        let error = #expect(throws: ManifestError.self) { try ManifestLoader.loadPlugin(path: fixture.root) }
        #expect(error?.message == "is a folder, not a manifest file")
    }

    @Test func jsonManifestsParseLikeYAML() throws {
        let fixture = Fixture()
        let path = fixture.write("host.json", """
            {
            \t"kind": "host",
            \t"server": {"name": "json-host", "version": "2.0"},
            \t"pageSize": 50,
            \t"mounts": [
            \t\t{"plugin": "math", "prefix": "m", "options": {"n": 1.25, "s": "1", "b": false, "z": null, "u": "\\u00e9\\/"}}
            \t],
            \t"endpoints": [{"stdio": {}}, {"http": {"listen": "127.0.0.1:8080", "stateless": true}}]
            }
            """)
        let host = try ManifestLoader.loadHost(path: path)
        #expect(host.server.name == "json-host")
        #expect(host.server.version == "2.0")
        #expect(host.pageSize == 50)
        #expect(host.mounts[0].options == ["n": .number("1.25"), "s": "1", "b": false, "z": nil, "u": "é/"])
        #expect(host.endpoints.count == 2)
    }

    @Test func compactJSONWithoutSpacesParses() throws {
        let plugin = try ManifestLoader.parsePlugin(
            yaml: #"{"kind":"ffi","id":"m","library":"l.so","functions":[{"name":"f","n":-1.5e-3}]}"#,
            file: "/p/m.plugin.json")
        #expect(plugin.functions == [["name": "f", "n": .number("-1.5e-3")]])
    }

    @Test func windowsLineEndingsAndByteOrderMarkAreAccepted() throws {
        let plugin = try ManifestLoader.parsePlugin(yaml: "\u{FEFF}kind: plugin\r\nid: m\r\nlibrary: l.so\r\n",
                                                    file: "/p/m.plugin.yaml")
        #expect(plugin.library == "l.so")
    }

    @Test func jsonPluginManifestErrorsPointIntoTheJSON() {
        let fixture = Fixture()
        let path = fixture.write("math.plugin.json", """
            {
              "kind": "plugin",
              "id": "math",
              "library": "libMath.so",
              "exectuion": "isolated"
            }
            """)
        let error = #expect(throws: ManifestError.self) { try ManifestLoader.loadPlugin(path: path) }
        #expect(error?.line == 5)
        #expect(error?.column == 3)
        #expect(error?.message == "unknown key 'exectuion' in the plugin manifest (did you mean 'execution'?)")
    }

    @Test func invalidJSONReportsItsPosition() {
        let error = pluginError("{\n  \"kind\": \"plugin\",\n  \"id\": \"math\"\n  \"library\": \"x\"\n}\n")
        #expect(error?.line == 4)
        #expect(error?.message.hasPrefix("invalid YAML:") == true)
    }

    @Test func multipleDocumentsAreRefused() {
        let error = hostError("kind: host\n---\nkind: host\n")
        #expect(error?.description == "manifests/demo.yaml:2:1: invalid YAML: a manifest is one YAML document, found a second one")
    }

    @Test func editDistanceCountsTranspositionsOnce() {
        #expect(KeySuggestion.editDistance(Array("prefx"), Array("prefix")) == 1)
        #expect(KeySuggestion.editDistance(Array("mnuots"), Array("mounts")) == 2)
        #expect(KeySuggestion.editDistance(Array("abc"), Array("abc")) == 0)
        #expect(KeySuggestion.closest(to: "PluginFolders", among: HostManifestReader.keys) == "pluginFolders")
        #expect(KeySuggestion.closest(to: "x", among: HostManifestReader.keys) == nil)
    }
}
