import Dispatch
import Foundation
import ManifoldCore
import ManifoldManifest
import ManifoldTestSupport
import Testing
@testable import ManifoldPlugins

/// Decisions 3 and 5 end to end, in-process: a served composition follows its drop-in folder
/// and its host manifest through the watcher.
@Suite struct HostSupervisorTests {
    let folder = TemporaryFolder()

    /// A host being served: assembler, composition, supervisor (watching), and a listener on
    /// the unfiltered view that counts list changes.
    struct Host {
        let supervisor: HostSupervisor
        let composition: HostComposition
        let listener: ListListener

        func tools() -> [String] { composition.view(filter: .all).current.entries(.tool).map(\.name).sorted() }
    }

    func serve(_ manifestText: String) throws -> Host {
        let path = folder.write("host.yaml", manifestText)
        let manifest = try ManifestLoader.loadHost(path: path)
        let cache = LibraryCache(root: folder.path + "/cache")
        let assembler = HostAssembler(runtime: sharedRuntime, logger: testLogger, runnerExecutable: "/nonexistent", cache: cache)
        let assembly = assembler.assemble(manifest)
        let composition = try HostComposition(tree: assembly.tree, logger: testLogger)
        let listener = ListListener()
        composition.view(filter: .all).addListener(listener)
        let supervisor = HostSupervisor(manifest: manifest, assembly: assembly, assembler: assembler,
                                        composition: composition, logger: testLogger)
        try supervisor.start(watching: true, sighup: false)
        return Host(supervisor: supervisor, composition: composition, listener: listener)
    }

    /// Drops a plugin into `dropIns/<name>/`: library first, then the manifest renamed into place.
    func drop(_ name: String, library: String = "libFixtureCrashy.so", config: String = "{}") {
        folder.copy(builtLibrary(library), as: "dropIns/\(name)/lib\(name).so")
        folder.write("dropIns/\(name)/\(name).plugin.yaml", "kind: plugin\nid: \(name)\nlibrary: lib\(name).so\nconfig: \(config)\n")
    }

    @Test func aDropInPluginIsMountedReloadedAndUnmounted() async throws {
        _ = folder.folder("dropIns")
        let host = try serve("""
            discovery: off
            dropIns:
              - folder: dropIns
                prefix: "x{id}"
                excludeTags: [never]
            """)
        defer { host.supervisor.stop() }
        #expect(host.tools().isEmpty)

        // Dropped in: mounted, clients told.
        folder.copy(builtLibrary("libFixtureCrashy.so"), as: "dropIns/crashy/libcrashy.so")
        folder.write("dropIns/crashy/crashy.plugin.yaml", "kind: plugin\nid: crashy\nlibrary: libcrashy.so\n")
        #expect(eventually { host.tools().contains("xcrashy_ok") })
        #expect(host.listener.announced.value.contains([.tool]))
        let route = try #require(host.composition.surface.lookup(.tool, "xcrashy_ok")).route
        let reloadable = try #require(route.provider as? ReloadableProvider)
        #expect(await invoke(reloadable, "ok").text == "ok built-in")
        let first = try #require(reloadable.current as? NativePlugin)
        #expect(host.supervisor.watchedFolders.contains(folder.path + "/dropIns/crashy"))

        // Its manifest changes: reloaded side by side, the same provider in the tree.
        let announcedBefore = host.listener.announced.value.count
        folder.write("dropIns/crashy/crashy.plugin.yaml", "kind: plugin\nid: crashy\nlibrary: libcrashy.so\nconfig: { variant: second }\n")
        #expect(eventually { reloadable.reloads == 1 })
        #expect(await invoke(reloadable, "ok").text == "ok second")
        #expect(host.composition.surface.lookup(.tool, "xcrashy_ok")?.route.provider === reloadable)
        #expect(eventually { host.listener.announced.value.count > announcedBefore }, "descriptions changed: list_changed")
        #expect(eventually { first.isShutDown })

        // Its library is replaced by a build that fails to load: the running build keeps serving.
        folder.write("dropIns/crashy/libcrashy.so", "not a library")
        #expect(eventually { reloadable.lastError != nil })
        #expect(reloadable.lastError?.contains("could not be loaded") == true)
        #expect(await invoke(reloadable, "ok").text == "ok second")
        #expect(eventually { host.supervisor.snapshot.assembly.problems.contains { $0.contains("the previous build keeps serving") } })

        // Removed: unmounted, drained, shut down.
        let second = try #require(reloadable.current as? NativePlugin)
        try FileManager.default.removeItem(atPath: folder.path + "/dropIns/crashy/crashy.plugin.yaml")
        #expect(eventually { host.tools().isEmpty })
        #expect(eventually { second.isShutDown })
        #expect(reloadable.health == .failed("unmounted"))
    }

    @Test func aHostManifestThatDoesNotParseKeepsTheRunningComposition() throws {
        _ = folder.folder("plugins")
        drop("crashy")
        let text = """
            discovery: off
            pluginFolders: [dropIns/crashy]
            mounts:
              - plugin: crashy
                prefix: c
            """
        let host = try serve(text)
        defer { host.supervisor.stop() }
        #expect(host.tools().contains("c_ok"))
        let provider = try #require(host.composition.surface.lookup(.tool, "c_ok")).route.provider

        folder.write("host.yaml", text + "\n    prefx: oops\n")
        #expect(eventually { host.supervisor.snapshot.manifestError != nil })
        let error = try #require(host.supervisor.snapshot.manifestError)
        #expect(error.contains("host.yaml:6:"), "file:line — \(error)")
        #expect(error.contains("prefx"))
        #expect(host.tools().contains("c_ok"))

        // Fixed, with a second mount of the same plugin: the loaded plugin is reused.
        folder.write("host.yaml", text + "\n  - plugin: crashy\n    prefix: d\n")
        #expect(eventually { host.tools().contains("d_ok") })
        #expect(eventually { host.supervisor.snapshot.manifestError == nil })
        #expect(host.composition.surface.lookup(.tool, "c_ok")?.route.provider === provider)
        #expect(host.composition.surface.lookup(.tool, "d_ok")?.route.provider === provider)
    }

    @Test func executionOverrideAndPrefixTemplateApplyToEveryDropIn() throws {
        let path = folder.write("h.yaml", """
            dropIns:
              - folder: dropIns
                prefix: "p_{id}"
                addTags: [dropped]
                execution: in-process
                mode: import
            """)
        let manifest = try ManifestLoader.loadHost(path: path)
        #expect(manifest.dropIns.count == 1)
        let rule = try #require(manifest.dropIns.first)
        #expect(rule.folder == folder.path + "/dropIns")
        #expect(rule.prefix(for: "math") == "p_math")
        #expect(rule.execution == .inProcess)
        #expect(rule.mode == .import)
        #expect(rule.addTags == ["dropped"])
        #expect(manifest.discovery == .runner)
        #expect(manifest.watch)
        #expect(throws: ManifestError.self) { try ManifestLoader.parseHost(yaml: "dropIns: [{folder: x, prefix: \"a b\"}]", file: "h.yaml") }
        #expect(throws: ManifestError.self) { try ManifestLoader.parseHost(yaml: "discovery: sometimes", file: "h.yaml") }
        #expect(throws: ManifestError.self) { try ManifestLoader.parseHost(yaml: "dropIns: [{prefix: x}]", file: "h.yaml") }
    }
}

/// Decision 5: a reload keeps the endpoints that listen, but takes in a changed tag filter of an
/// endpoint still there (`serve` applies it to the endpoint's view and its open sessions).
@Suite struct EndpointReloadTests {
    func endpoint(_ transport: EndpointSpec.Transport, _ filter: String?, line: Int = 1) -> EndpointSpec {
        EndpointSpec(transport: transport, filter: TagFilterSpec(expression: filter),
                     location: SourceLocation(file: "host.yaml", line: line, column: 3))
    }

    @Test func aChangedFilterIsTakenAndOtherChangesWaitForARestart() {
        let http = EndpointSpec.Transport.http(HTTPEndpointSpec(listen: "127.0.0.1:8080"))
        let previous = [endpoint(.stdio, "public"), endpoint(http, nil)]

        // Only filters changed (and lines moved): both taken.
        let filters = HostSupervisor.servedEndpoints(previous: previous, read: [endpoint(.stdio, "admin", line: 4), endpoint(http, "public")],
                                                     logger: testLogger, path: "host.yaml")
        #expect(filters.map(\.filter.expression) == ["admin", "public"])
        #expect(filters.map(\.transport) == previous.map(\.transport))

        // The listener moved: not applied (a restart), while the stdio filter change is.
        let moved = EndpointSpec.Transport.http(HTTPEndpointSpec(listen: "127.0.0.1:9090"))
        let served = HostSupervisor.servedEndpoints(previous: previous, read: [endpoint(.stdio, "admin"), endpoint(moved, "x")],
                                                    logger: testLogger, path: "host.yaml")
        #expect(served.map(\.transport) == previous.map(\.transport))
        #expect(served.map(\.filter.expression) == ["admin", nil])

        // An endpoint added or removed: the served ones stay as they are, filters of those still there follow.
        #expect(HostSupervisor.servedEndpoints(previous: previous, read: [endpoint(.stdio, "x")], logger: testLogger, path: "host.yaml")
            .map(\.filter.expression) == ["x", nil])
        // A filter that does not parse is not taken.
        #expect(HostSupervisor.servedEndpoints(previous: previous, read: [endpoint(.stdio, "(("), endpoint(http, nil)],
                                               logger: testLogger, path: "host.yaml").map(\.filter.expression) == ["public", nil])
    }
}
