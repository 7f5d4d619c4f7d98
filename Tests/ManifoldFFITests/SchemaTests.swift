import ManifoldProtocol
import Testing
@testable import ManifoldPlugins

@Suite struct SchemaTests {
    @Test func inputSchemaFromParameters() throws {
        let s = try spec("""
            {"name": "f", "params": [
               {"name": "a", "type": "i8", "description": "Small."},
               {"name": "b", "type": "u64"},
               {"name": "c", "type": "f64"},
               {"name": "d", "type": "bool", "default": true},
               {"name": "e", "type": "cstring", "nullable": true},
               {"name": "data", "type": "buffer"},
               {"name": "len", "type": "size_t", "lengthOf": "data"},
               {"name": "k", "type": "i32", "value": 4},
               {"name": "q", "type": "i32", "out": true},
               {"name": "n", "type": "i16", "minimum": -5, "maximum": 5, "default": 1}]}
            """)
        let schema = JSONValue.object(s.inputSchema())
        #expect(schema.jsonText == #"{"type":"object","properties":{"#
            + #""a":{"type":"integer","minimum":-128,"maximum":127,"description":"Small."},"#
            + #""b":{"type":"integer","minimum":0,"maximum":18446744073709551615},"#
            + #""c":{"type":"number"},"#
            + #""d":{"type":"boolean","default":true},"#
            + #""e":{"type":["string","null"]},"#
            + #""data":{"type":"string","contentEncoding":"base64"},"#
            + #""len":{"type":"integer","minimum":0,"maximum":18446744073709551615,"description":"Byte length of 'data'. Optional: the decoded length is passed; when given, it must match."},"#
            + #""n":{"type":"integer","minimum":-5,"maximum":5,"default":1}},"#
            + #""required":["a","b","c","e","data"],"additionalProperties":false}"#)
    }

    @Test func noParametersIsAClosedEmptyObject() throws {
        #expect(JSONValue.object(try spec(#"{"name": "f"}"#).inputSchema()).jsonText == #"{"type":"object","additionalProperties":false}"#)
    }

    @Test func outputSchemaFromResultOutParametersAndErrno() throws {
        let s = try spec("""
            {"name": "f", "params": [
               {"name": "q", "type": "u8", "out": true, "description": "Q."},
               {"name": "text", "type": "cstring", "out": true, "capacity": 8},
               {"name": "ref", "type": "cstring", "out": true, "ownership": "static"},
               {"name": "bytes", "type": "buffer", "out": true, "capacity": 4}],
             "returns": {"type": "f32", "description": "R."}, "errno": "capture"}
            """)
        let schema = try #require(s.outputSchema())
        #expect(JSONValue.object(schema).jsonText == #"{"type":"object","properties":{"#
            + #""result":{"anyOf":[{"type":"number"},{"enum":["Infinity","-Infinity","NaN"]}],"description":"R."},"#
            + #""q":{"type":"integer","minimum":0,"maximum":255,"description":"Q."},"#
            + #""text":{"type":"string"},"ref":{"type":["string","null"]},"#
            + #""bytes":{"type":"string","contentEncoding":"base64"},"#
            + #""errno":{"type":"integer","description":"errno after the call (0: not set)."}},"#
            + #""required":["result","q","text","ref","bytes","errno"],"additionalProperties":false}"#)
    }

    @Test func voidWithoutOutputsHasNoOutputSchema() throws {
        let s = try spec(#"{"name": "f", "params": [{"name": "x", "type": "i32"}]}"#)
        #expect(s.outputSchema() == nil)
        #expect(s.toolDefinition()["outputSchema"] == nil)
    }

    @Test func toolDefinition() throws {
        let s = try spec(#"{"name": "f", "title": "F", "description": "Does f.", "tags": ["t"], "annotations": {"readOnlyHint": true}, "returns": "bool"}"#)
        let tool = s.toolDefinition()
        #expect(tool.keys == ["name", "title", "description", "inputSchema", "outputSchema", "annotations", "tags"])
        #expect(tool["outputSchema"]?["properties"]?["result"] == ["type": "boolean"])
    }
}
