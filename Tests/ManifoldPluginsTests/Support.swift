import Foundation
import Logging
import ManifoldCore
import ManifoldManifest
import ManifoldProtocol
import ManifoldTestSupport
import Synchronization
import Testing
@testable import ManifoldPlugins

// MARK: Where the built plugins are

/// The folder of the running test executable, where `swift build` puts the package's plugin
/// libraries (libMath.so, libBench.so, the fixtures).
let buildFolder = LibraryLocator.executableFolder

func builtLibrary(_ file: String) -> String { buildFolder + "/" + file }

/// One runtime for all tests: its threads live as long as the process, as in the host.
let sharedRuntime = NativeRuntime(threads: 4)

let testLogger = Logger(label: "manifold.plugins.tests")

// MARK: Manifests

/// A plugin manifest as the loader receives it, "written" in `folder`.
func pluginManifest(id: String, library: String, in folder: TemporaryFolder, sha256: String? = nil,
                    tags: [String] = [], config: JSONValue = .object([:])) -> PluginManifest {
    let file = folder.path + "/\(id).plugin.yaml"
    return PluginManifest(kind: .plugin, id: id, version: "1.0.0", library: library, sha256: sha256, tags: tags,
                          config: config, file: file,
                          location: ManifoldManifest.SourceLocation(file: file, line: 1, column: 1))
}

func load(_ manifest: PluginManifest) throws -> NativePlugin {
    try NativePluginLoader.load(manifest, runtime: sharedRuntime, logger: testLogger)
}

/// The refusal a manifest's plugin is loaded with, or nil (with a recorded issue) if it loads.
func loadError(_ manifest: PluginManifest, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> PluginLoadError? {
    do {
        let plugin = try NativePluginLoader.load(manifest, runtime: sharedRuntime, logger: testLogger)
        Issue.record("\(plugin.displayName) loaded, a refusal was expected", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

// MARK: Calls

/// Calls a provider and waits for its completion.
func invoke(_ provider: any Provider, _ kind: ProviderRequest.Kind, _ name: String, _ input: String = "{}",
            context: any CallContext = DetachedCallContext()) async -> CallOutcome {
    await withCheckedContinuation { continuation in
        provider.invoke(ProviderRequest(kind: kind, name: name, input: Array(input.utf8)[...]), context: context) { outcome in
            continuation.resume(returning: outcome)
        }
    }
}

extension CallOutcome {
    /// The result's text, or nil.
    var resultText: String? {
        if case .result(let bytes) = self { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }

    var resultJSON: JSONValue? {
        if case .result(let bytes) = self { return try? JSONValue.parse(bytes) }
        return nil
    }

    var failure: RPCError? {
        if case .failure(let error) = self { return error }
        return nil
    }

    var isCancelled: Bool {
        if case .cancelled = self { return true }
        return false
    }
}

/// A call context that records what a provider did with it and can be cancelled by the test.
final class RecordingContext: CallContext {
    struct Progress: Equatable, Sendable {
        var progress: Double
        var total: Double?
        var message: String?
    }
    struct Log: Equatable, Sendable {
        var level: LogLevel
        var logger: String?
        var data: String
    }
    private struct State {
        var cancelled = false
        var handlers: [@Sendable () -> Void] = []
        var progress: [Progress] = []
        var logs: [Log] = []
    }
    private let state = Mutex(State())

    var progressReports: [Progress] { state.withLock { $0.progress } }
    var logs: [Log] { state.withLock { $0.logs } }

    func cancel() {
        let handlers = state.withLock { s in
            s.cancelled = true
            defer { s.handlers = [] }
            return s.handlers
        }
        for handler in handlers { handler() }
    }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    let meta: ArraySlice<UInt8>?

    init(meta: String? = nil) { self.meta = meta.map { Array($0.utf8)[...] } }

    func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let now = state.withLock { s in
            if s.cancelled { return true }
            s.handlers.append(handler)
            return false
        }
        if now { handler() }
    }

    func progress(_ progress: Double, total: Double?, message: String?) {
        state.withLock { $0.progress.append(Progress(progress: progress, total: total, message: message)) }
    }

    func log(_ level: LogLevel, logger: String?, data: [UInt8]) {
        state.withLock { $0.logs.append(Log(level: level, logger: logger, data: String(decoding: data, as: UTF8.self))) }
    }

    func request(method: String, params: [UInt8], completion: @escaping @Sendable (Result<[UInt8], RPCError>) -> Void) -> Bool {
        false
    }
}

/// A value shared between threads (escaping closures cannot capture a `Mutex` itself).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    @discardableResult
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}
