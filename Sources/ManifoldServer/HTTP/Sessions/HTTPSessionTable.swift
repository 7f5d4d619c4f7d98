import NIOCore
import Synchronization

/// The sessions of one endpoint, shared by all its connections: `SessionRegistry` under a
/// lock, plus the session ids themselves (32 lower-case hex characters from the system's
/// cryptographically secure generator — visible ASCII, as the transport requires).
final class HTTPSessionTable: Sendable {
    private let registry: Mutex<SessionRegistry<HTTPSession>>
    private let legacy = Mutex<[String: LegacySSESession]>([:])
    let idleTimeout: UInt64

    init(capacity: Int, idleTimeout: TimeAmount) {
        registry = Mutex(SessionRegistry(capacity: capacity))
        self.idleTimeout = UInt64(max(0, idleTimeout.nanoseconds))
    }

    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<2 {
            var word = generator.next() as UInt64
            for _ in 0..<16 {
                bytes.append(digits[Int(word & 0xF)])
                word >>= 4
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static var now: UInt64 { NIODeadline.now().uptimeNanoseconds }

    /// Adds a session created by `initialize` (checked out by that request). False when full.
    func insert(_ session: HTTPSession) -> Bool {
        registry.withLock { $0.insert(session.id, session, now: Self.now) }
    }

    func checkOut(_ id: String) -> HTTPSession? {
        registry.withLock { $0.checkOut(id, now: Self.now) }
    }

    func checkIn(_ id: String) {
        registry.withLock { $0.checkIn(id, now: Self.now) }
    }

    /// Removes a session without ending it (the caller does).
    func remove(_ id: String) -> HTTPSession? {
        registry.withLock { $0.remove(id) }
    }

    /// Removes a session only if it belongs to `owner` (DELETE; Security/SessionBinding.swift).
    func remove(_ id: String, ifOwnedBy owner: String?) -> HTTPSession? {
        registry.withLock { registry in
            guard let entry = registry.entries[id], entry.value.owner == owner else { return nil }
            return registry.remove(id)
        }
    }

    var count: Int { registry.withLock { $0.count } }

    /// Ends sessions idle past the timeout. Returns how many.
    @discardableResult
    func expireIdle() -> Int {
        let expired = registry.withLock { $0.expire(now: Self.now, idleTimeout: idleTimeout) }
        for session in expired { session.end() }
        return expired.count
    }

    // MARK: Legacy HTTP+SSE

    func insertLegacy(_ session: LegacySSESession) {
        legacy.withLock { $0[session.id] = session }
    }

    func legacySession(_ id: String) -> LegacySSESession? {
        legacy.withLock { $0[id] }
    }

    func removeLegacy(_ id: String) -> LegacySSESession? {
        legacy.withLock { $0.removeValue(forKey: id) }
    }

    /// Shutdown: ends every session (SSE responses end, in-flight calls are cancelled).
    func endAll() {
        let sessions = registry.withLock { $0.removeAll() }
        let legacySessions = legacy.withLock { table -> [LegacySSESession] in
            let all = Array(table.values)
            table = [:]
            return all
        }
        for session in sessions { session.end() }
        for session in legacySessions { session.end() }
    }
}
