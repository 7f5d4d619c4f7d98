import Foundation
import ManifoldCore
import ManifoldManifest
import ManifoldTestSupport
import Testing
@testable import ManifoldPlugins

/// Records which lists a view announced as changed.
final class ListListener: ViewListener {
    let announced = Locked<[Set<ComponentKind>]>([])
    func viewListChanged(_ kinds: Set<ComponentKind>) { announced.withLock { $0.append(kinds) } }
    func viewResourceUpdated(_ uri: String) {}
}

/// Decision 4: `HostComposition.replace(tree:)` installs a new tree; providers in both trees are
/// the same objects, so calls in flight in them are untouched.
@Suite struct CompositionReplaceTests {
    let folder = TemporaryFolder()

    @Test func replaceKeepsUnchangedProvidersAndTheirCallsInFlight() async throws {
        let manifest = try writePluginManifest(id: "crashy", library: builtLibrary("libFixtureCrashy.so"), in: folder.path)
        let plugin = try NativePluginLoader.load(manifest, runtime: sharedRuntime, logger: testLogger,
                                                 cache: LibraryCache(root: folder.path + "/cache"))
        let crashy = ReloadableProvider(plugin, logger: testLogger)
        let stub = StubProvider("stub", tools: ["hello"])
        let tree = CompositionTree(name: "t", mounts: [
            Mount(content: .provider(crashy), prefix: "c", label: "crashy"),
            Mount(content: .provider(stub), prefix: "s", label: "stub"),
        ])
        let composition = try HostComposition(tree: tree, logger: testLogger)
        let view = composition.view(filter: .all)
        let listener = ListListener()
        view.addListener(listener)

        // A call in flight through the composition's route.
        let route = try #require(composition.surface.lookup(.tool, "c_block")).route
        let blocked = PendingCall(route.provider, route.localName)
        #expect(eventually { plugin.callsInFlight.count == 1 })

        // Replace: crashy stays, the stub goes, another stub arrives.
        let other = StubProvider("other", tools: ["bye"])
        composition.replace(tree: CompositionTree(name: "t", mounts: [
            Mount(content: .provider(crashy), prefix: "c", label: "crashy"),
            Mount(content: .provider(other), prefix: "o", label: "other"),
        ]))
        #expect(composition.surface.lookup(.tool, "s_hello") == nil)
        #expect(composition.surface.lookup(.tool, "o_bye") != nil)
        #expect(composition.surface.lookup(.tool, "c_ok")?.route.provider === crashy, "the same provider object")
        #expect(view.current.lookup(.tool, "o_bye") != nil)
        #expect(listener.announced.value == [[.tool]], "only the tool list changed")
        #expect(!blocked.isDone)
        #expect(!plugin.isShutDown)
        _ = await invoke(plugin, "release")
        #expect(blocked.wait()?.text == "released built-in")

        // The same tree again: nothing to announce.
        composition.replace(tree: composition.tree)
        #expect(listener.announced.value.count == 1)
    }

    @Test func anImportSnapshotStaysWithItsMountWhenMountsAreAddedAroundIt() throws {
        let growing = MutableStub(tools: ["a"])
        let imported = Mount(content: .provider(growing), prefix: "i", mode: .snapshot, label: "imported")
        let composition = try HostComposition(tree: CompositionTree(name: "t", mounts: [imported]), logger: testLogger)
        #expect(composition.surface[.tool].map(\.name) == ["i_a"])
        growing.tools.withLock { $0 = ["a", "b"] }
        composition.replace(tree: CompositionTree(name: "t", mounts: [
            Mount(content: .provider(StubProvider("new", tools: ["n"])), prefix: "n", label: "new"),
            imported,
        ]))
        #expect(composition.surface[.tool].map(\.name) == ["n_n", "i_a"], "still the snapshot taken at first compose")
        // A mount that is new to the tree takes its snapshot now.
        composition.replace(tree: CompositionTree(name: "t", mounts: [
            Mount(content: .provider(growing), prefix: "j", mode: .snapshot, label: "imported again"),
        ]))
        #expect(composition.surface[.tool].map(\.name) == ["j_a", "j_b"])
    }
}

/// A provider whose tool list the test changes.
final class MutableStub: Provider {
    let tools: Locked<[String]>
    init(tools: [String]) { self.tools = Locked(tools) }
    var displayName: String { "mutable" }
    func catalog() -> Catalog {
        var catalog = Catalog.empty
        catalog[.tool] = tools.value.map { try! Component(kind: .tool, listed: ["name": .string($0), "inputSchema": ["type": "object"]]) }
        return catalog
    }
    var health: ProviderHealth { .ready }
    func addObserver(_ observer: any ProviderObserver) {}
    func invoke(_ request: ProviderRequest, context: any CallContext, completion: @escaping @Sendable (CallOutcome) -> Void) {
        completion(.failure(.internalError("no")))
    }
}
