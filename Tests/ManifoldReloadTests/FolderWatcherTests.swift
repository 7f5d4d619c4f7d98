import Dispatch
import Foundation
import ManifoldTestSupport
import Testing
@testable import ManifoldPlugins

#if canImport(Glibc)
import Glibc
#endif

/// Decision 3: inotify on a dedicated thread; complete files only; bursts coalesced.
@Suite struct FolderWatcherTests {
    let folder = TemporaryFolder()

    /// Collects deliveries; `next` waits for the next one (bounded).
    final class Deliveries: Sendable {
        let batches = Locked<[[FolderWatcher.Change]]>([])
        let arrived = DispatchSemaphore(value: 0)

        func record(_ changes: [FolderWatcher.Change]) {
            batches.withLock { $0.append(changes) }
            arrived.signal()
        }

        func next(timeout: Double = 5) -> [FolderWatcher.Change]? {
            guard arrived.wait(timeout: .now() + timeout) == .success else { return nil }
            return batches.value.last
        }
    }

    func watcher(_ deliveries: Deliveries, plan: WatchPlan, settle: Double = 0.05) throws -> FolderWatcher {
        let watcher = try FolderWatcher(settle: settle, queue: DispatchQueue(label: "test.watch"), logger: testLogger) {
            deliveries.record($0)
        }
        watcher.update(plan)
        return watcher
    }

    @Test func seesAManifestCreatedReplacedRewrittenAndDeleted() throws {
        var plan = WatchPlan()
        plan.pluginFolder(folder.path)
        let deliveries = Deliveries()
        let watcher = try watcher(deliveries, plan: plan)
        defer { watcher.stop() }
        #expect(watcher.watchedFolders == [folder.path])
        let path = folder.path + "/a.plugin.yaml"

        folder.write("a.plugin.yaml", "kind: plugin\n")   // a temporary file renamed into place
        #expect(deliveries.next()?.map(\.description) == ["moved in \(path)"])

        folder.write("a.plugin.yaml", "kind: plugin\nid: a\n")   // replaced by rename
        #expect(deliveries.next()?.map(\.description) == ["moved in \(path)"])

        let fd = open(path, O_WRONLY | O_TRUNC)   // rewritten in place: seen when closed
        _ = write(fd, "x", 1)
        close(fd)
        #expect(deliveries.next()?.map(\.description) == ["written \(path)"])

        unlink(path)
        #expect(deliveries.next()?.map(\.description) == ["deleted \(path)"])
    }

    @Test func aLibraryIsWatchedByNameAndOtherFilesAreIgnored() throws {
        var plan = WatchPlan()
        plan.file(folder.path + "/libfoo.so")
        let deliveries = Deliveries()
        let watcher = try watcher(deliveries, plan: plan)
        defer { watcher.stop() }
        folder.write("notes.txt", "not watched")
        folder.write("libbar.so", "not watched either")
        folder.write("a.plugin.yaml", "not a plugin folder")
        folder.write("libfoo.so", "watched")
        let batch = try #require(deliveries.next())
        #expect(batch.map(\.description) == ["moved in \(folder.path)/libfoo.so"])
    }

    @Test func aBurstIsOneDelivery() throws {
        var plan = WatchPlan()
        plan.pluginFolder(folder.path)
        let deliveries = Deliveries()
        let watcher = try watcher(deliveries, plan: plan, settle: 0.1)
        defer { watcher.stop() }
        for i in 0..<20 { folder.write("p\(i).plugin.yaml", "kind: plugin\n") }
        let batch = try #require(deliveries.next())
        var seen = batch.count
        while seen < 20, let more = deliveries.next(timeout: 2) { seen += more.count }
        #expect(seen == 20)
        #expect(deliveries.batches.value.count <= 3, "20 files written in a row arrive in one or a few deliveries, not 20")
    }

    @Test func aNewSubfolderIsSeenAndWatchedAfterTheNextPlan() throws {
        var plan = WatchPlan()
        plan.pluginFolder(folder.path)
        let deliveries = Deliveries()
        let watcher = try watcher(deliveries, plan: plan)
        defer { watcher.stop() }
        let sub = folder.folder("Foo")
        #expect(deliveries.next()?.map(\.description) == ["created \(sub)"])
        var next = WatchPlan()
        next.pluginFolder(folder.path)
        watcher.update(next)
        #expect(watcher.watchedFolders == [folder.path, sub])
        folder.write("Foo/foo.plugin.yaml", "kind: plugin\n")
        #expect(deliveries.next()?.map(\.description) == ["moved in \(sub)/foo.plugin.yaml"])
    }

    @Test func stopEndsDeliveries() throws {
        var plan = WatchPlan()
        plan.pluginFolder(folder.path)
        let deliveries = Deliveries()
        let watcher = try watcher(deliveries, plan: plan)
        watcher.stop()
        folder.write("late.plugin.yaml", "kind: plugin\n")
        #expect(deliveries.next(timeout: 0.3) == nil)
    }
}
