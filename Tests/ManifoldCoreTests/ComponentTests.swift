import ManifoldProtocol
import Testing
@testable import ManifoldCore

/// Components as providers list them: tags moved out of the definition, defaults filled in.
@Suite struct ComponentTests {
    @Test func listedTagsMoveOutOfTheDefinitionAndJoinTheExtraTags() throws {
        let c = try Component(kind: .tool, listed: ["name": "add", "description": "Add.", "tags": ["public", "math"]],
                              extraTags: ["plugin:math"])
        #expect(c.tags == ["public", "math", "plugin:math"])
        #expect(c.definition["tags"] == nil)
        #expect(c.definition.keys == ["name", "description", "inputSchema"])
    }

    @Test func toolWithoutDescriptionOrSchemaGetsTheDefaults() throws {
        let c = try Component(kind: .tool, listed: ["name": "noop"])
        #expect(c.definition["description"] == "")
        #expect(c.definition["inputSchema"] == ["type": "object", "additionalProperties": false])
    }

    @Test func toolKeepsItsOwnDescriptionAndSchema() throws {
        let schema: JSONValue = ["type": "object", "properties": ["x": ["type": "number"]]]
        let c = try Component(kind: .tool, listed: ["name": "f", "description": "F.", "inputSchema": schema])
        #expect(c.definition["description"] == "F.")
        #expect(c.definition["inputSchema"] == schema)
    }

    @Test func nonToolKindsGetNoToolDefaults() throws {
        let r = try Component(kind: .resource, listed: ["uri": "data://x", "name": "x"])
        #expect(r.definition["inputSchema"] == nil)
        #expect(r.definition["description"] == nil)
        #expect(r.key == "data://x")
        #expect(try Component(kind: .resourceTemplate, listed: ["uriTemplate": "data://{id}", "name": "t"]).key == "data://{id}")
        #expect(try Component(kind: .prompt, listed: ["name": "greet"]).key == "greet")
    }

    @Test(arguments: [
        (ComponentKind.tool, ["description": "no name"] as JSONObject, "a tool needs a non-empty string 'name'"),
        (.tool, ["name": ""], "a tool needs a non-empty string 'name'"),
        (.tool, ["name": 5], "a tool needs a non-empty string 'name'"),
        (.resource, ["name": "x"], "a resource needs a non-empty string 'uri'"),
        (.resourceTemplate, ["uri": "a://b"], "a resource template needs a non-empty string 'uriTemplate'"),
        (.tool, ["name": "t", "tags": "public"], "'tags' must be an array of strings"),
        (.tool, ["name": "t", "tags": ["ok", 3]], "'tags' must be an array of strings"),
        (.tool, ["name": "t", "inputSchema": "object"], "tool 't': 'inputSchema' must be an object"),
    ] as [(ComponentKind, JSONObject, String)])
    func malformedDefinitionsAreRefusedSayingWhy(kind: ComponentKind, listed: JSONObject, message: String) {
        do {
            _ = try Component(kind: kind, listed: listed)
            Issue.record("accepted \(listed)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func renameKeepsMemberOrder() throws {
        var c = try Component(kind: .tool, listed: ["title": "T", "name": "a", "description": "d"])
        c.rename(to: "b")
        #expect(c.key == "b")
        #expect(c.definition.keys == ["title", "name", "description", "inputSchema"])
    }

    @Test func catalogDecodeSkipsMalformedEntriesAndReportsThem() {
        let list = #"[{"name":"good","tags":["x"]}, 7, {"description":"nameless"}, {"name":"also good"}]"#
        let (components, problems) = Catalog.decode(kind: .tool, listJSON: bytes(list), extraTags: ["m"])
        #expect(components.map(\.key) == ["good", "also good"])
        #expect(components.map(\.tags) == [["x", "m"], ["m"]])
        #expect(problems == ["tool #1 is not an object", "tool #2: a tool needs a non-empty string 'name'"])
    }

    @Test func catalogDecodeRefusesWhatIsNotAnArray() {
        #expect(Catalog.decode(kind: .prompt, listJSON: bytes(#"{"prompts":[]}"#)).problems == ["the prompt list must be a JSON array"])
        let broken = Catalog.decode(kind: .resource, listJSON: bytes("[{"))
        #expect(broken.components.isEmpty)
        #expect(broken.problems.count == 1)
        #expect(broken.problems.first?.hasPrefix("the resource list is not valid JSON: invalid JSON at byte") == true)
    }

    @Test func catalogSubscriptReadsAndWritesEachKind() {
        var catalog = Catalog.empty
        catalog[.tool] = [tool("t")]
        catalog[.resource] = [resource("a://r")]
        catalog[.resourceTemplate] = [template("a://{x}")]
        catalog[.prompt] = [prompt("p")]
        #expect(catalog.count == 4)
        #expect(catalog.tools.map(\.key) == ["t"])
        #expect(catalog.resources.map(\.key) == ["a://r"])
        #expect(catalog.resourceTemplates.map(\.key) == ["a://{x}"])
        #expect(catalog.prompts.map(\.key) == ["p"])
    }

    @Test func kindsNameTheirKeyAndListMembers() {
        #expect(ComponentKind.allCases.map(\.keyField) == ["name", "uri", "uriTemplate", "name"])
        #expect(ComponentKind.allCases.map(\.listField) == ["tools", "resources", "resourceTemplates", "prompts"])
        #expect(ComponentKind.allCases.map(\.rawValue) == [1, 2, 3, 4])
    }
}
