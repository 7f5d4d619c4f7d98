import Foundation
import ManifoldCore
import ManifoldManifest
import ManifoldTestSupport
import Testing
@testable import ManifoldPlugins

/// Decision 2: a reload swaps the instance for new calls while the old one's calls finish, then
/// the old one is shut down — with real instances of the Crashy fixture, whose `block` tool
/// holds a call in the plugin until `release` is called on the same instance.
@Suite struct ReloadableProviderTests {
    let folder = TemporaryFolder()
    var cache: LibraryCache { LibraryCache(root: folder.path + "/cache") }

    func crashy(_ variant: String) throws -> NativePlugin {
        let manifest = try writePluginManifest(id: "crashy", library: builtLibrary("libFixtureCrashy.so"), in: folder.path,
                                               name: "crashy-\(variant).plugin.yaml", extra: "config: { variant: \(variant) }")
        return try NativePluginLoader.load(manifest, runtime: sharedRuntime, logger: testLogger, cache: cache)
    }

    @Test func swapsWhileACallIsInFlightAndTheOldInstanceDrainsThenShutsDown() async throws {
        let old = try crashy("a")
        let new = try crashy("b")
        let reloadable = ReloadableProvider(old, logger: testLogger)
        #expect(await invoke(reloadable, "ok").text == "ok a")

        let blocked = PendingCall(reloadable, "block")
        #expect(eventually { old.callsInFlight.count == 1 })
        let drained = Locked<Bool?>(nil)
        reloadable.replace(with: new) { done in drained.withLock { $0 = done } }

        // New calls go to the new instance at once; the old one still holds its call.
        #expect(await invoke(reloadable, "ok").text == "ok b")
        #expect(await invoke(reloadable, "version").text == "b")
        #expect(!blocked.isDone)
        #expect(!old.isShutDown)
        #expect(drained.value == nil)
        #expect(reloadable.reloads == 1)

        // Release the old instance's gate (on the old instance itself): its call completes.
        #expect(await invoke(old, "release").text == "released 1")
        #expect(blocked.wait()?.text == "released a")
        #expect(eventually { drained.value == true })
        #expect(eventually { old.isShutDown })
        #expect(!new.isShutDown)
        #expect(await invoke(reloadable, "ok").text == "ok b")
    }

    @Test func anInstanceThatDoesNotDrainInTimeIsLeftRunningWithoutShutdown() async throws {
        let old = try crashy("a")
        let reloadable = ReloadableProvider(old, drainDeadline: 0.2, logger: testLogger)
        let blocked = PendingCall(reloadable, "block")
        #expect(eventually { old.callsInFlight.count == 1 })
        let drained = Locked<Bool?>(nil)
        reloadable.replace(with: try crashy("b")) { done in drained.withLock { $0 = done } }
        #expect(eventually { drained.value != nil })
        #expect(drained.value == false)
        #expect(!old.isShutDown, "never shut down under a running call")
        // The old instance still works: its call completes normally when released.
        _ = await invoke(old, "release")
        #expect(blocked.wait()?.text == "released a")
    }

    @Test func observersHearTheSwapAndTheCurrentInstancesChangesOnly() async throws {
        let old = StubProvider("old", tools: ["x"])
        let new = StubProvider("new", tools: ["x", "y"])
        let reloadable = ReloadableProvider(old, logger: testLogger)
        let observer = RecordingObserver()
        reloadable.addObserver(observer)
        reloadable.replace(with: new)
        #expect(observer.changes.value == 1)
        #expect(reloadable.catalog().tools.map(\.key) == ["x", "y"])
        reloadable.providerCatalogChanged(old)
        #expect(observer.changes.value == 1, "the replaced instance's changes are not ours any more")
        reloadable.providerCatalogChanged(new)
        #expect(observer.changes.value == 2)
        #expect(await invoke(reloadable, "x").text == "new")
    }

    @Test func retiringDrainsShutsDownAndRefusesNewCalls() async throws {
        let plugin = try crashy("a")
        let reloadable = ReloadableProvider(plugin, logger: testLogger)
        let blocked = PendingCall(reloadable, "block")
        #expect(eventually { plugin.callsInFlight.count == 1 })
        reloadable.retire()
        #expect(reloadable.health == .failed("unmounted"))
        #expect(reloadable.catalog().tools.isEmpty)
        #expect(await invoke(reloadable, "ok").failure?.message.contains("unmounted") == true)
        #expect(!plugin.isShutDown)
        _ = await invoke(plugin, "release")
        #expect(blocked.wait()?.text == "released a")
        #expect(eventually { plugin.isShutDown })
    }

    @Test func manyCallsAcrossManySwapsAllAnswerAndEveryOldInstanceIsShutDown() async throws {
        let first = try crashy("v0")
        let reloadable = ReloadableProvider(first, logger: testLogger)
        var instances = [first]
        for round in 1...10 {
            let calls = (0..<8).map { _ in PendingCall(reloadable, "version") }
            let next = try crashy("v\(round)")
            reloadable.replace(with: next)
            instances.append(next)
            for call in calls { #expect(call.wait()?.text?.hasPrefix("v") == true) }
            #expect(await invoke(reloadable, "version").text == "v\(round)")
        }
        for old in instances.dropLast() { #expect(eventually { old.isShutDown }) }
        #expect(!instances.last!.isShutDown)
    }
}
