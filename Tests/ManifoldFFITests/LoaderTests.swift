import Foundation
import ManifoldCore
import ManifoldManifest
import ManifoldProtocol
import Testing
@testable import ManifoldPlugins

/// Loading ffi manifests: symbols resolved and call interfaces prepared at load; refusals
/// naming the library, the symbol, the function.
@Suite struct LoaderTests {
    @Test func loadsAndServesAsAProvider() throws {
        let manifest = try ffiManifest(id: "m", library: "libm.so.6", functions: [
            #"{"name": "hypot", "params": [{"name": "x", "type": "f64"}, {"name": "y", "type": "f64"}], "returns": "f64", "concurrent": true}"#,
            #"{"name": "cbrt", "params": [{"name": "x", "type": "f64"}], "returns": "f64", "tags": ["roots"]}"#,
        ])
        let plugin = try FFIPluginLoader.load(manifest, runtime: sharedRuntime, logger: testLogger)
        #expect(plugin.catalog().tools.map(\.key) == ["hypot", "cbrt"])
        #expect(plugin.catalog().tools[1].tags == ["roots"])
        #expect(plugin.health == .ready)
        let outcome = invoke(plugin, .callTool, "hypot", #"{"x": 3, "y": 4}"#)
        guard case .result(let bytes) = outcome else { Issue.record("\(outcome)"); return }
        #expect(try JSONValue.parse(bytes)["structuredContent"] == ["result": 5])
        let serial = invoke(plugin, .callTool, "cbrt", #"{"x": -8}"#)
        guard case .result(let cbrt) = serial else { Issue.record("\(serial)"); return }
        #expect(try JSONValue.parse(cbrt)["structuredContent"] == ["result": -2])
        guard case .failure(let unknown) = invoke(plugin, .callTool, "nope", "{}") else { Issue.record("unknown tool"); return }
        #expect(unknown.code == .invalidParams)
        guard case .failure(let prompt) = invoke(plugin, .getPrompt, "p", "{}") else { Issue.record("prompt"); return }
        #expect(prompt.code == .invalidParams)
    }

    @Test func manyConcurrentCallsThroughThePool() throws {
        let manifest = try ffiManifest(id: "m", library: "libm.so.6", functions: [
            #"{"name": "ldexp", "params": [{"name": "x", "type": "f64"}, {"name": "e", "type": "i32"}], "returns": "f64", "concurrent": true}"#,
        ])
        let plugin = try FFIPluginLoader.load(manifest, runtime: sharedRuntime, logger: testLogger)
        let group = DispatchGroup()
        let results = ResultsBox()
        for k in 0..<200 {
            group.enter()
            let request = ProviderRequest(kind: .callTool, name: "ldexp", input: Array(#"{"x": 1, "e": \#(k % 60)}"#.utf8)[...])
            plugin.invoke(request, context: DetachedCallContext()) { outcome in
                if case .result(let bytes) = outcome, let value = try? JSONValue.parse(bytes)["structuredContent"]?["result"] {
                    results.add(k, value)
                }
                group.leave()
            }
        }
        #expect(group.wait(timeout: .now() + 20) == .success)
        let all = results.values
        #expect(all.count == 200)
        for (k, value) in all { #expect(value == .double(scalbn(1.0, k % 60))) }
    }

    @Test func missingSymbolNamesTheSymbolAndFunction() throws {
        let manifest = try ffiManifest(id: "m", library: "libm.so.6", functions: [
            #"{"name": "cos", "params": [{"name": "x", "type": "f64"}], "returns": "f64"}"#,
            #"{"name": "nope", "symbol": "no_such_function_here", "returns": "f64"}"#,
        ])
        #expect(throws: PluginLoadError.self) { try FFIPluginLoader.load(manifest, runtime: sharedRuntime, logger: testLogger) }
        do { _ = try FFIPluginLoader.load(manifest, runtime: sharedRuntime, logger: testLogger) } catch {
            #expect(error.description == "plugin 'm': /tmp/ffi-tests/test.plugin.yaml: functions[1] (nope): symbol 'no_such_function_here' not found in libm.so.6")
        }
    }

    @Test func missingFreeFunction() throws {
        let manifest = try ffiManifest(id: "c", library: "libc.so.6", functions: [
            #"{"name": "strdup", "params": [{"name": "s", "type": "cstring"}], "returns": {"type": "cstring", "ownership": "freed", "free": "no_free_here"}}"#,
        ])
        do {
            _ = try FFIPluginLoader.load(manifest, runtime: sharedRuntime, logger: testLogger)
            Issue.record("loaded")
        } catch {
            #expect(error.description.contains("functions[0] (strdup): free function 'no_free_here' not found"))
        }
    }

    @Test func missingLibraryNamesTheLibrary() throws {
        let bare = try ffiManifest(id: "x", library: "libnothere.so.3", functions: [#"{"name": "f"}"#])
        do {
            _ = try FFIPluginLoader.load(bare, runtime: sharedRuntime, logger: testLogger)
            Issue.record("loaded")
        } catch {
            #expect(error.description.hasPrefix("plugin 'x' (libnothere.so.3) could not be loaded: libnothere.so.3: cannot open shared object file"))
        }
        let path = try ffiManifest(id: "x", library: "./sub/libnothere.so", functions: [#"{"name": "f"}"#])
        do {
            _ = try FFIPluginLoader.load(path, runtime: sharedRuntime, logger: testLogger)
            Issue.record("loaded")
        } catch {
            #expect(error.description.hasPrefix("plugin 'x': library './sub/libnothere.so' not found; looked in: /tmp/ffi-tests/sub/libnothere.so"))
        }
    }

    @Test func manifestMistakesAreLoadErrors() throws {
        let manifest = try ffiManifest(id: "m", library: "libm.so.6", functions: [#"{"name": "cos", "params": [{"name": "x", "type": "double64"}]}"#])
        do {
            _ = try FFIPluginLoader.load(manifest, runtime: sharedRuntime, logger: testLogger)
            Issue.record("loaded")
        } catch {
            #expect(error.description.hasPrefix("plugin 'm': /tmp/ffi-tests/test.plugin.yaml: functions[0] (cos).params[0].type: 'double64' is not a type"))
        }
        #expect(throws: PluginLoadError.self) { try FFIPluginLoader.validate(manifest) }
    }

    @Test func theExampleManifestsLoadInProcess() throws {
        for name in ["libm", "zlib", "libc", "ffitest"] {
            var manifest = try ManifestLoader.loadPlugin(path: "\(repositoryRoot)/manifests/ffi/\(name).plugin.yaml")
            manifest.execution = .inProcess
            let plugin = try FFIPluginLoader.load(manifest, runtime: sharedRuntime, logger: testLogger)
            #expect(plugin.catalog().tools.count == manifest.functions.count)
            for tool in plugin.catalog().tools { #expect(tool.tags.contains("ffi")) }
        }
    }

    func invoke(_ plugin: FFIPlugin, _ kind: ProviderRequest.Kind, _ name: String, _ input: String) -> CallOutcome {
        let box = OutcomeBox()
        plugin.invoke(ProviderRequest(kind: kind, name: name, input: Array(input.utf8)[...]), context: DetachedCallContext()) {
            box.set($0)
        }
        return box.wait()
    }
}

final class OutcomeBox: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private var outcome: CallOutcome?
    func set(_ value: CallOutcome) { outcome = value; semaphore.signal() }
    func wait() -> CallOutcome { semaphore.wait(); return outcome! }
}

final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [(Int, JSONValue)] = []
    func add(_ k: Int, _ v: JSONValue) { lock.lock(); stored.append((k, v)); lock.unlock() }
    var values: [(Int, JSONValue)] { lock.lock(); defer { lock.unlock() }; return stored }
}
