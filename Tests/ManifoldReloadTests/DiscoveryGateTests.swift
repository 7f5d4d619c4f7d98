import Foundation
import ManifoldManifest
import ManifoldTestSupport
import Testing
@testable import ManifoldPlugins

/// Decision 6: a library the host has not seen is loaded in a runner first; a crash refuses its
/// SHA-256 for good (in memory and on disk), a success is remembered.
@Suite struct DiscoveryGateTests {
    let folder = TemporaryFolder()
    var cache: LibraryCache { LibraryCache(root: folder.path + "/cache") }

    /// A stand-in runner: a real child process that does what `body` (shell) says.
    func runner(_ body: String) -> String {
        // Written with O_CLOEXEC (and renamed into place), so no child another test spawns
        // meanwhile holds it open for writing (which would make exec fail with ETXTBSY).
        let path = folder.path + "/runner-\(UUID().uuidString).sh"
        try! LibraryCache.writeAtomically(Data("#!/bin/sh\n\(body)\n".utf8), to: path, mode: 0o755)
        return path
    }

    func image(_ manifest: PluginManifest) throws -> LibraryImage {
        try NativePluginLoader.prepare(manifest, cache: cache)
    }

    @Test func aCrashDuringDiscoveryIsRefusedAndTheRefusalPersists() throws {
        let manifest = try writePluginManifest(id: "crashy", library: builtLibrary("libFixtureCrashy.so"), in: folder.path)
        let library = try image(manifest)
        let gate = DiscoveryGate(cache: cache, runnerExecutable: runner("kill -SEGV $$"), logger: testLogger)
        do {
            try gate.vet(manifest, image: library)
            Issue.record("a crashing discovery must refuse the library")
        } catch {
            #expect(error.reason == .discoveryFailed("crashed during discovery: killed by signal 11 (SIGSEGV)"))
            #expect(error.description.contains("plugin 'crashy'"))
            #expect(error.description.contains("crashed during discovery: killed by signal 11 (SIGSEGV)"))
        }
        #expect(gate.runs == 1)
        let record = try #require(cache.record(in: cache.refusedFolder, sha256: library.sha256))
        #expect(record.hasPrefix("crashed during discovery: killed by signal 11 (SIGSEGV)\nplugin: crashy\n"))

        // Another host (a new gate, nothing in memory) with a runner that would succeed: still
        // refused, and no runner is started.
        let later = DiscoveryGate(cache: cache, runnerExecutable: runner("echo '{\"ok\":true}'"), logger: testLogger)
        #expect(throws: PluginLoadError.self) { try later.vet(manifest, image: library) }
        #expect(later.runs == 0)
        #expect(later.refusal(of: library.sha256) == "crashed during discovery: killed by signal 11 (SIGSEGV)")
    }

    @Test func aSuccessfulDiscoveryIsRememberedSoFiftyMountsCostOneRun() throws {
        let manifest = try writePluginManifest(id: "crashy", library: builtLibrary("libFixtureCrashy.so"), in: folder.path)
        let library = try image(manifest)
        let gate = DiscoveryGate(cache: cache, runnerExecutable: runner("echo '{\"ok\":true,\"id\":\"crashy\",\"tools\":7}'"),
                                 logger: testLogger)
        for _ in 0..<50 { try gate.vet(manifest, image: library) }
        #expect(gate.runs == 1)
        #expect(cache.record(in: cache.discoveredFolder, sha256: library.sha256)?.contains("\"tools\":7") == true)
        let nextLaunch = DiscoveryGate(cache: cache, runnerExecutable: runner("exit 99"), logger: testLogger)
        try nextLaunch.vet(manifest, image: library)
        #expect(nextLaunch.runs == 0)
    }

    @Test func aRunnerThatFailsIsRecordedButACleanRefusalIsNot() throws {
        let manifest = try writePluginManifest(id: "crashy", library: builtLibrary("libFixtureCrashy.so"), in: folder.path)
        let library = try image(manifest)
        let refusing = DiscoveryGate(cache: cache, runnerExecutable: runner("echo '{\"ok\":false,\"error\":\"init declined\"}'; exit 2"),
                                     logger: testLogger)
        try refusing.vet(manifest, image: library)   // the in-process load then fails with the precise reason
        #expect(cache.record(in: cache.refusedFolder, sha256: library.sha256) == nil)
        #expect(cache.record(in: cache.discoveredFolder, sha256: library.sha256) == nil)

        let failing = DiscoveryGate(cache: cache, runnerExecutable: runner("exit 7"), logger: testLogger)
        #expect(throws: PluginLoadError.self) { try failing.vet(manifest, image: library) }
        #expect(cache.record(in: cache.refusedFolder, sha256: library.sha256)?.hasPrefix("failed during discovery: the runner exited with status 7") == true)
    }

    @Test func offLoadsWithoutARunner() throws {
        let manifest = try writePluginManifest(id: "crashy", library: builtLibrary("libFixtureCrashy.so"), in: folder.path)
        let gate = DiscoveryGate(mode: .off, cache: cache, runnerExecutable: "/nonexistent", logger: testLogger)
        try gate.vet(manifest, image: try image(manifest))
        #expect(gate.runs == 0)
    }

    /// With the real `manifold runner --discover` (when the manifold binary is built beside the
    /// tests): a plugin whose init segfaults is refused, naming the signal.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: builtLibrary("manifold"))))
    func theRealRunnerDiscoversAndRefuses() throws {
        let good = try writePluginManifest(id: "crashy", library: builtLibrary("libFixtureCrashy.so"), in: folder.path)
        let gate = DiscoveryGate(cache: cache, runnerExecutable: builtLibrary("manifold"), logger: testLogger)
        try gate.vet(good, image: try image(good))
        let summary = try #require(cache.record(in: cache.discoveredFolder, sha256: try image(good).sha256))
        #expect(summary.contains("\"id\":\"crashy\""))
        #expect(summary.contains("\"tools\":7"))

        // The same library with a config that crashes init: refused by its SHA-256.
        let crashing = try writePluginManifest(id: "crashy", library: builtLibrary("libFixtureCrashy.so"), in: folder.path,
                                               name: "crashing.plugin.yaml", extra: "config: { crashOnInit: true }")
        let fresh = DiscoveryGate(cache: LibraryCache(root: folder.path + "/other-cache"), runnerExecutable: builtLibrary("manifold"),
                                  logger: testLogger)
        #expect(throws: PluginLoadError.self) { try fresh.vet(crashing, image: try NativePluginLoader.prepare(crashing, cache: fresh.cache)) }
    }
}
