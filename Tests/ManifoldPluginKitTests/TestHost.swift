import CManifoldABI
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A host-services table implemented in the test: every service records what it receives, and
// client requests are answered synchronously with canned results. The Swift plugins are loaded
// from the build products folder with dlopen, as the real host does.

struct Completion: Equatable {
    var status: Int32
    var body: String
}

struct ProgressReport: Equatable {
    var call: UInt
    var progress: Double
    var total: Double
    var message: String
}

struct LogRecord: Equatable {
    var call: UInt
    var level: Int
    var logger: String
    var data: String
}

struct ClientRequest: Equatable {
    var call: UInt
    var method: String
    var params: String
}

/// What the test host saw. One global instance (the C callbacks cannot capture).
final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var _completions: [UInt: [Completion]] = [:]
    private var _progress: [ProgressReport] = []
    private var _logs: [LogRecord] = []
    private var _hostLogs: [String] = []
    private var _requests: [ClientRequest] = []
    private var _listChanged: [UInt32] = []
    private var _updated: [String] = []
    private var _cancelled: Set<UInt> = []
    /// method → (status, body) answered to client_request.
    private var _answers: [String: (Int32, String)] = [:]
    /// Methods the "client" lacks the capability for.
    private var _unsupported: Set<String> = []

    func locked<R>(_ body: () -> R) -> R { lock.lock(); defer { lock.unlock() }; return body() }

    func reset() {
        locked {
            _completions = [:]; _progress = []; _logs = []; _hostLogs = []; _requests = []
            _listChanged = []; _updated = []; _cancelled = []; _answers = [:]; _unsupported = []
        }
    }

    func complete(_ call: UInt, _ status: Int32, _ body: String) {
        locked { _completions[call, default: []].append(Completion(status: status, body: body)) }
    }
    func completions(_ call: UInt) -> [Completion] { locked { _completions[call] ?? [] } }

    func addProgress(_ r: ProgressReport) { locked { _progress.append(r) } }
    func progress(_ call: UInt) -> [ProgressReport] { locked { _progress.filter { $0.call == call } } }

    func addLog(_ r: LogRecord) { locked { _logs.append(r) } }
    func logs(_ call: UInt) -> [LogRecord] { locked { _logs.filter { $0.call == call } } }

    func addHostLog(_ s: String) { locked { _hostLogs.append(s) } }
    var hostLogs: [String] { locked { _hostLogs } }

    func addRequest(_ r: ClientRequest) { locked { _requests.append(r) } }
    func requests(_ call: UInt) -> [ClientRequest] { locked { _requests.filter { $0.call == call } } }

    func addListChanged(_ k: UInt32) { locked { _listChanged.append(k) } }
    var listChanged: [UInt32] { locked { _listChanged } }

    func addUpdated(_ uri: String) { locked { _updated.append(uri) } }
    var updated: [String] { locked { _updated } }

    func cancel(_ call: UInt) { locked { _ = _cancelled.insert(call) } }
    func isCancelled(_ call: UInt) -> Bool { locked { _cancelled.contains(call) } }

    func answer(_ method: String, status: Int32 = MANIFOLD_OK, _ body: String) { locked { _answers[method] = (status, body) } }
    func answerFor(_ method: String) -> (Int32, String)? { locked { _answers[method] } }

    func setUnsupported(_ method: String) { locked { _ = _unsupported.insert(method) } }
    func isUnsupported(_ method: String) -> Bool { locked { _unsupported.contains(method) } }
}

let recorder = Recorder()

func string(_ bytes: manifold_bytes) -> String {
    guard let p = bytes.ptr, bytes.len > 0 else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: p, count: bytes.len), as: UTF8.self)
}

func callID(_ call: OpaquePointer?) -> UInt { UInt(bitPattern: Int(bitPattern: call.map { UnsafeRawPointer($0) })) }

/// Builds (and leaks: a host table lives until exit) a service table.
func makeHost(abiMajor: UInt16 = UInt16(MANIFOLD_ABI_MAJOR), runtimeTag: UnsafePointer<CChar>? = manifold_swift_runtime_tag())
    -> UnsafePointer<manifold_host_api_v1>
{
    let table = UnsafeMutablePointer<manifold_host_api_v1>.allocate(capacity: 1)
    table.initialize(to: manifold_host_api_v1())
    table.pointee.struct_size = UInt32(MemoryLayout<manifold_host_api_v1>.size)
    table.pointee.abi_major = abiMajor
    table.pointee.abi_minor = UInt16(MANIFOLD_ABI_MINOR)
    table.pointee.runtime_tag = runtimeTag
    table.pointee.log = { _, _, message in recorder.addHostLog(string(message)) }
    table.pointee.complete = { call, status, body in recorder.complete(callID(call), status, string(body)) }
    table.pointee.progress = { call, progress, total, message in
        recorder.addProgress(ProgressReport(call: callID(call), progress: progress, total: total, message: string(message)))
    }
    table.pointee.is_cancelled = { call in recorder.isCancelled(callID(call)) ? 1 : 0 }
    table.pointee.call_log = { call, level, logger, data in
        recorder.addLog(LogRecord(call: callID(call), level: Int(level.rawValue), logger: string(logger), data: string(data)))
    }
    table.pointee.notify_list_changed = { _, kind in recorder.addListChanged(kind.rawValue) }
    table.pointee.notify_resource_updated = { _, uri in recorder.addUpdated(string(uri)) }
    table.pointee.client_request = { call, method, params, onResponse, context in
        let name = string(method)
        if recorder.isUnsupported(name) { return MANIFOLD_ERR_UNSUPPORTED }
        recorder.addRequest(ClientRequest(call: callID(call), method: name, params: string(params)))
        let (status, body) = recorder.answerFor(name) ?? (MANIFOLD_ERR_INTERNAL, #"{"code":-32603,"message":"no canned answer"}"#)
        var bytes = Array(body.utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { p in
                onResponse?(context, status, manifold_bytes(ptr: p, len: buffer.count))
            }
        }
        return MANIFOLD_OK
    }
    return UnsafePointer(table)
}

/// The folder holding the built plugin libraries: $MANIFOLD_PLUGIN_DIR, else the folder of the
/// running test binary (SwiftPM puts `lib<Name>.so` beside it).
func productsDirectory() -> String {
    if let dir = ProcessInfo.processInfo.environment["MANIFOLD_PLUGIN_DIR"] { return dir }
    #if os(Linux)
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // On Linux the test binary is <products>/<Package>PackageTests.xctest.
        if url.pathExtension == "xctest" { url = url.deletingLastPathComponent() }
        return url.path
    }
    #endif
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        return URL(fileURLWithPath: bundle.bundlePath).deletingLastPathComponent().path
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
}

struct PluginLibraryMissing: Error, CustomStringConvertible {
    let path: String
    var description: String {
        "\(path) not found — build the plugins first (`swift build`, or `swift build --product Everything` and `--product TextTools` with the same --scratch-path), or set MANIFOLD_PLUGIN_DIR"
    }
}

/// Loaded libraries by name (dlopen'd once, never closed: Swift images must stay mapped).
nonisolated(unsafe) private var libraries: [String: UnsafeMutableRawPointer] = [:]
private let librariesLock = NSLock()

func entry(_ name: String) throws -> manifold_plugin_entry_v1_fn {
    librariesLock.lock()
    defer { librariesLock.unlock() }
    let handle: UnsafeMutableRawPointer
    if let loaded = libraries[name] {
        handle = loaded
    } else {
        let path = productsDirectory() + "/lib\(name).so"
        guard FileManager.default.fileExists(atPath: path) else { throw PluginLibraryMissing(path: path) }
        guard let opened = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw PluginLibraryMissing(path: path + " (dlopen: \(String(cString: dlerror())))")
        }
        libraries[name] = opened
        handle = opened
    }
    let symbol = try #require(dlsym(handle, MANIFOLD_PLUGIN_ENTRY_V1_SYMBOL), "lib\(name).so does not export manifold_plugin_entry_v1")
    return unsafeBitCast(symbol, to: manifold_plugin_entry_v1_fn.self)
}

nonisolated(unsafe) private var nextCall: UInt = 0x10_000
private let nextCallLock = NSLock()

func newCallID() -> UInt {
    nextCallLock.lock()
    defer { nextCallLock.unlock() }
    nextCall += 16
    return nextCall
}

/// One initialized plugin instance driven through its descriptor.
final class PluginSession: @unchecked Sendable {
    let descriptor: UnsafePointer<manifold_plugin_v1>
    let instance: UnsafeMutableRawPointer?
    let handle = OpaquePointer(bitPattern: 0xABC0)!

    init(_ name: String, config: String = "{}") throws {
        let entry = try entry(name)
        let descriptor = try #require(entry(makeHost()), "the entry refused a matching host: \(recorder.hostLogs)")
        self.descriptor = descriptor
        var instance: UnsafeMutableRawPointer?
        let handle = self.handle
        let status = config.withCString { p in
            descriptor.pointee.`init`!(handle, manifold_bytes(ptr: p, len: strlen(p)), &instance)
        }
        try #require(status == MANIFOLD_OK, "init failed: \(status) \(recorder.hostLogs)")
        self.instance = instance
    }

    func shutdown() { descriptor.pointee.shutdown?(instance) }

    /// `list(kind)`: the completed JSON array.
    func list(_ kind: manifold_kind) throws -> [[String: Any]] {
        let id = newCallID()
        let status = descriptor.pointee.list!(instance, kind, OpaquePointer(bitPattern: id))
        try #require(status == MANIFOLD_OK)
        let done = recorder.completions(id)
        try #require(done.count == 1, "list must complete exactly once")
        try #require(done[0].status == MANIFOLD_OK)
        return try #require(try JSONSerialization.jsonObject(with: Data(done[0].body.utf8)) as? [[String: Any]])
    }

    /// `call`: the single completion (status and body), asserting exactly-once completion.
    func call(_ kind: manifold_kind, _ name: String, _ input: String = "{}", id: UInt = newCallID()) throws -> Completion {
        let status = name.withCString { n in
            input.withCString { i in
                descriptor.pointee.call!(instance, OpaquePointer(bitPattern: id), kind,
                                         manifold_bytes(ptr: n, len: strlen(n)), manifold_bytes(ptr: i, len: strlen(i)))
            }
        }
        if status != MANIFOLD_OK && status != MANIFOLD_PENDING {
            #expect(recorder.completions(id).isEmpty, "a negative return must not have completed")
            return Completion(status: status, body: "")
        }
        let done = recorder.completions(id)
        try #require(done.count == 1, "call must complete exactly once (got \(done.count))")
        return done[0]
    }

    /// A tool call's CallToolResult.
    func tool(_ name: String, _ arguments: String = "{}", id: UInt = newCallID()) throws -> [String: Any] {
        let done = try call(MANIFOLD_KIND_TOOL, name, arguments, id: id)
        try #require(done.status == MANIFOLD_OK, "tool \(name) failed: \(done)")
        return try object(done.body)
    }
}

func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
}

func texts(_ result: [String: Any]) -> [String] {
    (result["content"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
}

func named(_ items: [[String: Any]], _ value: String, key: String = "name") throws -> [String: Any] {
    try #require(items.first { $0[key] as? String == value }, "no \(key) \(value)")
}
