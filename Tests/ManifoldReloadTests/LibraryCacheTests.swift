import Foundation
import ManifoldManifest
import ManifoldTestSupport
import Testing
@testable import ManifoldPlugins

#if canImport(Glibc)
import Glibc
#endif

/// Decision 1: every native library is loaded from `<cache>/libs/<sha256>-<file name>`.
@Suite struct LibraryCacheTests {
    let folder = TemporaryFolder()
    var cache: LibraryCache { LibraryCache(root: folder.path + "/cache") }

    @Test func theFixturesAreBuilt() {
        for library in ["libFixtureCrashy.so", "libBench.so"] {
            #expect(FileManager.default.fileExists(atPath: builtLibrary(library)), "\(library) not in \(buildFolder)")
        }
    }

    @Test func theCopyIsNamedByItsSHA256AndFileNameAndHoldsTheSameBytes() throws {
        let source = folder.copy(builtLibrary("libFixtureCrashy.so"), as: "libcrashy.so")
        let image = try cache.image(of: source, pluginID: "crashy", pinnedSHA256: nil)
        let sha = try #require(Checksum.sha256(ofFile: source))
        #expect(image.sha256 == sha)
        #expect(image.source == source)
        #expect(image.loadPath == cache.root + "/libs/\(sha)-libcrashy.so")
        #expect(FileManager.default.contents(atPath: image.loadPath) == FileManager.default.contents(atPath: source))
    }

    @Test func sameContentIsOneCopyAndNewContentANewOne() throws {
        let crashy = folder.copy(builtLibrary("libFixtureCrashy.so"), as: "libplugin.so")
        let first = try cache.image(of: crashy, pluginID: "p", pinnedSHA256: nil)
        var before = stat()
        stat(first.loadPath, &before)
        let again = try cache.image(of: crashy, pluginID: "p", pinnedSHA256: nil)
        var after = stat()
        stat(again.loadPath, &after)
        #expect(again.loadPath == first.loadPath)
        #expect(before.st_ino == after.st_ino, "the existing copy is reused, not rewritten")

        folder.copy(builtLibrary("libBench.so"), as: "libplugin.so")
        let rebuilt = try cache.image(of: crashy, pluginID: "p", pinnedSHA256: nil)
        #expect(rebuilt.loadPath != first.loadPath)
        #expect(rebuilt.sha256 != first.sha256)
        #expect(FileManager.default.fileExists(atPath: first.loadPath), "the old build's copy stays for the image still mapped")
    }

    @Test func thePinIsCheckedAgainstTheSourceFile() throws {
        let source = folder.copy(builtLibrary("libFixtureCrashy.so"), as: "libcrashy.so")
        let wrong = String(repeating: "0", count: 64)
        #expect(throws: PluginLoadError.self) { try cache.image(of: source, pluginID: "crashy", pinnedSHA256: wrong) }
        do {
            _ = try cache.image(of: source, pluginID: "crashy", pinnedSHA256: wrong)
        } catch {
            #expect(error.reason == .checksumMismatch(expected: wrong, actual: Checksum.sha256(ofFile: source)!))
        }
        let right = try #require(Checksum.sha256(ofFile: source)).uppercased()
        #expect(try cache.image(of: source, pluginID: "crashy", pinnedSHA256: right).sha256 == right.lowercased())
    }

    @Test func aCopyInTheCacheMapsToItself() throws {
        let source = folder.copy(builtLibrary("libFixtureCrashy.so"), as: "libcrashy.so")
        let image = try cache.image(of: source, pluginID: "crashy", pinnedSHA256: nil)
        let again = try cache.image(of: image.loadPath, pluginID: "crashy", pinnedSHA256: nil)
        #expect(again.loadPath == image.loadPath)
        #expect(LibraryCache.baseName(of: image.loadPath) == "libcrashy.so")
    }

    @Test func theCacheFolderComesFromTheEnvironment() {
        #expect(LibraryCache.defaultRoot(environment: ["MANIFOLD_CACHE_DIR": "/a", "XDG_CACHE_HOME": "/b", "HOME": "/h"]) == "/a")
        #expect(LibraryCache.defaultRoot(environment: ["XDG_CACHE_HOME": "/b", "HOME": "/h"]) == "/b/manifold")
        #expect(LibraryCache.defaultRoot(environment: ["HOME": "/h"]) == "/h/.cache/manifold")
        #expect(LibraryCache.defaultRoot(environment: ["MANIFOLD_CACHE_DIR": "", "HOME": "/h"]) == "/h/.cache/manifold")
    }

    /// The reason for the copies: a library overwritten in place (cp over it) must not touch the
    /// image that is loaded, and the new content must load as a new image.
    @Test func overwritingTheSourceInPlaceLeavesTheLoadedInstanceAlone() async throws {
        let source = folder.copy(builtLibrary("libFixtureCrashy.so"), as: "libcrashy.so")
        let manifest = try writePluginManifest(id: "crashy", library: source, in: folder.path)
        let plugin = try NativePluginLoader.load(manifest, runtime: sharedRuntime, logger: testLogger, cache: cache)
        #expect(plugin.image.loadPath.hasPrefix(cache.root + "/libs/"))
        #expect(plugin.libraryPath == source)
        #expect(await invoke(plugin, "ok").text == "ok built-in")

        // `cp libBench.so libcrashy.so`: same inode, truncated and rewritten.
        let bench = try #require(FileManager.default.contents(atPath: builtLibrary("libBench.so")))
        let fd = open(source, O_WRONLY | O_TRUNC)
        #expect(fd >= 0)
        _ = bench.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)

        #expect(await invoke(plugin, "ok").text == "ok built-in", "the loaded image is the cache's copy, untouched")
        let benchManifest = try writePluginManifest(id: "bench", library: source, in: folder.path)
        let rebuilt = try NativePluginLoader.load(benchManifest, runtime: sharedRuntime, logger: testLogger, cache: cache)
        #expect(rebuilt.image.loadPath != plugin.image.loadPath)
        #expect(await invoke(rebuilt, "add", #"{"a":2,"b":3}"#).text == "5")
    }
}
