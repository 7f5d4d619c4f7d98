import CManifoldABI
import ManifoldCore
import ManifoldProtocol
import Synchronization
import Testing
@testable import ManifoldPlugins

/// The host-services table plugins call, and the token handles behind it.
@Suite struct HostServicesTests {
    let table = HostServices.table.pointee

    /// Calls `body` with a borrowed `manifold_bytes` view of `text`.
    func withBytes<R>(_ text: String, _ body: (manifold_bytes) -> R) -> R {
        withManifoldBytes(text, ArraySlice<UInt8>()) { s, _ in body(s) }
    }

    /// Registers a call whose completions are recorded; returns its handle.
    func register(context: (any CallContext)? = nil, into finishes: Finishes) -> OpaquePointer? {
        let call = NativeCall(context: context) { status, bytes in finishes.append(status, bytes) }
        return HandleRegistry<NativeCall>.handle(HostServices.calls.insert(call))
    }

    @Test func tableAnnouncesTheHostsABI() {
        #expect(table.abi_major == UInt16(MANIFOLD_ABI_MAJOR))
        #expect(table.abi_minor == UInt16(MANIFOLD_ABI_MINOR))
        #expect(Int(table.struct_size) == MemoryLayout<manifold_host_api_v1>.size)
    }

    @Test func completeFinishesACallOnceAndIgnoresLaterCompletions() {
        let finishes = Finishes()
        let handle = register(into: finishes)
        withBytes(#"{"ok":true}"#) { table.complete!(handle, MANIFOLD_OK, $0) }
        withBytes(#"{"ok":false}"#) { table.complete!(handle, MANIFOLD_OK, $0) }
        withBytes("late") { table.complete!(handle, MANIFOLD_ERR_INTERNAL, $0) }
        let seen = finishes.all
        #expect(seen.count == 1)
        #expect(seen.first?.0 == MANIFOLD_OK)
        #expect(seen.first?.1 == #"{"ok":true}"#)
        #expect(HostServices.calls.lookup(handle) == nil)
    }

    @Test func servicesOnUnknownHandlesAreHarmless() {
        let bogus = HandleRegistry<NativeCall>.handle(UInt.max - 7)
        withBytes("x") { table.complete!(bogus, MANIFOLD_OK, $0) }
        withBytes("") { table.progress!(bogus, 1, -1, $0) }
        #expect(table.is_cancelled!(bogus) == 1)
        #expect(table.is_cancelled!(nil) == 1)
        let status = withBytes("sampling/createMessage") { method in
            withBytes("{}") { params in table.client_request!(bogus, method, params, { _, _, _ in }, nil) }
        }
        #expect(status == MANIFOLD_ERR_INVALID_ARGUMENTS)
    }

    @Test func progressAndLogsReachTheCallsContext() {
        let finishes = Finishes()
        let context = RecordingContext()
        let handle = register(context: context, into: finishes)
        withBytes("") { table.progress!(handle, 0.5, -1, $0) }
        withBytes("halfway") { table.progress!(handle, 1, 2, $0) }
        withBytes("calc") { logger in withBytes(#""hello""#) { data in table.call_log!(handle, MANIFOLD_LOG_WARNING, logger, data) } }
        withBytes("") { logger in withBytes("[1]") { data in table.call_log!(handle, MANIFOLD_LOG_DEBUG, logger, data) } }
        #expect(context.progressReports == [.init(progress: 0.5, total: nil, message: nil), .init(progress: 1, total: 2, message: "halfway")])
        #expect(context.logs == [.init(level: .warning, logger: "calc", data: #""hello""#), .init(level: .debug, logger: nil, data: "[1]")])
        #expect(table.is_cancelled!(handle) == 0)
        context.cancel()
        #expect(table.is_cancelled!(handle) == 1)
        withBytes("{}") { table.complete!(handle, MANIFOLD_OK, $0) }
        // After completing, the handle is dead: nothing more reaches the context.
        withBytes("") { table.progress!(handle, 5, -1, $0) }
        #expect(context.progressReports.count == 2)
    }

    @Test func callMetaShowsTheRequestsMetaOrAnEmptyObject() {
        let finishes = Finishes()
        let meta = #"{"progressToken":"p-1","vendor/x":[1,2]}"#
        let withMeta = register(context: RecordingContext(meta: meta), into: finishes)
        let without = register(context: RecordingContext(), into: finishes)
        #expect(string(table.call_meta!(withMeta)) == meta)
        #expect(string(table.call_meta!(withMeta)) == meta)
        #expect(string(table.call_meta!(without)) == "{}")
        #expect(string(table.call_meta!(HandleRegistry<NativeCall>.handle(UInt.max - 9))) == "{}")
        withBytes("{}") { table.complete!(withMeta, MANIFOLD_OK, $0) }
        withBytes("{}") { table.complete!(without, MANIFOLD_OK, $0) }
    }

    func string(_ bytes: manifold_bytes) -> String {
        guard let ptr = bytes.ptr else { return "<null>" }
        return String(decoding: UnsafeRawBufferPointer(start: ptr, count: bytes.len), as: UTF8.self)
    }

    @Test func clientRequestIsRefusedWhenTheContextCannotSendIt() {
        let finishes = Finishes()
        let handle = register(context: RecordingContext(), into: finishes)
        let status = withBytes("sampling/createMessage") { method in
            withBytes("{}") { params in table.client_request!(handle, method, params, { _, _, _ in }, nil) }
        }
        #expect(status == MANIFOLD_ERR_UNSUPPORTED)
        let noCallback = withBytes("sampling/createMessage") { method in
            withBytes("{}") { params in table.client_request!(handle, method, params, nil, nil) }
        }
        #expect(noCallback == MANIFOLD_ERR_INVALID_ARGUMENTS)
    }

    @Test func handlesAreDistinctNonZeroTokens() {
        let registry = HandleRegistry<NativeCall>()
        let a = registry.insert(NativeCall(context: nil) { _, _ in })
        let b = registry.insert(NativeCall(context: nil) { _, _ in })
        #expect(a != 0 && b != 0 && a != b)
        let handle = HandleRegistry<NativeCall>.handle(a)
        #expect(HandleRegistry<NativeCall>.token(handle) == a)
        #expect(HandleRegistry<NativeCall>.token(nil) == 0)
        #expect(registry.lookup(handle) != nil)
        #expect(registry.remove(handle) != nil)
        #expect(registry.remove(handle) == nil)
        #expect(registry.lookup(token: b) != nil)
    }
}

/// What a call's completion received.
final class Finishes: Sendable {
    private let list = Mutex<[(manifold_status, String)]>([])
    func append(_ status: manifold_status, _ bytes: [UInt8]) {
        list.withLock { $0.append((status, String(decoding: bytes, as: UTF8.self))) }
    }
    var all: [(manifold_status, String)] { list.withLock { $0 } }
}
