import Foundation
import ManifoldManifest
import ManifoldProtocol
import Testing
@testable import ManifoldPlugins

@Suite struct ManifestParserTests {
    @Test func aCompleteEntry() throws {
        let s = try spec("""
            {"name": "greet", "symbol": "ffitest_greet", "title": "Greet", "description": "Says hello.",
             "params": [{"name": "name", "type": "cstring", "description": "Who."},
                        {"name": "out", "type": "cstring", "out": true, "capacity": 32},
                        {"name": "cap", "type": "size_t", "lengthOf": "out"}],
             "returns": {"type": "i32", "description": "Length."}, "errno": "capture", "concurrent": true,
             "tags": ["demo"], "annotations": {"readOnlyHint": true}}
            """)
        #expect(s.name == "greet" && s.symbol == "ffitest_greet" && s.title == "Greet")
        #expect(s.params.map(\.kind) == [.cstring(nullable: false), .outString(capacity: 32), .length(.size_t, of: 1)])
        #expect(s.returns == .scalar(.i32) && s.returnDescription == "Length.")
        #expect(s.errno == .capture && s.concurrent && s.tags == ["demo"])
        #expect(s.annotations == ["readOnlyHint": true])
    }

    @Test func defaultsSymbolDescriptionAndVoid() throws {
        let s = try spec(#"{"name": "getpid"}"#)
        #expect(s.symbol == "getpid" && s.returns == .void && s.params.isEmpty)
        #expect(s.description == "Calls the C function getpid.")
        #expect(!s.concurrent && s.errno == nil && s.fixedParams == nil)
    }

    @Test func ownershipOfStrings() throws {
        #expect(try spec(#"{"name": "v", "returns": {"type": "cstring", "ownership": "static"}}"#).returns == .cstring(.static))
        #expect(try spec(#"{"name": "v", "returns": {"type": "cstring", "ownership": "borrowed"}}"#).returns == .cstring(.borrowed))
        #expect(try spec(#"{"name": "v", "returns": {"type": "cstring", "ownership": "freed", "free": "free"}}"#).returns
            == .cstring(.freed(by: "free")))
        let out = try spec(#"{"name": "v", "params": [{"name": "s", "type": "cstring", "out": true, "ownership": "freed", "free": "myfree"}]}"#)
        #expect(out.params[0].kind == .outStringRef(.freed(by: "myfree")))
    }

    @Test func fixedDefaultAndNarrowedValuesAreConvertedAtParse() throws {
        let s = try spec("""
            {"name": "f", "params": [{"name": "n", "type": "i32", "value": 3},
                                     {"name": "x", "type": "u8", "default": 7, "minimum": 1, "maximum": 9},
                                     {"name": "fmt", "type": "cstring", "value": "%d"},
                                     {"name": "b", "type": "buffer", "default": "aGk="},
                                     {"name": "len", "type": "u32", "lengthOf": "b"}]}
            """)
        #expect(s.params[0].fixed == .integer(3))
        #expect(s.params[1].defaultValue == .integer(7) && s.params[1].range == 1...9)
        #expect(s.params[2].fixed == .string(Array("%d".utf8)))
        #expect(s.params[3].defaultValue == .bytes(Array("hi".utf8)))
    }

    @Test func variadicArity() throws {
        let s = try spec(#"{"name": "sum", "params": [{"name": "n", "type": "i32", "value": 2}, {"name": "a", "type": "i64"}, {"name": "b", "type": "i64"}], "variadic": {"fixed": 1}}"#)
        #expect(s.fixedParams == 1 && s.isVariadic)
    }

    @Test(arguments: [
        (#"{"symbol": "x"}"#, "functions[0]: missing required key 'name' (the tool name)"),
        (#"{"name": "bad name"}"#, "functions[0].name: 'bad name' is not a valid tool name"),
        (#"{"name": "f", "retuns": "i32"}"#, "functions[0] (f).retuns: unknown key 'retuns' (did you mean 'returns'?)"),
        (#"{"name": "f", "params": [{"name": "x", "type": "f63"}]}"#, "functions[0] (f).params[0].type: 'f63' is not a type (did you mean 'f64'?)"),
        (#"{"name": "f", "params": [{"name": "x", "type": "int"}]}"#, "functions[0] (f).params[0].type: 'int' is not a type"),
        (#"{"name": "f", "params": [{"name": "x"}]}"#, "functions[0] (f).params[0]: missing required key 'type'"),
        (#"{"name": "f", "params": [{"type": "i8"}]}"#, "functions[0] (f).params[0]: missing required key 'name'"),
        (#"{"name": "f", "params": [{"name": "x", "type": "i8"}, {"name": "x", "type": "i8"}]}"#, "functions[0] (f).params[1].name: parameter name 'x' is already used by params[0]"),
        (#"{"name": "f", "params": [{"name": "x", "type": "i8", "value": 300}]}"#, "functions[0] (f).params[0].value: must be an integer between -128 and 127 (i8), found 300"),
        (#"{"name": "f", "params": [{"name": "x", "type": "cstring", "default": "a\u0000b"}]}"#, "functions[0] (f).params[0].default: contains a NUL character"),
        (#"{"name": "f", "params": [{"name": "x", "type": "i8", "minimum": -200}]}"#, "functions[0] (f).params[0].minimum: -200 is outside the range of i8"),
        (#"{"name": "f", "params": [{"name": "x", "type": "f64", "maximum": 2}]}"#, "functions[0] (f).params[0].maximum: 'minimum' and 'maximum' apply to integer parameters only"),
        (#"{"name": "f", "params": [{"name": "b", "type": "buffer"}]}"#, "functions[0] (f).params[0]: input buffer 'b' needs a length parameter: add an integer parameter with 'lengthOf: b'"),
        (#"{"name": "f", "params": [{"name": "n", "type": "u32", "lengthOf": "nope"}]}"#, "functions[0] (f).params[0].lengthOf: no parameter named 'nope'"),
        (#"{"name": "f", "params": [{"name": "s", "type": "cstring"}, {"name": "n", "type": "u32", "lengthOf": "s"}]}"#, "functions[0] (f).params[1].lengthOf: 's' is not a buffer or an out-string with a capacity"),
        (#"{"name": "f", "params": [{"name": "b", "type": "buffer"}, {"name": "n", "type": "f64", "lengthOf": "b"}]}"#, "functions[0] (f).params[1].lengthOf: a length parameter must have an integer type, not f64"),
        (#"{"name": "f", "params": [{"name": "o", "type": "cstring", "out": true, "capacity": 300}, {"name": "n", "type": "u8", "lengthOf": "o"}]}"#, "functions[0] (f).params[1].type: u8 cannot hold the capacity 300 of 'o'"),
        (#"{"name": "f", "params": [{"name": "o", "type": "cstring", "out": true}]}"#, "functions[0] (f).params[0]: an out-string needs either 'capacity'"),
        (#"{"name": "f", "params": [{"name": "o", "type": "cstring", "out": true, "capacity": 8, "ownership": "static"}]}"#, "functions[0] (f).params[0].ownership: 'capacity' and 'ownership' exclude each other"),
        (#"{"name": "f", "params": [{"name": "o", "type": "buffer", "out": true}]}"#, "functions[0] (f).params[0]: an out-buffer needs 'capacity'"),
        (#"{"name": "f", "params": [{"name": "o", "type": "buffer", "out": true, "capacity": 0}]}"#, "functions[0] (f).params[0].capacity: must be between 1 and 16777216 bytes, found 0"),
        (#"{"name": "f", "params": [{"name": "o", "type": "buffer", "out": true, "capacity": 4, "lengthFrom": "return"}]}"#, "functions[0] (f).returns: an out-buffer takes its length from the return value"),
        (#"{"name": "f", "params": [{"name": "o", "type": "buffer", "out": true, "capacity": 4, "lengthFrom": "n"}]}"#, "functions[0] (f).params[0].lengthFrom: 'n' is not an integer out-parameter (or 'return')"),
        (#"{"name": "f", "params": [{"name": "x", "type": "i32", "out": true, "value": 1}]}"#, "functions[0] (f).params[0].value: 'value' is not allowed here: parameter 'x' is a scalar out-parameter"),
        (#"{"name": "f", "params": [{"name": "result", "type": "i32", "out": true}], "returns": "i32"}"#, "functions[0] (f).params[0].name: an out-parameter cannot be named 'result'"),
        (#"{"name": "f", "returns": "cstring"}"#, "functions[0] (f).returns: a returned string needs 'ownership'"),
        (#"{"name": "f", "returns": {"type": "cstring", "ownership": "freed"}}"#, "functions[0] (f).returns: 'ownership: freed' needs 'free'"),
        (#"{"name": "f", "returns": {"type": "cstring", "ownership": "static", "free": "free"}}"#, "functions[0] (f).returns.free: 'free' goes with 'ownership: freed', not 'static'"),
        (#"{"name": "f", "returns": {"type": "i32", "ownership": "static"}}"#, "functions[0] (f).returns.ownership: 'ownership' applies to returned strings (cstring) only"),
        (#"{"name": "f", "returns": "double64"}"#, "functions[0] (f).returns: 'double64' is not a return type"),
        (#"{"name": "f", "errno": true}"#, "functions[0] (f).errno: must be 'capture' (report errno) or 'fail'"),
        (#"{"name": "f", "params": [{"name": "n", "type": "i32"}], "variadic": {"fixed": 2}}"#, "functions[0] (f).variadic.fixed: must be between 1 and the number of params (1), found 2"),
        (#"{"name": "f", "variadic": {}}"#, "functions[0] (f).variadic: missing required key 'fixed'"),
        (#"{"name": "f", "annotations": {"readOnly": true}}"#, "functions[0] (f).annotations.readOnly: unknown key 'readOnly'"),
        (#"{"name": "f", "params": "x"}"#, "functions[0] (f).params: must be a list, found a string ('x')"),
    ])
    func mistakesNameTheFunctionAndTheKey(entry: String, expected: String) {
        guard let message = specError(entry) else { return }
        #expect(message.hasPrefix("test.plugin.yaml: " + expected), "\(message)")
    }

    @Test func duplicateToolNamesInAManifest() throws {
        let manifest = try ffiManifest(id: "m", library: "libm.so.6", functions: [#"{"name": "cos"}"#, #"{"name": "cos", "symbol": "sin"}"#])
        #expect(throws: FFIManifestError.self) { try FFIManifestParser.parse(manifest) }
        do { _ = try FFIManifestParser.parse(manifest) } catch {
            #expect(error.description == "/tmp/ffi-tests/test.plugin.yaml: functions[1] (cos).name: tool name 'cos' is already used by functions[0]")
        }
    }

    /// Through the real manifest loader: errors carry the entry's line and column.
    @Test func errorsFromAManifestFileCarryTheEntryLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ffi-parser-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/m.plugin.yaml"
        try """
            kind: ffi
            id: m
            library: libm.so.6
            functions:
              - name: cos
                params: [{ name: x, type: f64 }]
                returns: f64
              - name: pow
                params:
                  - { name: x, type: f64 }
                  - { name: y, type: f63 }
                returns: f64
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let manifest = try ManifestLoader.loadPlugin(path: file)
        #expect(manifest.functionLocations.map(\.line) == [5, 8])
        #expect(throws: FFIManifestError.self) { try FFIManifestParser.parse(manifest) }
        do { _ = try FFIManifestParser.parse(manifest) } catch {
            #expect(error.description.hasPrefix("\(file):8:5: functions[1] (pow).params[1].type: 'f63' is not a type (did you mean 'f64'?)"))
        }
    }

    @Test func theExampleManifestsParse() throws {
        for name in ["libm", "zlib", "libc", "ffitest"] {
            let manifest = try ManifestLoader.loadPlugin(path: "\(repositoryRoot)/manifests/ffi/\(name).plugin.yaml")
            #expect(manifest.kind == .ffi)
            let specs = try FFIManifestParser.parse(manifest)
            #expect(specs.count == manifest.functions.count)
        }
    }
}
