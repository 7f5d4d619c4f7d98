import Dispatch
import Foundation
import Logging
import ManifoldCore
import ManifoldManifest
import ManifoldProtocol
import Synchronization
import Testing
@testable import ManifoldPlugins

// MARK: Where the built plugins are

/// The folder of the running test executable, where `swift build` puts the package's plugin
/// libraries (libFixtureCrashy.so, libBench.so, …).
let buildFolder = LibraryLocator.executableFolder

func builtLibrary(_ file: String) -> String { buildFolder + "/" + file }

/// One runtime for all tests: its threads live as long as the process, as in the host.
let sharedRuntime = NativeRuntime(threads: 8)

let testLogger = Logger(label: "manifold.reload.tests")

/// A plugin manifest file for `library`, written into `folder`, read back as the host reads it.
func writePluginManifest(id: String, library: String, in folder: String, name: String? = nil,
                         extra: String = "") throws -> PluginManifest {
    let file = folder + "/" + (name ?? "\(id).plugin.yaml")
    try "kind: plugin\nid: \(id)\nlibrary: \(library)\n\(extra)".write(toFile: file, atomically: true, encoding: .utf8)
    return try ManifestLoader.loadPlugin(path: file)
}

// MARK: Calls

/// Calls a provider and waits for its completion.
func invoke(_ provider: any Provider, _ name: String, _ input: String = "{}",
            context: any CallContext = DetachedCallContext()) async -> CallOutcome {
    await withCheckedContinuation { continuation in
        provider.invoke(ProviderRequest(kind: .callTool, name: name, input: Array(input.utf8)[...]), context: context) { outcome in
            continuation.resume(returning: outcome)
        }
    }
}

/// Starts a call and returns a handle to wait for its outcome later.
final class PendingCall: Sendable {
    private let outcome = Mutex<CallOutcome?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(_ provider: any Provider, _ name: String, _ input: String = "{}") {
        provider.invoke(ProviderRequest(kind: .callTool, name: name, input: Array(input.utf8)[...]),
                        context: DetachedCallContext()) { result in
            self.outcome.withLock { $0 = result }
            self.done.signal()
        }
    }

    var isDone: Bool { outcome.withLock { $0 != nil } }

    /// The outcome, waiting up to `timeout` seconds for it.
    func wait(timeout: Double = 10) -> CallOutcome? {
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        done.signal()
        return outcome.withLock { $0 }
    }
}

extension CallOutcome {
    /// The first text block of a CallToolResult, or nil.
    var text: String? {
        guard case .result(let bytes) = self, let json = try? JSONValue.parse(bytes) else { return nil }
        return json["content"]?.arrayValue?.first?["text"]?.stringValue
    }

    var failure: RPCError? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

// MARK: Waiting

/// Polls `condition` until it holds or `timeout` seconds pass (never a fixed sleep: the wait
/// ends as soon as the condition holds).
@discardableResult
func eventually(timeout: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = DispatchTime.now() + timeout
    while DispatchTime.now() < deadline {
        if condition() { return true }
        usleep(2_000)
    }
    return condition()
}

/// A value shared between threads.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    @discardableResult
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}

/// Records what a provider tells its observers.
final class RecordingObserver: ProviderObserver {
    let changes = Locked(0)
    func providerCatalogChanged(_ provider: any Provider) { changes.withLock { $0 += 1 } }
    func providerResourceUpdated(_ provider: any Provider, uri: String) {}
}

/// A provider the tests control completely: a fixed catalog of tools, answers with its name.
final class StubProvider: Provider {
    let displayName: String
    private let tools: [String]
    private let observers = ObserverList()

    init(_ name: String, tools: [String]) {
        self.displayName = name
        self.tools = tools
    }

    func catalog() -> Catalog {
        var catalog = Catalog.empty
        catalog[.tool] = tools.map { try! Component(kind: .tool, listed: ["name": .string($0), "inputSchema": ["type": "object"]]) }
        return catalog
    }

    var health: ProviderHealth { .ready }
    func addObserver(_ observer: any ProviderObserver) { observers.add(observer) }

    func invoke(_ request: ProviderRequest, context: any CallContext, completion: @escaping @Sendable (CallOutcome) -> Void) {
        completion(.result(Array("{\"content\":[{\"type\":\"text\",\"text\":\"\(displayName)\"}]}".utf8)))
    }
}
