import Foundation
import ManifoldProtocol
import Testing
@testable import ManifoldManifest

@Suite struct PluginManifestTests {
    @Test func fullPluginManifestReadsEveryField() throws {
        let fixture = Fixture()
        let path = fixture.write("Math/math.plugin.yaml", """
            kind: plugin
            id: math
            version: 1.0.0
            description: Arithmetic tools.
            library: libMath.so
            sha256: 3A7BD3E2360A3D29EEA436FCFB7E44C735D117C42D1C1835420B6B9942DD4F1B
            abi: "1.0"
            execution: isolated
            tags: [math, public]
            config: { precision: 6 }
            limits: { addressSpaceMB: 512, cpuSeconds: 10, callTimeoutMs: 5000 }
            """)
        let plugin = try ManifestLoader.loadPlugin(path: path)
        #expect(plugin.kind == .plugin)
        #expect(plugin.id == "math")
        #expect(plugin.version == "1.0.0")
        #expect(plugin.description == "Arithmetic tools.")
        #expect(plugin.library == "libMath.so")
        #expect(plugin.sha256 == "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b")
        #expect(plugin.abi == "1.0")
        #expect(plugin.execution == .isolated)
        #expect(plugin.tags == ["math", "public"])
        #expect(plugin.config == ["precision": 6])
        #expect(plugin.limits == PluginLimits(addressSpaceMB: 512, cpuSeconds: 10, callTimeoutMs: 5000))
        #expect(plugin.functions.isEmpty)
        #expect(plugin.file == path)
        #expect(plugin.location == SourceLocation(file: path, line: 2, column: 5))
    }

    @Test func minimalPluginManifestGetsDefaults() throws {
        let plugin = try ManifestLoader.parsePlugin(yaml: "kind: plugin\nid: math\nlibrary: libMath.so\n",
                                                    file: "/plugins/math.plugin.yaml")
        #expect(plugin.version == nil)
        #expect(plugin.sha256 == nil)
        #expect(plugin.abi == nil)
        #expect(plugin.execution == nil)
        #expect(plugin.effectiveExecution == .inProcess)
        #expect(plugin.tags == [])
        #expect(plugin.config == .object([:]))
        #expect(plugin.limits == PluginLimits())
    }

    @Test func relativeManifestPathBecomesAbsoluteButLibraryStaysAsWritten() throws {
        let fixture = Fixture()
        fixture.write("Plugins/Math/math.plugin.yaml", "kind: plugin\nid: math\nlibrary: ../../lib/libMath.so\n")
        // A path relative to the working directory (which tests must not change: it is per process).
        let depth = FileManager.default.currentDirectoryPath.split(separator: "/").count
        let relative = String(repeating: "../", count: depth) + fixture.root.dropFirst() + "/Plugins/Math/./math.plugin.yaml"
        let plugin = try ManifestLoader.loadPlugin(path: relative)
        #expect(plugin.library == "../../lib/libMath.so")
        #expect(plugin.file == fixture.root + "/Plugins/Math/math.plugin.yaml")
        #expect(plugin.location.file == relative)
    }

    @Test func ffiManifestKeepsFunctionsAsJSONAndDefaultsToIsolated() throws {
        let plugin = try ManifestLoader.parsePlugin(yaml: """
            kind: ffi
            id: libm
            library: libm.so.6
            functions:
              - name: cos
                symbol: cos
                params: [{ name: x, type: double }]
                returns: double
                tags: [trig]
            """, file: "/p/libm.plugin.yaml")
        #expect(plugin.kind == .ffi)
        #expect(plugin.effectiveExecution == .isolated)
        #expect(plugin.functions == [[
            "name": "cos", "symbol": "cos",
            "params": [["name": "x", "type": "double"]],
            "returns": "double", "tags": ["trig"],
        ]])
    }

    @Test func ffiManifestWithoutFunctionsIsRefused() {
        let error = pluginError("kind: ffi\nid: libm\nlibrary: libm.so.6\n")
        #expect(error?.description
            == "math.plugin.yaml:1:1: missing required key 'functions' in the plugin manifest (kind: ffi needs at least one function)")
        let empty = pluginError("kind: ffi\nid: libm\nlibrary: libm.so.6\nfunctions: []\n")
        #expect(empty?.description == "math.plugin.yaml:4:12: 'functions' must list at least one function for kind: ffi")
    }

    @Test func nativePluginWithFunctionsIsRefusedAtTheKey() {
        let error = pluginError("kind: plugin\nid: math\nlibrary: libMath.so\nfunctions: [{ name: add }]\n")
        #expect(error?.line == 4)
        #expect(error?.column == 1)
        #expect(error?.keyPath == "functions")
        #expect(error?.message.hasPrefix("'functions' is only allowed in ffi manifests") == true)
    }

    @Test func missingLibraryNamesTheKeyAndTheDocument() {
        let error = pluginError("kind: plugin\nid: math\n")
        #expect(error == ManifestError(file: "math.plugin.yaml", line: 1, column: 1, keyPath: "",
                                       message: "missing required key 'library' in the plugin manifest"))
    }

    @Test func missingKindSaysWhichKindsExist() {
        let error = pluginError("id: math\nlibrary: libMath.so\n")
        #expect(error?.message == "missing required key 'kind' in the plugin manifest (plugin or ffi)")
    }

    @Test func invalidExecutionListsTheChoicesAndSuggestsOne() {
        let error = pluginError("kind: plugin\nid: math\nlibrary: libMath.so\nexecution: isolatd\n")
        #expect(error?.description
            == "math.plugin.yaml:4:12: execution: 'isolatd' is not one of in-process, isolated (did you mean 'isolated'?)")
        #expect(error?.keyPath == "execution")
    }

    @Test func invalidKindIsRefusedAtTheValue() {
        let error = pluginError("kind: plugn\nid: math\nlibrary: libMath.so\n")
        #expect(error?.description == "math.plugin.yaml:1:7: kind: 'plugn' is not one of plugin, ffi (did you mean 'plugin'?)")
    }

    @Test func hostManifestReadAsPluginIsRefused() {
        let error = pluginError("kind: host\nmounts: []\n")
        #expect(error?.line == 1)
        #expect(error?.column == 7)
        #expect(error?.message == "kind: 'host' is a host manifest; expected a plugin manifest (kind: plugin or ffi)")
    }

    @Test func invalidPluginIdIsRefused() {
        let error = pluginError("kind: plugin\nid: my math\nlibrary: libMath.so\n")
        #expect(error?.description
            == "math.plugin.yaml:2:5: id: 'my math' is not a valid plugin id (1 to 64 letters, digits, '_', '.' or '-')")
    }

    @Test(arguments: ["abc", "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1", String(repeating: "g", count: 64)])
    func sha256MustBe64HexCharacters(_ digest: String) {
        let error = pluginError("kind: plugin\nid: math\nlibrary: libMath.so\nsha256: \(digest)\n")
        #expect(error?.line == 4)
        #expect(error?.column == 9)
        #expect(error?.message == "sha256: '\(digest)' is not a SHA-256 digest (64 hexadecimal characters)")
    }

    @Test(arguments: [("\"1\"", "1"), ("1.0.0", "1.0.0"), ("v1.0", "v1.0"), ("\"1.\"", "1.")])
    func abiMustBeMajorDotMinor(_ written: String, _ value: String) {
        let error = pluginError("kind: plugin\nid: math\nlibrary: libMath.so\nabi: \(written)\n")
        #expect(error?.line == 4)
        #expect(error?.column == 6)
        #expect(error?.message == "abi: '\(value)' is not an ABI version of the form MAJOR.MINOR, e.g. \"1.0\"")
    }

    @Test func versionLikeNumbersAreKeptAsWritten() throws {
        let plugin = try ManifestLoader.parsePlugin(
            yaml: "kind: plugin\nid: math\nlibrary: libMath.so\nversion: 1.10\nabi: 1.0\n", file: "/m.plugin.yaml")
        #expect(plugin.version == "1.10")
        #expect(plugin.abi == "1.0")
    }

    @Test func limitsMustBePositiveIntegers() {
        let zero = pluginError("kind: plugin\nid: math\nlibrary: libMath.so\nlimits:\n  cpuSeconds: 0\n")
        #expect(zero?.description == "math.plugin.yaml:5:15: 'cpuSeconds' must be an integer of at least 1, found 0")
        #expect(zero?.keyPath == "limits.cpuSeconds")
        let text = pluginError("kind: plugin\nid: math\nlibrary: libMath.so\nlimits:\n  cpuSeconds: \"10\"\n")
        #expect(text?.message == "'cpuSeconds' must be an integer, found a string")
        let typo = pluginError("kind: plugin\nid: math\nlibrary: libMath.so\nlimits:\n  cpuSecond: 10\n")
        #expect(typo?.description
            == "math.plugin.yaml:5:3: unknown key 'cpuSecond' in limits (did you mean 'cpuSeconds'?)")
    }

    @Test func tagsMustBeAListOfStrings() {
        let error = pluginError("kind: plugin\nid: math\nlibrary: libMath.so\ntags: [math, [x]]\n")
        #expect(error?.description == "math.plugin.yaml:4:14: 'tags[1]' must be a string, found a list")
        #expect(error?.keyPath == "tags[1]")
        let single = pluginError("kind: plugin\nid: math\nlibrary: libMath.so\ntags: math\n")
        #expect(single?.message == "'tags' must be a list, found a string")
    }

    @Test func configKeepsYAMLScalarsAsTheirJSONTypes() throws {
        let plugin = try ManifestLoader.parsePlugin(yaml: """
            kind: plugin
            id: math
            library: libMath.so
            config:
              quoted: "123"
              single: '1.5'
              integer: 123
              negative: -0042
              hex: 0x1F
              float: 1.5e3
              bareFraction: .5
              yes: yes
              on: true
              off: FALSE
              nothing: null
              tilde: ~
              empty:
              date: 2024-01-01
              list: [1, "2", three]
              nested: { a: { b: [] } }
              block: |
                line one
                line two
              last: end
            """, file: "/m.plugin.yaml")
        let expected: JSONValue = [
            "quoted": "123", "single": "1.5", "integer": .number("123"), "negative": .number("-42"),
            "hex": .number("31"), "float": .number("1.5e3"), "bareFraction": .number("0.5"),
            "yes": "yes", "on": true, "off": false, "nothing": nil, "tilde": nil, "empty": nil,
            "date": "2024-01-01", "list": [1, "2", "three"], "nested": ["a": ["b": []]],
            "block": "line one\nline two\n", "last": "end",
        ]
        #expect(plugin.config == expected)
        // Key order is kept.
        #expect(plugin.config.objectValue?.keys.first == "quoted")
    }

    @Test func configMayBeAnyJSONValue() throws {
        let plugin = try ManifestLoader.parsePlugin(yaml: "kind: plugin\nid: m\nlibrary: l.so\nconfig: [1, 2]\n",
                                                    file: "/m.plugin.yaml")
        #expect(plugin.config == [1, 2])
    }

    @Test func infinityCannotBePassedAsJSON() {
        let error = pluginError("kind: plugin\nid: m\nlibrary: l.so\nconfig:\n  big: .inf\n")
        #expect(error?.description == "math.plugin.yaml:5:8: 'big': '.inf' cannot be represented in JSON")
        #expect(error?.keyPath == "config.big")
    }
}
