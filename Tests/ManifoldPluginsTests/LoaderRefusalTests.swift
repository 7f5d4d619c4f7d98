import CManifoldABI
import Foundation
import ManifoldManifest
import ManifoldTestSupport
import Testing
@testable import ManifoldPlugins

/// Every way NativePluginLoader refuses a plugin, with the reason and the message a user reads.
@Suite struct LoaderRefusalTests {
    let folder = TemporaryFolder()

    @Test func builtPluginsSitNextToTheTestExecutable() {
        for library in ["libMath.so", "libBench.so", "libFixtureWrongABI.so", "libFixtureFutureABI.so", "libFixtureNoEntry.so"] {
            #expect(FileManager.default.fileExists(atPath: builtLibrary(library)), "\(library) not in \(buildFolder)")
        }
    }

    @Test func libraryLocatorLooksNextToTheManifestThenNextToTheExecutable() throws {
        let manifest = pluginManifest(id: "math", library: "libMath.so", in: folder)
        let candidates = LibraryLocator.candidates(for: manifest)
        #expect(candidates.first == folder.path + "/libMath.so")
        #expect(candidates.last == builtLibrary("libMath.so"))
        #expect(try LibraryLocator.locate(manifest) == builtLibrary("libMath.so"))
    }

    @Test func libraryNextToTheManifestWinsOverTheBuildFolder() throws {
        try FileManager.default.copyItem(atPath: builtLibrary("libMath.so"), toPath: folder.path + "/libMath.so")
        let manifest = pluginManifest(id: "math", library: "libMath.so", in: folder)
        #expect(try LibraryLocator.locate(manifest) == folder.path + "/libMath.so")
    }

    @Test func missingLibraryListsEveryPlaceItLooked() throws {
        let manifest = pluginManifest(id: "ghost", library: "libGhost.so", in: folder)
        let error = try #require(loadError(manifest))
        guard case .libraryNotFound(let searched) = error.reason else {
            Issue.record("unexpected reason \(error.reason)")
            return
        }
        #expect(searched.first == folder.path + "/libGhost.so")
        #expect(searched.last == builtLibrary("libGhost.so"))
        #expect(error.description == "plugin 'ghost': library 'libGhost.so' not found; looked in: " + searched.joined(separator: ", "))
    }

    @Test func missingAbsoluteLibraryIsLookedForOnlyThere() throws {
        let path = folder.path + "/nowhere/libGhost.so"
        let error = try #require(loadError(pluginManifest(id: "ghost", library: path, in: folder)))
        #expect(error.reason == .libraryNotFound(searched: [path]))
    }

    @Test func checksumMismatchNamesBothHashes() throws {
        let pinned = String(repeating: "0", count: 64)
        let path = builtLibrary("libMath.so")
        let actual = try #require(Checksum.sha256(ofFile: path))
        let error = try #require(loadError(pluginManifest(id: "math", library: path, in: folder, sha256: pinned)))
        #expect(error.reason == .checksumMismatch(expected: pinned, actual: actual))
        #expect(error.description == "plugin 'math' (\(path)) refused: checksum mismatch — the manifest pins sha256 \(pinned), the file has \(actual)")
    }

    @Test func matchingChecksumLoadsWhateverItsCase() throws {
        let path = builtLibrary("libMath.so")
        let actual = try #require(Checksum.sha256(ofFile: path))
        let plugin = try load(pluginManifest(id: "math", library: path, in: folder, sha256: actual.uppercased()))
        #expect(plugin.libraryPath == path)
    }

    @Test func pluginDescribingAnotherABIMajorIsRefusedNamingBothVersions() throws {
        let path = builtLibrary("libFixtureWrongABI.so")
        let error = try #require(loadError(pluginManifest(id: "wrongabi", library: path, in: folder)))
        #expect(error.reason == .abiMismatch(pluginMajor: 2, pluginMinor: 0))
        #expect(error.description == "plugin 'wrongabi' (\(path)) refused: built for ABI 2.0, this host speaks 1.x — rebuild against manifold_plugin.h 1.x")
    }

    @Test func libraryExportingOnlyAFutureEntryIsRefusedNamingThatEntry() throws {
        let path = builtLibrary("libFixtureFutureABI.so")
        let error = try #require(loadError(pluginManifest(id: "future", library: path, in: folder)))
        #expect(error.reason == .missingEntry(otherMajor: 2))
        #expect(error.description.contains("exports manifold_plugin_entry_v2"))
        #expect(error.description.contains("built for ABI 2.x"))
        #expect(error.description.contains("this host speaks 1.x"))
    }

    @Test func libraryWithoutAnEntryIsRefused() throws {
        let path = builtLibrary("libFixtureNoEntry.so")
        let error = try #require(loadError(pluginManifest(id: "noentry", library: path, in: folder)))
        #expect(error.reason == .missingEntry(otherMajor: nil))
        #expect(error.description == "plugin 'noentry' (\(path)) refused: missing symbol manifold_plugin_entry_v1 — export it with C linkage and default visibility (Swift: a public @_cdecl function)")
    }

    @Test func libraryThatIsAnotherPluginIsRefused() throws {
        let path = builtLibrary("libMath.so")
        let error = try #require(loadError(pluginManifest(id: "calculator", library: path, in: folder)))
        #expect(error.reason == .idMismatch(library: "math"))
        #expect(error.description == "plugin 'calculator' (\(path)) refused: the library identifies itself as 'math', not 'calculator' — fix the manifest's id or library")
    }

    @Test func fileThatIsNotASharedLibraryFailsInDlopen() throws {
        let path = folder.write("libJunk.so", "this is not an ELF file\n")
        let error = try #require(loadError(pluginManifest(id: "junk", library: path, in: folder)))
        guard case .dlopenFailed(let message) = error.reason else {
            Issue.record("unexpected reason \(error.reason)")
            return
        }
        #expect(!message.isEmpty)
        #expect(error.description.hasPrefix("plugin 'junk' (\(path)) could not be loaded: "))
    }

    @Test func pluginRefusingItsConfigFailsInInitWithItsStatus() throws {
        let manifest = pluginManifest(id: "bench", library: "libBench.so", in: folder, config: ["tools": 2])
        let error = try #require(loadError(manifest))
        guard case .initFailed(let status, let log) = error.reason else {
            Issue.record("unexpected reason \(error.reason)")
            return
        }
        #expect(status == MANIFOLD_ERR_REFUSED)
        #expect(error.description.hasPrefix("plugin 'bench' (\(builtLibrary("libBench.so"))) failed to initialize (status -6)"))
        // The plugin said why through host->log (before it had an instance, so with a NULL
        // handle); the user should read that reason in the refusal.
        #expect(log.contains("config 'tools' must be an integer >= 3"), "log: '\(log)'")
    }

    @Test func refusalsDescribeThemselvesForEveryReason() {
        let cases: [(PluginLoadError.Reason, String)] = [
            (.abiMismatch(pluginMajor: 1, pluginMinor: 3), "refused: built for ABI 1.3, newer than this host's 1.0 — upgrade the host or rebuild the plugin"),
            (.malformedDescriptor("init, list and call are required"), "refused: malformed descriptor: init, list and call are required"),
            (.runtimeMismatch(plugin: "swift-1-x", host: "swift-2-x"), "refused: runtime tag swift-1-x differs from the host's swift-2-x — rebuild the plugin with the host's Swift toolchain"),
            (.refusedByPlugin("bad config"), "refused to load: bad config"),
            (.refusedByPlugin(""), "refused to load"),
        ]
        for (reason, tail) in cases {
            let error = PluginLoadError(pluginID: "p", library: "/x/libP.so", reason: reason)
            #expect(error.description == "plugin 'p' (/x/libP.so) " + tail)
        }
    }
}

/// Checksum: the sha256 pin.
@Suite struct ChecksumTests {
    @Test func sha256OfAKnownFile() {
        let folder = TemporaryFolder()
        let path = folder.write("abc.txt", "abc")
        #expect(Checksum.sha256(ofFile: path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let empty = folder.write("empty.txt", "")
        #expect(Checksum.sha256(ofFile: empty) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func unreadableFileHasNoChecksum() {
        #expect(Checksum.sha256(ofFile: "/nonexistent/file") == nil)
    }
}
