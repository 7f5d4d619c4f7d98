/// The session table of a Streamable HTTP endpoint as a pure state machine: which session ids
/// exist, which are in use, and which have been idle long enough to end. Time is passed in
/// (nanoseconds of a monotonic clock) so the rules are tested without waiting.
///
/// Rules:
/// - An id is issued once, on a successful `initialize`; the table holds at most `capacity`
///   sessions (`insert` refuses beyond that: the endpoint answers 503).
/// - A request `checkOut`s its session for as long as it is served (a POST until its response,
///   a GET stream until it closes) and `checkIn`s it after; a checked-out session never
///   expires.
/// - A session not used for `idleTimeout` expires (`expire` removes and returns it). An ended
///   session (DELETE, expiry, shutdown) is simply absent: its id answers 404 like any unknown id.
struct SessionRegistry<Value> {
    struct Entry {
        var value: Value
        var lastActive: UInt64
        var inUse: Int
    }

    let capacity: Int
    private(set) var entries: [String: Entry] = [:]

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { entries.count }

    /// Adds a new session, checked out once (by the initialize request that created it).
    /// False when the table is full.
    mutating func insert(_ id: String, _ value: Value, now: UInt64) -> Bool {
        guard entries[id] == nil, entries.count < capacity else { return false }
        entries[id] = Entry(value: value, lastActive: now, inUse: 1)
        return true
    }

    /// The session for a request that starts now; nil for an unknown or ended id.
    mutating func checkOut(_ id: String, now: UInt64) -> Value? {
        guard var entry = entries[id] else { return nil }
        entry.inUse += 1
        entry.lastActive = now
        entries[id] = entry
        return entry.value
    }

    /// A request that used the session finished.
    mutating func checkIn(_ id: String, now: UInt64) {
        guard var entry = entries[id] else { return }
        entry.inUse = max(0, entry.inUse - 1)
        entry.lastActive = now
        entries[id] = entry
    }

    /// Ends a session (DELETE): removes and returns it.
    mutating func remove(_ id: String) -> Value? {
        entries.removeValue(forKey: id)?.value
    }

    /// Removes and returns every session idle (not in use) for at least `idleTimeout`.
    mutating func expire(now: UInt64, idleTimeout: UInt64) -> [Value] {
        var expired: [Value] = []
        for (id, entry) in entries where entry.inUse == 0 && now >= entry.lastActive && now - entry.lastActive >= idleTimeout {
            expired.append(entry.value)
            entries[id] = nil
        }
        return expired
    }

    /// Removes and returns every session (shutdown).
    mutating func removeAll() -> [Value] {
        let all = entries.values.map(\.value)
        entries = [:]
        return all
    }
}
