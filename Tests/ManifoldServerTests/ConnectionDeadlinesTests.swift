import Testing
@testable import ManifoldServer

/// When a connection is cut off (`ConnectionDeadlines`), with time passed in.
@Suite struct ConnectionDeadlinesTests {
    let ms: UInt64 = 1_000_000
    var limits: ConnectionDeadlines.Limits { .init(header: 100 * ms, request: 1000 * ms, idle: 5000 * ms) }

    @Test func aNewConnectionIsIdle() {
        let machine = ConnectionDeadlines(limits: limits, now: 0)
        #expect(machine.deadline?.reason == .idle)
        #expect(machine.expired(now: 4999 * ms) == nil)
        #expect(machine.expired(now: 5000 * ms) == .idle)
    }

    @Test func theHeaderDeadlineCountsFromTheFirstByte() {
        var machine = ConnectionDeadlines(limits: limits, now: 0)
        machine.bytesArrived(now: 10 * ms)
        machine.bytesArrived(now: 50 * ms)  // more of the same head: the clock does not restart
        #expect(machine.deadline?.at == 110 * ms)
        #expect(machine.expired(now: 109 * ms) == nil)
        #expect(machine.expired(now: 110 * ms) == .header)
    }

    @Test func aStalledBodyHitsTheRequestDeadline() {
        var machine = ConnectionDeadlines(limits: limits, now: 0)
        machine.bytesArrived(now: 10 * ms)
        machine.headReceived(now: 20 * ms)
        #expect(machine.deadline?.reason == .request)
        #expect(machine.expired(now: 1009 * ms) == nil)
        #expect(machine.expired(now: 1010 * ms) == .request)
    }

    @Test func noDeadlineWhileTheServerIsAnswering() {
        var machine = ConnectionDeadlines(limits: limits, now: 0)
        machine.bytesArrived(now: 10 * ms)
        machine.headReceived(now: 10 * ms)
        machine.requestEnded(now: 11 * ms)
        #expect(machine.deadline == nil, "a slow tool call or an SSE stream is not the client's fault")
        // Bytes of a pipelined request while the response is pending do not start a clock.
        machine.bytesArrived(now: 20 * ms)
        #expect(machine.deadline == nil)
        machine.responseEnded(now: 60_000 * ms)
        #expect(machine.deadline?.reason == .idle)
        #expect(machine.deadline?.at == 65_000 * ms)
    }

    @Test func pipelinedRequestsAreCountedInOrder() {
        var machine = ConnectionDeadlines(limits: limits, now: 0)
        machine.bytesArrived(now: 0)
        machine.headReceived(now: 0)
        machine.requestEnded(now: 0)
        machine.headReceived(now: 1 * ms)
        machine.requestEnded(now: 1 * ms)
        machine.responseEnded(now: 2 * ms)
        #expect(machine.deadline == nil, "the second response is still pending")
        machine.responseEnded(now: 3 * ms)
        #expect(machine.deadline?.reason == .idle)
    }
}
