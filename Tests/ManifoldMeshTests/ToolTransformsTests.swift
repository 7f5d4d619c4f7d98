import ManifoldCore
import ManifoldProtocol
import Testing

/// Fixed arguments, allow/deny lists and description overrides (docs/MANIFESTS.md, per-mount
/// transforms): the pure pieces, then the Composer applying them.
@Suite struct ToolTransformsTests {
    // MARK: Globs and selections

    @Test func globsMatchRunsAndSingleCharacters() {
        #expect(ToolSelection.matches("*", "anything"))
        #expect(ToolSelection.matches("get_*", "get_user"))
        #expect(!ToolSelection.matches("get_*", "set_user"))
        #expect(ToolSelection.matches("*_admin", "wipe_admin"))
        #expect(ToolSelection.matches("a?c", "abc"))
        #expect(!ToolSelection.matches("a?c", "ac"))
        #expect(ToolSelection.matches("a*b*c", "a-b-x-c"))
        #expect(!ToolSelection.matches("a*b*c", "a-c"))
        #expect(ToolSelection.matches("exact", "exact"))
        #expect(!ToolSelection.matches("exact", "exactly"))
    }

    @Test func denyWinsOverAllowAndNoAllowKeepsTheRest() {
        let selection = ToolSelection(allow: ["get_*", "wipe"], deny: ["wipe"])
        #expect(selection.removalReason("get_user") == nil)
        #expect(selection.removalReason("wipe") == "denied by tools.deny 'wipe'")
        #expect(selection.removalReason("set_user") == "not in tools.allow")
        let denyOnly = ToolSelection(deny: ["*_admin"])
        #expect(denyOnly.removalReason("anything") == nil)
        #expect(denyOnly.removalReason("x_admin") != nil)
        #expect(ToolSelection.all.keepsEverything)
    }

    // MARK: Fixed arguments

    @Test func fixedValuesAreAppendedAndTheClientsOtherMembersKeptAsWritten() {
        let fixed = FixedArguments(["greeting": "Howdy", "limit": 5])
        let merged = fixed.merge(into: bytes(#"{ "name" : "Ann\"s" , "n":[1, 2] }"#)[...])
        #expect(text(merged) == #"{"name" : "Ann\"s","n":[1, 2],"greeting":"Howdy","limit":5}"#)
    }

    @Test func aClientValueUnderAFixedNameIsReplaced() {
        let fixed = FixedArguments(["greeting": "Howdy"])
        let merged = fixed.merge(into: bytes(#"{"greeting":{"nested":"x"},"name":"Bo"}"#)[...])
        #expect(json(merged) == ["name": "Bo", "greeting": "Howdy"])
        #expect(text(merged) == #"{"name":"Bo","greeting":"Howdy"}"#)
    }

    @Test func emptyOrInvalidArgumentsGetOnlyTheFixedValues() {
        let fixed = FixedArguments(["a": 1])
        #expect(text(fixed.merge(into: bytes("{}")[...])) == #"{"a":1}"#)
        #expect(text(fixed.merge(into: bytes(" { } ")[...])) == #"{"a":1}"#)
        #expect(text(fixed.merge(into: bytes("[1]")[...])) == #"{"a":1}"#)
        #expect(text(fixed.merge(into: bytes(#"{"x":}"#)[...])) == #"{"a":1}"#)
    }

    @Test func fixedArgumentsLeaveTheSchemasPropertiesAndRequired() {
        let fixed = FixedArguments(["greeting": "Howdy"])
        let schema = fixed.hiding(in: objectSchema(["name", "greeting", "punctuation"], required: ["name", "greeting"]))
        #expect(schema["properties"]?.objectValue?.keys == ["name", "punctuation"])
        #expect(schema["required"] == ["name"])
        #expect(schema["type"] == "object")
    }

    @Test func anOuterMountsFixedValuesAddToAnInnerOnes() {
        let inner = FixedArguments(["a": 1, "b": 2])
        let both = inner.adding(["b": 3, "c": 4])
        #expect(both.values == ["a": 1, "b": 3, "c": 4])
    }

    // MARK: The Composer applying them

    static func catalog() -> Catalog {
        Catalog(tools: [
            tool("greet", schema: objectSchema(["name", "greeting"], required: ["name", "greeting"]), description: "original"),
            tool("get_user"), tool("set_user"), tool("wipe"),
        ])
    }

    func build(_ tree: CompositionTree) throws -> Surface {
        var composer = Composer()
        return try composer.build(tree, strict: true)
    }

    @Test func aMountAppliesAllowDenyDescriptionsAndFixedArgumentsBeforeRenameAndPrefix() throws {
        var mount = Mount(content: .provider(EchoProvider("p", catalog: Self.catalog())), prefix: "ev",
                          renames: ["greet": "hello"], descriptions: ["greet": "overridden"], label: "m")
        mount.tools = ToolSelection(allow: ["greet", "*_user", "wipe"], deny: ["set_*", "wipe"])
        mount.fixedArguments = ["greet": ["greeting": "Howdy"]]
        let surface = try build(CompositionTree(name: "t", mounts: [mount]))
        #expect(surface[.tool].map(\.name) == ["ev_hello", "ev_get_user"])
        let greet = try #require(surface.lookup(.tool, "ev_hello"))
        #expect(greet.component.definition["description"] == "overridden")
        #expect(greet.component.definition["inputSchema"]?["properties"]?.objectValue?.keys == ["name"])
        #expect(greet.component.definition["inputSchema"]?["required"] == ["name"])
        #expect(greet.route.localName == "greet")
        #expect(greet.route.fixedArguments?.values == ["greeting": "Howdy"])
        #expect(surface.lookup(.tool, "ev_get_user")?.route.fixedArguments == nil)
        let removed = Dictionary(uniqueKeysWithValues: surface.removed.map { ($0.name, $0.reason) })
        #expect(removed["set_user"] == "denied by tools.deny 'set_*' at m")
        #expect(removed["wipe"] == "denied by tools.deny 'wipe' at m")
    }

    @Test func nestedMountsComposeFixedArgumentsOutsideIn() throws {
        var inner = Mount(content: .provider(EchoProvider("p", catalog: Catalog(tools: [
            tool("f", schema: objectSchema(["a", "b", "c"], required: ["a", "b", "c"])),
        ]))), prefix: "in", label: "inner")
        inner.fixedArguments = ["f": ["a": 1]]
        var outer = Mount(content: .composition(CompositionTree(name: "n", mounts: [inner])), prefix: "out", label: "outer")
        outer.fixedArguments = ["in_f": ["b": 2]]
        let surface = try build(CompositionTree(name: "t", mounts: [outer]))
        let f = try #require(surface.lookup(.tool, "out_in_f"))
        #expect(f.route.fixedArguments?.values == ["a": 1, "b": 2])
        #expect(f.component.definition["inputSchema"]?["required"] == ["c"])
        #expect(text(f.route.fixedArguments!.merge(into: bytes(#"{"c":3}"#)[...])) == #"{"c":3,"a":1,"b":2}"#)
    }

    @Test func allowAndDenyMatchTheSourceNameNotTheRenamedOne() throws {
        var mount = Mount(content: .provider(EchoProvider("p", catalog: Self.catalog())),
                          renames: ["wipe": "keep_me"], label: "m")
        mount.tools = ToolSelection(deny: ["wipe"])
        let surface = try build(CompositionTree(name: "t", mounts: [mount]))
        #expect(!surface[.tool].map(\.name).contains("keep_me"))
    }
}
