import CManifoldABI
import Foundation
import ManifoldManifest
import ManifoldTestSupport
import Testing
@testable import ManifoldPlugins

#if canImport(Glibc)
import Glibc
#endif

/// After a replaced instance drained and was shut down (docs/RELOAD.md, decisions 1 and 2):
/// its content-addressed copy is deleted once no instance uses it, and the image of a pure-C
/// plugin that declared `MANIFOLD_PLUGIN_FLAG_UNLOADABLE` is closed — never a Swift image.
@Suite struct UnloadAndPruneTests {
    let folder = TemporaryFolder()
    let cache: LibraryCache

    init() { cache = LibraryCache(root: folder.path + "/cache") }

    /// The copies in the cache's `libs` folder.
    var copies: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cache.libsFolder)) ?? []).filter { !$0.hasPrefix(".") }
    }

    /// A build of the SwiftPM-built Crashy fixture that differs from the others in content only
    /// (bytes appended after the ELF image: a new SHA-256, the same plugin).
    func build(_ n: Int, from library: String = builtLibrary("libFixtureCrashy.so")) -> Data {
        var data = FileManager.default.contents(atPath: library)!
        data.append(contentsOf: Array("manifold-test-build-\(n)".utf8))
        return data
    }

    func load(_ source: String, id: String = "crashy") throws -> NativePlugin {
        let manifest = try writePluginManifest(id: id, library: source, in: folder.path, name: "\(id)-\(UUID().uuidString).plugin.yaml")
        return try NativePluginLoader.load(manifest, runtime: sharedRuntime, logger: testLogger, cache: cache)
    }

    // MARK: Pruning

    @Test func aCopyIsDeletedWhenTheLastInstanceUsingItIsShutDown() async throws {
        let source = folder.copy(builtLibrary("libFixtureCrashy.so"), as: "libcrashy.so")
        let first = try load(source)
        let second = try load(source)
        #expect(first.image.loadPath == second.image.loadPath)
        #expect(cache.users(of: first.image) == 2)
        #expect(first.shutdown())
        #expect(FileManager.default.fileExists(atPath: first.image.loadPath), "still used by the second instance")
        #expect(await invoke(second, "ok").text == "ok built-in")
        #expect(second.shutdown())
        #expect(!FileManager.default.fileExists(atPath: first.image.loadPath), "no instance uses the copy any more")
        #expect(copies.isEmpty)

        // The same content loads again: the copy is made again.
        let third = try load(source)
        #expect(FileManager.default.fileExists(atPath: third.image.loadPath))
        #expect(await invoke(third, "ok").text == "ok built-in")
    }

    @Test func aCopyRemovedBetweenPreparingAndLoadingIsMadeAgain() async throws {
        let source = folder.copy(builtLibrary("libFixtureCrashy.so"), as: "libcrashy.so")
        let manifest = try writePluginManifest(id: "crashy", library: source, in: folder.path)
        let image = try NativePluginLoader.prepare(manifest, cache: cache)
        unlink(image.loadPath)   // another instance's release (or another manifold) pruned it
        let plugin = try NativePluginLoader.load(manifest, runtime: sharedRuntime, logger: testLogger, image: image, cache: cache)
        #expect(await invoke(plugin, "ok").text == "ok built-in")
    }

    @Test func aFailedLoadReleasesItsCopy() throws {
        let source = folder.copy(builtLibrary("libFixtureCrashy.so"), as: "libcrashy.so")
        // The library's id is "crashy": loading it as "other" is refused after dlopen.
        #expect(throws: PluginLoadError.self) { try load(source, id: "other") }
        #expect(copies.isEmpty)
    }

    @Test func twentyReplacementsLeaveOneCopyInTheCache() async throws {
        let source = folder.path + "/libcrashy.so"
        try LibraryCache.writeAtomically(build(0), to: source, mode: 0o755)
        let reloadable = ReloadableProvider(try load(source), logger: testLogger)
        for swap in 1...20 {
            try LibraryCache.writeAtomically(build(swap % 2), to: source, mode: 0o755)
            let old = reloadable.current as! NativePlugin
            let drained = Locked<Bool?>(nil)
            reloadable.replace(with: try load(source)) { done in drained.withLock { $0 = done } }
            #expect(await invoke(reloadable, "ok").text == "ok built-in")
            #expect(eventually { drained.value == true && old.isShutDown }, "swap \(swap)")
            #expect(eventually { copies.count == 1 }, "swap \(swap): \(copies)")
        }
        #expect(copies == [URL(fileURLWithPath: (reloadable.current as! NativePlugin).image.loadPath).lastPathComponent])
    }

    // MARK: Unloading

    /// A Swift plugin is never unloadable, whatever its flags say. (SwiftPM links even its C
    /// products with the Swift runtime, so those are kept too; the unloadable builds below are
    /// compiled with plain `cc`.)
    @Test func noImageWithSwiftInItIsEverUnloadable() throws {
        let unloadable = UInt32(MANIFOLD_PLUGIN_FLAG_UNLOADABLE)
        for library in ["libTextTools.so", "libEverything.so"] {
            let handle = try #require(dlopen(builtLibrary(library), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE))
            #expect(NativePluginLoader.containsSwift(handle), "\(library)")
            #expect(!NativePluginLoader.mayUnload(flags: unloadable, runtimeTag: nil, library: handle), "\(library)")
        }
        let textTools = try load(builtLibrary("libTextTools.so"), id: "texttools")
        #expect(!textTools.isUnloadable)
        #expect(textTools.shutdown())
        #expect(!textTools.isUnloaded)
        #expect(isMapped(textTools.image.loadPath), "a Swift image stays mapped after its shutdown")
    }

    @Test(.disabled("dlclose after shutdown is off until calls are counted while inside `call` (NativePluginLoader.unloadingEnabled)"))
    func aPureCPluginThatDeclaresItselfUnloadableIsClosedAfterShutdown() async throws {
        let library = try compileCrashy(folder.path + "/builds/libunloadable.so", defines: ["CRASHY_UNLOADABLE"])
        let handle = try #require(dlopen(library, RTLD_NOW | RTLD_LOCAL))
        #expect(!NativePluginLoader.containsSwift(handle))
        #expect(NativePluginLoader.mayUnload(flags: UInt32(MANIFOLD_PLUGIN_FLAG_UNLOADABLE), runtimeTag: nil, library: handle))
        #expect(!NativePluginLoader.mayUnload(flags: 0, runtimeTag: nil, library: handle), "only when it says so")
        dlclose(handle)

        let source = folder.copy(library, as: "libunloadable.so")
        let plugin = try load(source)
        #expect(plugin.isUnloadable)
        #expect(await invoke(plugin, "ok").text == "ok built-in")
        #expect(isMapped(plugin.image.loadPath))
        #expect(plugin.shutdown())
        #expect(plugin.isUnloaded)
        #expect(!isMapped(plugin.image.loadPath), "the image is unmapped")
        #expect(copies.isEmpty)

        // Loaded again, it is a fresh image that works.
        let again = try load(source)
        #expect(await invoke(again, "ok").text == "ok built-in")
        #expect(isMapped(again.image.loadPath))
    }

    @Test func aPureCPluginWithoutTheFlagStaysMapped() async throws {
        let library = try compileCrashy(folder.path + "/builds/libkept.so", defines: [])
        let plugin = try load(folder.copy(library, as: "libkept.so"))
        #expect(!plugin.isUnloadable)
        #expect(plugin.shutdown())
        #expect(!plugin.isUnloaded)
        #expect(isMapped(plugin.image.loadPath))
    }

    @Test(.disabled("dlclose after shutdown is off until calls are counted while inside `call` (NativePluginLoader.unloadingEnabled)"))
    func twentyReplacementsOfAnUnloadablePluginKeepOneImageMapped() async throws {
        let builds = try (0..<2).map { n in
            try compileCrashy(folder.path + "/builds/libflip-\(n).so", defines: ["CRASHY_UNLOADABLE", "CRASHY_VARIANT=\"v\(n)\""])
        }
        let source = folder.path + "/libflip.so"
        try LibraryCache.writeAtomically(FileManager.default.contents(atPath: builds[0])!, to: source, mode: 0o755)
        let reloadable = ReloadableProvider(try load(source), logger: testLogger)
        for swap in 1...20 {
            try LibraryCache.writeAtomically(FileManager.default.contents(atPath: builds[swap % 2])!, to: source, mode: 0o755)
            let old = reloadable.current as! NativePlugin
            reloadable.replace(with: try load(source))
            #expect(await invoke(reloadable, "version").text == "v\(swap % 2)")
            #expect(eventually { old.isUnloaded }, "swap \(swap)")
            #expect(eventually { mappedImages(under: cache.libsFolder).count == 1 }, "swap \(swap): \(mappedImages(under: cache.libsFolder))")
        }
        #expect(copies.count == 1)
    }

    // MARK: Helpers

    /// Whether a file is mapped in this process (also when it was deleted since).
    func isMapped(_ path: String) -> Bool { mappedImages(under: URL(fileURLWithPath: path).deletingLastPathComponent().path).contains(path) }

    /// The distinct files under `folder` mapped in this process (from /proc/self/maps).
    func mappedImages(under folder: String) -> Set<String> {
        // Read to the end by hand: /proc files report a size of 0.
        let fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += chunk[0..<n]
        }
        let maps = String(decoding: bytes, as: UTF8.self)
        var paths = Set<String>()
        for line in maps.split(separator: "\n") {
            guard let start = line.range(of: folder + "/") else { continue }
            var path = String(line[start.lowerBound...])
            if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
            paths.insert(path)
        }
        return paths
    }

    /// Compiles the Crashy fixture's C source with plain `cc` (not SwiftPM, which would link the
    /// Swift runtime into it), with `-D` switches (see crashy.c).
    func compileCrashy(_ output: String, defines: [String]) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let compiler = try #require(["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                    "a C compiler (cc) builds the unloadable variants")
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: output).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: compiler)
        process.arguments = ["-shared", "-fPIC", "-O1", "-fvisibility=hidden",
                             "-I", root.path + "/Sources/CManifoldABI/include"]
            + defines.map { "-D" + $0 }
            + ["-o", output, root.path + "/Tests/Fixtures/Plugins/Crashy/crashy.c", "-lpthread"]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "cc failed for \(output)")
        return output
    }
}
