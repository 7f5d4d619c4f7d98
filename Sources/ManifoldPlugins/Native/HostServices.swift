import CManifoldABI
import Logging
import ManifoldCore
import ManifoldProtocol
import Synchronization

/// The ABI bridge: the one `manifold_host_api_v1` table every native plugin receives, and the
/// registries that turn the opaque handles plugins hold back into host objects.
///
/// Handles are tokens, not pointers: a call handle is looked up on every use, so a plugin that
/// completes twice or reports progress after completing is ignored instead of touching freed
/// memory. This is the only global mutable state in the host (DESIGN.md: "no global mutable
/// state outside the ABI bridge").
enum HostServices {
    /// The table handed to plugins; allocated once, never freed.
    nonisolated(unsafe) static let table: UnsafePointer<manifold_host_api_v1> = {
        let table = UnsafeMutablePointer<manifold_host_api_v1>.allocate(capacity: 1)
        table.initialize(to: manifold_host_api_v1(
            struct_size: UInt32(MemoryLayout<manifold_host_api_v1>.size),
            abi_major: UInt16(MANIFOLD_ABI_MAJOR),
            abi_minor: UInt16(MANIFOLD_ABI_MINOR),
            runtime_tag: manifold_swift_runtime_tag(),
            log: { plugin, level, message in
                HostServices.log(plugin: plugin, level: level, message: message.string)
            },
            complete: { call, status, result in
                HostServices.calls.remove(call)?.finish(status: status, bytes: result.bytes)
            },
            progress: { call, progress, total, message in
                HostServices.calls.lookup(call)?.context?.progress(
                    progress, total: total < 0 ? nil : total, message: message.len == 0 ? nil : message.string)
            },
            is_cancelled: { call in
                (HostServices.calls.lookup(call)?.context?.isCancelled ?? true) ? 1 : 0
            },
            call_log: { call, level, logger, data in
                HostServices.calls.lookup(call)?.context?.log(
                    LogLevel(rawValue: Int(level.rawValue)) ?? .info,
                    logger: logger.len == 0 ? nil : logger.string, data: data.bytes)
            },
            notify_list_changed: { plugin, kind in
                HostServices.plugins.lookup(plugin)?.catalogMayHaveChanged(kind: ComponentKind(rawValue: Int(kind.rawValue)))
            },
            notify_resource_updated: { plugin, uri in
                HostServices.plugins.lookup(plugin)?.resourceUpdated(uri: uri.string)
            },
            client_request: { call, method, params, onResponse, contextPointer in
                HostServices.clientRequest(call: call, method: method.string, params: params.bytes,
                                           onResponse: onResponse, context: contextPointer)
            },
            call_meta: { call in
                HostServices.calls.lookup(call)?.metaView ?? manifold_bytes(ptr: HostServices.emptyObject, len: 2)
            }
        ))
        return UnsafePointer(table)
    }()

    static let calls = HandleRegistry<NativeCall>()

    /// "{}", static, for calls without `_meta`.
    nonisolated(unsafe) static let emptyObject: UnsafePointer<CChar> = {
        let bytes = UnsafeMutablePointer<CChar>.allocate(capacity: 3)
        bytes.initialize(from: [0x7B, 0x7D, 0], count: 3)
        return UnsafePointer(bytes)
    }()
    static let plugins = HandleRegistry<NativePlugin>()

    /// What plugins log through `host->log(NULL, …)` while their entry runs, so a refusal can
    /// say why. Entries run on the control thread, one at a time.
    static let entryLog = Mutex<[String]>([])

    static let logger = Logger(label: "manifold.plugins")

    static func log(plugin: OpaquePointer?, level: manifold_log_level, message: String) {
        let severity = LogLevel(rawValue: Int(level.rawValue)) ?? .info
        if let plugin = plugins.lookup(plugin) {
            if severity >= .warning { plugin.noteWarning(message) }
            plugin.logger.log(level: severity.swiftLogLevel, "\(message)")
        } else {
            if severity >= .warning { entryLog.withLock { $0.append(message) } }
            logger.log(level: severity.swiftLogLevel, "\(message)")
        }
    }

    static func clientRequest(call: OpaquePointer?, method: String, params: [UInt8],
                              onResponse: manifold_client_response_fn?,
                              context: UnsafeMutableRawPointer?) -> manifold_status {
        guard let onResponse, let ctx = calls.lookup(call)?.context else { return MANIFOLD_ERR_INVALID_ARGUMENTS }
        let contextBits = UInt(bitPattern: context)
        let sent = ctx.request(method: method, params: params) { result in
            let context = UnsafeMutableRawPointer(bitPattern: contextBits)
            switch result {
            case .success(let bytes):
                bytes.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) {
                        onResponse(context, MANIFOLD_OK, manifold_bytes(ptr: $0.baseAddress, len: $0.count))
                    }
                }
            case .failure(let error):
                var object: JSONObject = ["code": .int(error.code.rawValue), "message": .string(error.message)]
                if let data = error.data { object["data"] = data }
                let bytes = JSONValue.object(object).serialized()
                bytes.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) {
                        onResponse(context, MANIFOLD_ERR_INTERNAL, manifold_bytes(ptr: $0.baseAddress, len: $0.count))
                    }
                }
            }
        }
        return sent ? MANIFOLD_OK : MANIFOLD_ERR_UNSUPPORTED
    }
}

/// Maps opaque handles (non-zero integer tokens disguised as pointers) to live host objects.
///
/// A slab, not a dictionary (it is on every call's path, twice): a token is a slot index plus
/// the slot's generation, so finding an object is an array access and a comparison, and a token
/// whose slot was reused since — a plugin completing twice, reporting progress late — matches
/// nothing.
final class HandleRegistry<Object: AnyObject & Sendable>: Sendable {
    /// A handle as Swift code passes it around (Sendable, unlike `OpaquePointer`).
    typealias Token = UInt

    /// Low bits: slot index + 1 (so no token is 0); high bits: the slot's generation.
    private static var indexBits: UInt { 24 }
    private static var indexMask: UInt { (1 << indexBits) - 1 }

    private struct Slot {
        var generation: UInt = 0
        var object: Object?
    }

    private struct State {
        var slots: [Slot] = []
        var free: [Int] = []
    }
    private let state = Mutex(State())

    func insert(_ object: Object) -> Token {
        state.withLock { s -> Token in
            let index: Int
            if let reused = s.free.popLast() {
                index = reused
            } else {
                precondition(s.slots.count < Int(Self.indexMask), "more than \(Self.indexMask) live handles")
                index = s.slots.count
                s.slots.append(Slot())
            }
            s.slots[index].generation &+= 1
            s.slots[index].object = object
            return (s.slots[index].generation << Self.indexBits) | UInt(index + 1)
        }
    }

    func lookup(_ handle: OpaquePointer?) -> Object? { lookup(token: Self.token(handle)) }

    func lookup(token: Token) -> Object? {
        state.withLock { s in Self.slot(of: token, in: s).map { s.slots[$0].object } ?? nil }
    }

    func remove(_ handle: OpaquePointer?) -> Object? { remove(token: Self.token(handle)) }

    func remove(token: Token) -> Object? {
        state.withLock { s -> Object? in
            guard let index = Self.slot(of: token, in: s), let object = s.slots[index].object else { return nil }
            s.slots[index].object = nil
            s.free.append(index)
            return object
        }
    }

    /// The slot a token names, if the token is current.
    private static func slot(of token: Token, in s: State) -> Int? {
        let index = Int(token & indexMask) - 1
        guard index >= 0, index < s.slots.count, s.slots[index].generation == token >> indexBits,
            s.slots[index].object != nil
        else { return nil }
        return index
    }

    static func token(_ handle: OpaquePointer?) -> Token {
        handle.map { UInt(bitPattern: Int(bitPattern: UnsafeRawPointer($0))) } ?? 0
    }

    static func handle(_ token: Token) -> OpaquePointer? { OpaquePointer(bitPattern: token) }
}

extension manifold_bytes {
    /// A copy of the borrowed bytes.
    var bytes: [UInt8] {
        guard let ptr, len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: ptr, count: len))
    }

    var string: String {
        guard let ptr, len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: ptr, count: len), as: UTF8.self)
    }
}

extension LogLevel {
    var swiftLogLevel: Logger.Level {
        switch self {
        case .debug: return .debug
        case .info: return .info
        case .notice: return .notice
        case .warning: return .warning
        case .error: return .error
        case .critical, .alert, .emergency: return .critical
        }
    }
}

/// Calls `body` with borrowed `manifold_bytes` views of a string and a byte slice.
func withManifoldBytes<R>(_ string: String, _ bytes: ArraySlice<UInt8>,
                          _ body: (manifold_bytes, manifold_bytes) -> R) -> R {
    var string = string
    return string.withUTF8 { s in
        bytes.withUnsafeBytes { b in
            body(manifold_bytes(ptr: UnsafeRawPointer(s.baseAddress)?.assumingMemoryBound(to: CChar.self), len: s.count),
                 manifold_bytes(ptr: b.baseAddress?.assumingMemoryBound(to: CChar.self), len: b.count))
        }
    }
}
