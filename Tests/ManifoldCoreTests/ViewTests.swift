import ManifoldProtocol
import Synchronization
import Testing
@testable import ManifoldCore

/// SurfaceView (filtered, pre-serialized pages) and LiveView (following the composition).
@Suite struct SurfaceViewTests {
    static func surface(_ catalog: Catalog, prefix: String? = nil) throws -> Surface {
        var composer = Composer()
        return try composer.build(CompositionTree(name: "t", mounts: [
            Mount(content: .provider(FakeProvider(catalog: catalog)), prefix: prefix, label: "P"),
        ]), strict: true)
    }

    static let five = Catalog(tools: ["t1", "t2", "t3", "t4", "t5"].map { tool($0) })

    func page(_ view: SurfaceView, _ cursor: String?) throws -> JSONValue {
        try JSONValue.parse(try view.listPage(.tool, cursor: cursor))
    }

    @Test func pagesFollowTheNextCursorChainToTheEnd() throws {
        let view = SurfaceView(surface: try Self.surface(Self.five), filter: .all, pageSize: 2)
        var names: [[String]] = []
        var cursors: [String?] = []
        var cursor: String? = nil
        repeat {
            let result = try page(view, cursor)
            names.append(result["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
            cursor = result["nextCursor"]?.stringValue
            cursors.append(cursor)
        } while cursor != nil && names.count < 10
        #expect(names == [["t1", "t2"], ["t3", "t4"], ["t5"]])
        #expect(cursors.last == .some(nil))
        #expect(cursors.count == 3)
    }

    @Test func pageBytesAreTheMCPListResult() throws {
        let view = SurfaceView(surface: try Self.surface(Catalog(tools: [tool("only")])), filter: .all, pageSize: 2)
        #expect(text(try view.listPage(.tool, cursor: nil))
            == #"{"tools":[{"name":"only","description":"","inputSchema":{"type":"object","additionalProperties":false}}]}"#)
        #expect(text(try view.listPage(.prompt, cursor: nil)) == #"{"prompts":[]}"#)
        #expect(text(try view.listPage(.resourceTemplate, cursor: nil)) == #"{"resourceTemplates":[]}"#)
    }

    @Test(arguments: ["0", "3", "9", "-1", "abc", "", "1.0"])
    func unknownCursorIsInvalidParams(cursor: String) throws {
        let view = SurfaceView(surface: try Self.surface(Self.five), filter: .all, pageSize: 2)
        do {
            _ = try view.listPage(.tool, cursor: cursor)
            Issue.record("cursor '\(cursor)' was accepted")
        } catch {
            #expect(error.code == .invalidParams)
            #expect(error.message == "Invalid cursor: '\(cursor)'")
        }
    }

    @Test func filteredComponentsAreAbsentFromPagesAndLookups() throws {
        let catalog = Catalog(tools: [tool("pub", tags: ["public"]), tool("adm", tags: ["admin"])],
                              resources: [resource("data://secret", tags: ["admin"])])
        let view = SurfaceView(surface: try Self.surface(catalog), filter: TagFilter(exclude: ["admin"]), pageSize: 10)
        #expect(try page(view, nil)["tools"]?.arrayValue?.count == 1)
        #expect(view.lookup(.tool, "pub") != nil)
        #expect(view.lookup(.tool, "adm") == nil)
        #expect(view.entries(.tool).map(\.name) == ["pub"])
        #expect(view.resolveResource("data://secret") == nil)
    }

    @Test func pageSizeBelowOneIsTreatedAsOne() throws {
        let view = SurfaceView(surface: try Self.surface(Self.five), filter: .all, pageSize: 0)
        #expect(view.pageSize == 1)
        #expect(try page(view, nil)["nextCursor"] == "1")
    }
}

/// Records which kinds a LiveView reported as changed.
final class RecordingListener: ViewListener {
    let changes = Mutex<[Set<ComponentKind>]>([])
    let updates = Mutex<[String]>([])
    func viewListChanged(_ kinds: Set<ComponentKind>) { changes.withLock { $0.append(kinds) } }
    func viewResourceUpdated(_ uri: String) { updates.withLock { $0.append(uri) } }
}

@Suite struct LiveViewTests {
    @Test func listChangedNamesOnlyTheKindsWhosePagesChanged() throws {
        let provider = FakeProvider(catalog: Catalog(tools: [tool("a")], resources: [resource("data://r")], prompts: [prompt("p")]))
        let composition = try HostComposition(tree: CompositionTree(name: "t", mounts: [Mount(content: .provider(provider), label: "P")]),
                                              logger: testLogger)
        let view = composition.view(filter: .all)
        let listener = RecordingListener()
        view.addListener(listener)

        provider.setCatalog(Catalog(tools: [tool("a"), tool("b")], resources: [resource("data://r")], prompts: [prompt("p")]), notify: false)
        composition.rebuild()
        provider.setCatalog(Catalog(tools: [tool("a"), tool("b")], resources: [resource("data://r")],
                                    resourceTemplates: [template("data://{x}")], prompts: []), notify: false)
        composition.rebuild()
        composition.rebuild()
        #expect(listener.changes.withLock { $0 } == [[.tool], [.resourceTemplate, .prompt]])
    }

    @Test func changesHiddenByTheViewsFilterAreNotAnnounced() throws {
        let provider = FakeProvider(catalog: Catalog(tools: [tool("pub", tags: ["public"])]))
        let composition = try HostComposition(tree: CompositionTree(name: "t", mounts: [Mount(content: .provider(provider), label: "P")]),
                                              logger: testLogger)
        let publicView = composition.view(filter: TagFilter(include: ["public"]))
        let everything = composition.view(filter: .all)
        let publicListener = RecordingListener()
        let allListener = RecordingListener()
        publicView.addListener(publicListener)
        everything.addListener(allListener)
        provider.setCatalog(Catalog(tools: [tool("pub", tags: ["public"]), tool("adm", tags: ["admin"])]), notify: false)
        composition.rebuild()
        #expect(publicListener.changes.withLock { $0 }.isEmpty)
        #expect(allListener.changes.withLock { $0 } == [[.tool]])
        #expect(everything.current.lookup(.tool, "adm") != nil)
        #expect(publicView.current.lookup(.tool, "adm") == nil)
    }

    /// An endpoint's own view takes a new filter (a host manifest reload): its sessions' lists
    /// change at once, listeners hear list_changed for the kinds that differ, rebuilds keep the
    /// new filter, and views derived from it hear the new filter.
    @Test func aDedicatedViewIsRetargetedAndItsListenersHearIt() throws {
        let provider = FakeProvider(catalog: Catalog(tools: [tool("pub", tags: ["public"]), tool("adm", tags: ["admin"])],
                                                     prompts: [prompt("p", tags: ["public"])]))
        let composition = try HostComposition(tree: CompositionTree(name: "t", mounts: [Mount(content: .provider(provider), label: "P")]),
                                              logger: testLogger)
        let view = composition.dedicatedView(filter: TagFilter(exclude: ["admin"]))
        #expect(view !== composition.dedicatedView(filter: TagFilter(exclude: ["admin"])), "one per endpoint")
        #expect(view.isRetargetable)
        let listener = RecordingListener()
        view.addListener(listener)
        let followed = Mutex<[TagFilter]>([])
        view.onRetarget { filter in followed.withLock { $0.append(filter) } }
        #expect(view.current.lookup(.tool, "adm") == nil)

        #expect(view.retarget(to: .all))
        #expect(view.filter == .all)
        #expect(view.current.lookup(.tool, "adm") != nil)
        #expect(listener.changes.withLock { $0 } == [[.tool]], "only the tool list differs")
        #expect(followed.withLock { $0 } == [.all])

        provider.setCatalog(Catalog(tools: [tool("pub", tags: ["public"]), tool("adm", tags: ["admin"]), tool("adm2", tags: ["admin"])],
                                    prompts: [prompt("p", tags: ["public"])]), notify: false)
        composition.rebuild()
        #expect(view.current.lookup(.tool, "adm2") != nil, "rebuilds keep the new filter")

        #expect(view.retarget(to: TagFilter(include: ["admin"])))
        #expect(view.current.lookup(.tool, "pub") == nil)
        #expect(view.current.lookup(.prompt, "p") == nil)
        #expect(listener.changes.withLock { $0 } == [[.tool], [.tool], [.tool, .prompt]])
    }

    @Test func aSharedViewIsNotRetargeted() throws {
        let composition = try HostComposition(tree: CompositionTree(name: "t", mounts: []), logger: testLogger)
        let shared = composition.view(filter: .all)
        #expect(!shared.isRetargetable)
        #expect(!shared.retarget(to: TagFilter(include: ["a"])))
        #expect(shared.filter == .all)
    }

    @Test func viewsAreSharedPerFilter() throws {
        let composition = try HostComposition(tree: CompositionTree(name: "t", mounts: []), logger: testLogger)
        #expect(composition.view(filter: .all) === composition.view(filter: .all))
        #expect(composition.view(filter: TagFilter(include: ["a"])) !== composition.view(filter: .all))
    }

    @Test func removedListenersHearNothing() throws {
        let provider = FakeProvider(catalog: Catalog(tools: [tool("a")]))
        let composition = try HostComposition(tree: CompositionTree(name: "t", mounts: [Mount(content: .provider(provider), label: "P")]),
                                              logger: testLogger)
        let view = composition.view(filter: .all)
        let listener = RecordingListener()
        view.addListener(listener)
        view.removeListener(listener)
        provider.setCatalog(Catalog(tools: [tool("b")]), notify: false)
        composition.rebuild()
        #expect(listener.changes.withLock { $0 }.isEmpty)
    }

    @Test func hostCompositionBuildsStrictly() {
        let tree = CompositionTree(name: "t", mounts: [
            Mount(content: .provider(FakeProvider(catalog: Catalog(tools: [tool("x")]))), label: "A"),
            Mount(content: .provider(FakeProvider(catalog: Catalog(tools: [tool("x")]))), label: "B"),
        ])
        #expect(throws: CompositionError.self) { try HostComposition(tree: tree, logger: testLogger) }
    }

    @Test func providerChangeRebuildsTheSurfaceOffTheCallersThread() async throws {
        let provider = FakeProvider(catalog: Catalog(tools: [tool("a")]))
        let composition = try HostComposition(tree: CompositionTree(name: "t", mounts: [Mount(content: .provider(provider), label: "P")]),
                                              logger: testLogger)
        let view = composition.view(filter: .all)
        provider.setCatalog(Catalog(tools: [tool("a"), tool("b")]))
        #expect(await eventually { view.current.lookup(.tool, "b") != nil })
        #expect(composition.surface.lookup(.tool, "b") != nil)
    }
}
