import Testing
@testable import ManifoldServer

/// The session table's rules, with time passed in (`SessionRegistry`).
@Suite struct SessionRegistryTests {
    let second: UInt64 = 1_000_000_000

    @Test func unknownAndEndedIdsAreAbsent() {
        var registry = SessionRegistry<String>(capacity: 10)
        let value1 = registry.insert("a", "session a", now: 0)
        #expect(value1)
        let value2 = registry.checkOut("a", now: 1)
        #expect(value2 == "session a")
        let value3 = registry.checkOut("b", now: 1)
        #expect(value3 == nil)
        let value4 = registry.remove("a")
        #expect(value4 == "session a")
        let value5 = registry.checkOut("a", now: 2)
        #expect(value5 == nil, "an ended session answers like an unknown one")
    }

    @Test func theTableIsBounded() {
        var registry = SessionRegistry<Int>(capacity: 2)
        let value6 = registry.insert("a", 1, now: 0)
        #expect(value6)
        let value7 = registry.insert("b", 2, now: 0)
        #expect(value7)
        let third = registry.insert("c", 3, now: 0)
        #expect(!third)
        let again = registry.insert("a", 4, now: 0)
        #expect(!again, "an id is issued once")
        #expect(registry.count == 2)
    }

    @Test func idleSessionsExpireButBusyOnesDoNot() {
        var registry = SessionRegistry<String>(capacity: 10)
        _ = registry.insert("idle", "idle", now: 0)
        registry.checkIn("idle", now: 0)
        _ = registry.insert("busy", "busy", now: 0)  // still checked out by its initialize
        let value8 = registry.expire(now: 59 * second, idleTimeout: 60 * second)
        #expect(value8.isEmpty)
        let value9 = registry.expire(now: 61 * second, idleTimeout: 60 * second)
        #expect(value9 == ["idle"])
        let value10 = registry.checkOut("idle", now: 62 * second)
        #expect(value10 == nil)
        registry.checkIn("busy", now: 100 * second)
        let value11 = registry.expire(now: 159 * second, idleTimeout: 60 * second)
        #expect(value11.isEmpty, "use restarts the idle clock")
        let value12 = registry.expire(now: 160 * second, idleTimeout: 60 * second)
        #expect(value12 == ["busy"])
    }

    @Test func removeAllEmptiesTheTable() {
        var registry = SessionRegistry<Int>(capacity: 10)
        _ = registry.insert("a", 1, now: 0)
        _ = registry.insert("b", 2, now: 0)
        #expect(Set(registry.removeAll()) == [1, 2])
        #expect(registry.count == 0)
    }

    @Test func sessionIdsAreRandomVisibleASCII() {
        let ids = (0..<100).map { _ in HTTPSessionTable.newID() }
        #expect(Set(ids).count == 100)
        for id in ids {
            #expect(id.utf8.count == 32)
            #expect(id.utf8.allSatisfy { (0x21...0x7E).contains($0) })
        }
    }
}
