import ManifoldProtocol
import Testing
@testable import ManifoldCore

/// The composition rules of DESIGN.md §6, on the Composer directly.
@Suite struct ComposerTests {
    /// Builds strictly once; a refusal fails the test.
    func build(_ tree: CompositionTree) throws -> Surface {
        var composer = Composer()
        return try composer.build(tree, strict: true)
    }

    /// The error a strict build is refused with.
    func refusal(_ tree: CompositionTree) -> String? {
        var composer = Composer()
        do {
            _ = try composer.build(tree, strict: true)
            return nil
        } catch {
            return error.description
        }
    }

    func names(_ surface: Surface, _ kind: ComponentKind) -> [String] { surface[kind].map(\.name) }

    static func everyKind(_ name: String = "fake") -> FakeProvider {
        FakeProvider(name, catalog: Catalog(
            tools: [tool("add", tags: ["public"]), tool("wipe", tags: ["admin"])],
            resources: [resource("data://config")],
            resourceTemplates: [template("data://items/{id}")],
            prompts: [prompt("greet")]))
    }

    // MARK: Prefixes

    @Test func unprefixedMountExposesTheProvidersOwnNames() throws {
        let s = try build(CompositionTree(name: "t", mounts: [Mount(content: .provider(Self.everyKind()), label: "m")]))
        #expect(names(s, .tool) == ["add", "wipe"])
        #expect(names(s, .resource) == ["data://config"])
        #expect(names(s, .resourceTemplate) == ["data://items/{id}"])
        #expect(names(s, .prompt) == ["greet"])
    }

    @Test func prefixJoinsToolsAndPromptsWithTheSeparatorAndResourcesAfterTheScheme() throws {
        let s = try build(CompositionTree(name: "t", mounts: [
            Mount(content: .provider(Self.everyKind()), prefix: "math", label: "m"),
        ]))
        #expect(names(s, .tool) == ["math_add", "math_wipe"])
        #expect(names(s, .prompt) == ["math_greet"])
        #expect(names(s, .resource) == ["data://math/config"])
        #expect(names(s, .resourceTemplate) == ["data://math/items/{id}"])
        let add = try #require(s.lookup(.tool, "math_add"))
        #expect(add.route.localName == "add")
        #expect(add.component.definition["name"] == "math_add")
        let config = try #require(s.lookup(.resource, "data://math/config"))
        #expect(config.route.localName == "data://config")
        #expect(config.route.uriPath == "math/")
    }

    @Test func separatorIsConfigurable() throws {
        let s = try build(CompositionTree(name: "t", separator: "__", mounts: [
            Mount(content: .provider(Self.everyKind()), prefix: "math", label: "m"),
        ]))
        #expect(names(s, .tool) == ["math__add", "math__wipe"])
        #expect(names(s, .resource) == ["data://math/config"])
    }

    @Test func nestedPrefixesComposeOutsideIn() throws {
        let provider = FakeProvider(catalog: Catalog(tools: [tool("tool")], resources: [resource("scheme://path")],
                                                     resourceTemplates: [template("scheme://items/{id}")]))
        let inner = CompositionTree(name: "inner", mounts: [Mount(content: .provider(provider), prefix: "inner", label: "inner mount")])
        let s = try build(CompositionTree(name: "outer", mounts: [Mount(content: .composition(inner), prefix: "outer", label: "outer mount")]))
        #expect(names(s, .tool) == ["outer_inner_tool"])
        #expect(names(s, .resource) == ["scheme://outer/inner/path"])
        #expect(names(s, .resourceTemplate) == ["scheme://outer/inner/items/{id}"])
        let entry = try #require(s.lookup(.tool, "outer_inner_tool"))
        #expect(entry.route.localName == "tool")
        #expect(entry.origin == ["inner mount", "outer mount"])
        #expect(entry.originDescription == "inner mount via outer mount")
        #expect(try #require(s.lookup(.resource, "scheme://outer/inner/path")).route.uriPath == "outer/inner/")
    }

    @Test func eachLevelUsesItsOwnSeparator() throws {
        let inner = CompositionTree(name: "inner", separator: ".", mounts: [
            Mount(content: .provider(FakeProvider(catalog: Catalog(tools: [tool("t")]))), prefix: "in", label: "i"),
        ])
        let s = try build(CompositionTree(name: "outer", separator: "__", mounts: [Mount(content: .composition(inner), prefix: "out", label: "o")]))
        #expect(names(s, .tool) == ["out__in.t"])
    }

    // MARK: Renames, descriptions, tags, filters

    @Test func renamesApplyBeforeThePrefixAndRouteToTheOriginalName() throws {
        let s = try build(CompositionTree(name: "t", mounts: [
            Mount(content: .provider(Self.everyKind()), prefix: "m", renames: ["add": "plus", "greet": "hello"],
                  descriptions: ["wipe": "Erase everything."], label: "m"),
        ]))
        #expect(names(s, .tool) == ["m_plus", "m_wipe"])
        #expect(names(s, .prompt) == ["m_hello"])
        #expect(s.lookup(.tool, "m_plus")?.route.localName == "add")
        #expect(s.lookup(.prompt, "m_hello")?.route.localName == "greet")
        #expect(s.lookup(.tool, "m_wipe")?.component.definition["description"] == "Erase everything.")
    }

    @Test func addedTagsJoinTheProvidersTagsBeforeTheFilter() throws {
        let s = try build(CompositionTree(name: "t", mounts: [
            Mount(content: .provider(Self.everyKind()), filter: TagFilter(include: ["demo"]), addTags: ["demo"], label: "m"),
        ]))
        #expect(names(s, .tool) == ["add", "wipe"])
        #expect(s.lookup(.tool, "add")?.component.tags == ["public", "demo"])
    }

    @Test func mountFilterRemovesComponentsAndSaysWhyAndWhere() throws {
        let s = try build(CompositionTree(name: "t", mounts: [
            Mount(content: .provider(Self.everyKind()), prefix: "m", filter: TagFilter(exclude: ["admin"]), label: "plugin 'fake'"),
        ]))
        #expect(names(s, .tool) == ["m_add"])
        let removed = try #require(s.removed.first { $0.name == "wipe" })
        #expect(removed.kind == .tool)
        #expect(removed.reason == "excluded by tag 'admin' at plugin 'fake'")
        #expect(removed.origin == ["plugin 'fake'"])
    }

    @Test func filtersOfNestedMountsBothApply() throws {
        let provider = FakeProvider(catalog: Catalog(tools: [tool("a", tags: ["x"]), tool("b", tags: ["x", "y"]), tool("c", tags: ["y"])]))
        let inner = CompositionTree(name: "inner", mounts: [Mount(content: .provider(provider), filter: TagFilter(include: ["x"]), label: "i")])
        let s = try build(CompositionTree(name: "outer", mounts: [Mount(content: .composition(inner), filter: TagFilter(exclude: ["y"]), label: "o")]))
        #expect(names(s, .tool) == ["a"])
    }

    // MARK: Collisions

    @Test func collisionErrorNamesBothSources() {
        let tree = CompositionTree(name: "t", mounts: [
            Mount(content: .provider(FakeProvider("a", catalog: Catalog(tools: [tool("add")]))), label: "plugin 'a' (host.yaml:3)"),
            Mount(content: .provider(FakeProvider("b", catalog: Catalog(tools: [tool("add")]))), label: "plugin 'b' (host.yaml:7)"),
        ])
        let message = refusal(tree)
        #expect(message?.contains("tool 'add' is exposed twice: by plugin 'a' (host.yaml:3) and by plugin 'b' (host.yaml:7)") == true,
                "\(message ?? "built")")
    }

    @Test func collisionsOfResourcesAreFoundToo() {
        let tree = CompositionTree(name: "t", mounts: [
            Mount(content: .provider(FakeProvider("a", catalog: Catalog(resources: [resource("data://x")]))), label: "A"),
            Mount(content: .provider(FakeProvider("b", catalog: Catalog(resources: [resource("data://x")]))), label: "B"),
        ])
        #expect(refusal(tree)?.contains("resource 'data://x' is exposed twice: by A and by B") == true)
    }

    @Test func differentPrefixesAvoidTheCollision() throws {
        let s = try build(CompositionTree(name: "t", mounts: [
            Mount(content: .provider(FakeProvider("a", catalog: Catalog(tools: [tool("add")]))), prefix: "a", label: "A"),
            Mount(content: .provider(FakeProvider("b", catalog: Catalog(tools: [tool("add")]))), prefix: "b", label: "B"),
        ]))
        #expect(names(s, .tool) == ["a_add", "b_add"])
    }

    @Test(arguments: [(CompositionTree.CollisionPolicy.first, "a"), (.last, "b")])
    func onCollisionChoosesTheWinner(policy: CompositionTree.CollisionPolicy, winner: String) throws {
        let a = FakeProvider("a", catalog: Catalog(tools: [tool("add", description: "from a")]))
        let b = FakeProvider("b", catalog: Catalog(tools: [tool("add", description: "from b")]))
        let s = try build(CompositionTree(name: "t", mounts: [
            Mount(content: .provider(a), label: "A"), Mount(content: .provider(b), label: "B"),
        ], onCollision: policy))
        #expect(s[.tool].count == 1)
        let kept = try #require(s.lookup(.tool, "add"))
        #expect(kept.component.definition["description"] == .string("from \(winner)"))
        #expect(kept.route.provider === (winner == "a" ? a : b))
        let loser = winner == "a" ? "B" : "A"
        #expect(s.removed.map(\.origin) == [[loser]])
        #expect(s.removed.first?.reason.contains("onCollision keeps the \(policy == .first ? "first" : "last")") == true)
    }

    @Test func liveRebuildKeepsServingThroughACollisionAndReportsIt() throws {
        let a = FakeProvider("a", catalog: Catalog(tools: [tool("add")]))
        let b = FakeProvider("b", catalog: Catalog(tools: [tool("sub")]))
        let tree = CompositionTree(name: "t", mounts: [Mount(content: .provider(a), label: "A"), Mount(content: .provider(b), label: "B")])
        var composer = Composer()
        _ = try composer.build(tree, strict: true)
        b.setCatalog(Catalog(tools: [tool("sub"), tool("add")]), notify: false)
        #expect(throws: CompositionError.self) { try composer.build(tree, strict: true) }
        let s = try composer.build(tree, strict: false)
        #expect(names(s, .tool) == ["add", "sub"])
        #expect(s.lookup(.tool, "add")?.route.provider === a)
        #expect(s.removed.map(\.reason) == ["tool 'add' is exposed twice: by A and by B"])
    }

    // MARK: Tool names

    @Test func toolNameRule() {
        #expect(Composer.isValidToolName("a"))
        #expect(Composer.isValidToolName("Az09_.-"))
        #expect(Composer.isValidToolName(String(repeating: "x", count: 64)))
        #expect(!Composer.isValidToolName(String(repeating: "x", count: 65)))
        #expect(!Composer.isValidToolName(""))
        #expect(!Composer.isValidToolName("has space"))
        #expect(!Composer.isValidToolName("slash/name"))
        #expect(!Composer.isValidToolName("é"))
    }

    @Test func strictBuildRefusesAnInvalidExposedToolNameNamingItsSource() {
        let tree = CompositionTree(name: "t", mounts: [
            Mount(content: .provider(FakeProvider(catalog: Catalog(tools: [tool("add")]))), prefix: "my tools", label: "plugin 'x'"),
        ])
        #expect(refusal(tree) == "exposed tool name 'my tools_add' does not match ^[A-Za-z0-9_.-]{1,64}$ (from plugin 'x')")
    }

    @Test func prefixThatMakesANameTooLongIsRefused() {
        let tree = CompositionTree(name: "t", mounts: [
            Mount(content: .provider(FakeProvider(catalog: Catalog(tools: [tool(String(repeating: "t", count: 60))]))),
                  prefix: "long", label: "L"),
        ])
        #expect(refusal(tree)?.hasPrefix("exposed tool name 'long_tttt") == true)
    }

    @Test func liveRebuildDropsAnInvalidNameAndKeepsTheRest() throws {
        let provider = FakeProvider(catalog: Catalog(tools: [tool("ok")]))
        let tree = CompositionTree(name: "t", mounts: [Mount(content: .provider(provider), label: "P")])
        var composer = Composer()
        _ = try composer.build(tree, strict: true)
        // Providers are not bound by the rule; the exposed name is.
        provider.setCatalog(Catalog(tools: [tool("ok"), tool("bad name")]), notify: false)
        let s = try composer.build(tree, strict: false)
        #expect(names(s, .tool) == ["ok"])
        #expect(s.removed.map(\.name) == ["bad name"])
        #expect(s.removed.first?.reason == "exposed tool name 'bad name' does not match ^[A-Za-z0-9_.-]{1,64}$")
    }

    @Test func promptNamesAreNotHeldToTheToolNameRule() throws {
        let s = try build(CompositionTree(name: "t", mounts: [
            Mount(content: .provider(FakeProvider(catalog: Catalog(prompts: [prompt("say hello")]))), label: "P"),
        ]))
        #expect(names(s, .prompt) == ["say hello"])
    }

    // MARK: Import vs mount

    @Test func importKeepsTheSnapshotWhileMountFollowsChanges() throws {
        let imported = FakeProvider("imported", catalog: Catalog(tools: [tool("v1")]))
        let mounted = FakeProvider("mounted", catalog: Catalog(tools: [tool("v1")]))
        let tree = CompositionTree(name: "t", mounts: [
            Mount(content: .provider(imported), prefix: "imp", mode: .snapshot, label: "I"),
            Mount(content: .provider(mounted), prefix: "mnt", mode: .live, label: "M"),
        ])
        var composer = Composer()
        #expect(names(try composer.build(tree, strict: true), .tool) == ["imp_v1", "mnt_v1"])
        imported.setCatalog(Catalog(tools: [tool("v2")]), notify: false)
        mounted.setCatalog(Catalog(tools: [tool("v2")]), notify: false)
        #expect(names(try composer.build(tree, strict: false), .tool) == ["imp_v1", "mnt_v2"])
    }

    @Test func importedSnapshotStillGetsTheMountsCurrentOptions() throws {
        let provider = FakeProvider(catalog: Catalog(tools: [tool("a", tags: ["x"])]))
        var tree = CompositionTree(name: "t", mounts: [Mount(content: .provider(provider), prefix: "p", mode: .snapshot, label: "I")])
        var composer = Composer()
        _ = try composer.build(tree, strict: true)
        provider.setCatalog(.empty, notify: false)
        tree.mounts[0].prefix = "q"
        #expect(names(try composer.build(tree, strict: false), .tool) == ["q_a"])
    }

    // MARK: Health

    @Test func unhealthyProviderContributesNothingAndIsListed() throws {
        let failing = FakeProvider("down", catalog: Catalog(tools: [tool("x")]))
        failing.setHealth(.failed("library missing"), notify: false)
        let s = try build(CompositionTree(name: "t", mounts: [
            Mount(content: .provider(failing), label: "D"),
            Mount(content: .provider(FakeProvider("up", catalog: Catalog(tools: [tool("y")]))), label: "U"),
        ]))
        #expect(names(s, .tool) == ["y"])
        #expect(s.unhealthy.map(\.label) == ["D"])
        #expect(s.unhealthy.first?.health == .failed("library missing"))
    }

    @Test func providersOfATreeAreListedOnceEach() {
        let shared = FakeProvider("shared")
        let other = FakeProvider("other")
        let inner = CompositionTree(name: "i", mounts: [Mount(content: .provider(shared), label: "1"), Mount(content: .provider(other), label: "2")])
        let tree = CompositionTree(name: "o", mounts: [Mount(content: .provider(shared), prefix: "a", label: "3"), Mount(content: .composition(inner), prefix: "b", label: "4")])
        #expect(tree.providers.map(\.displayName) == ["provider 'shared'", "provider 'other'"])
    }

    // MARK: Surface lookups

    @Test func resolveResourcePrefersStaticResourcesThenTheFirstMatchingTemplate() throws {
        let provider = FakeProvider(catalog: Catalog(resources: [resource("data://items/special")],
                                                     resourceTemplates: [template("data://items/{id}"), template("data://{+any}")]))
        let s = try build(CompositionTree(name: "t", mounts: [Mount(content: .provider(provider), prefix: "p", label: "P")]))
        let special = try #require(s.resolveResource("data://p/items/special"))
        #expect(special.entry.kind == .resource)
        #expect(special.localURI == "data://items/special")
        let item = try #require(s.resolveResource("data://p/items/7"))
        #expect(item.entry.name == "data://p/items/{id}")
        #expect(item.localURI == "data://items/7")
        let other = try #require(s.resolveResource("data://p/x/y"))
        #expect(other.entry.name == "data://p/{+any}")
        #expect(other.localURI == "data://x/y")
        #expect(s.resolveResource("data://q/items/7") == nil)
    }
}

extension ExposedComponent {
    var kind: ComponentKind { component.kind }
}
