import Testing
@testable import ManifoldServer

/// The SSE stream and replay rules of one session, without sockets (`SessionStreams`).
@Suite struct SessionStreamsTests {
    typealias Streams = SessionStreams<String>

    @Test func eventIDsAreUniquePerSessionAndNameTheirStream() {
        var streams = Streams(capacity: 10)
        let (post, priming) = streams.openPostStream(for: "conn-a")
        #expect(post == 1)
        #expect(priming.stream == 1)
        let first = streams.record([1], on: post)!
        let unsolicited = streams.record([2], on: Streams.standalone)!
        let second = streams.record([3], on: post)!
        #expect(first.id.description == "1-2")
        #expect(unsolicited.id.description == "0-3")
        #expect(second.id.description == "1-4")
        #expect(Set([priming, first.id, unsolicited.id, second.id]).count == 4)
        #expect(Streams.EventID("1-4") == second.id)
        #expect(Streams.EventID("nonsense") == nil)
        #expect(Streams.EventID("1-2-3") == nil)
        #expect(Streams.EventID("-1-2") == nil)
    }

    @Test func eventsGoToTheAttachedSubscriberOnly() {
        var streams = Streams(capacity: 10)
        let (post, _) = streams.openPostStream(for: "post-conn")
        let value1 = streams.record([1], on: post)
        #expect(value1?.deliverTo == "post-conn")
        // Nobody listens on the standalone stream yet: recorded, not delivered.
        let value2 = streams.record([2], on: Streams.standalone)
        #expect(value2?.deliverTo == nil)
        _ = streams.attachStandalone("get-conn")
        let value3 = streams.record([3], on: Streams.standalone)
        #expect(value3?.deliverTo == "get-conn")
    }

    @Test func resumeReplaysOnlyLaterEventsOfThatStream() {
        var streams = Streams(capacity: 10)
        let (post, priming) = streams.openPostStream(for: "a")
        let e1 = streams.record(Array("progress".utf8), on: post)!.id
        _ = streams.record(Array("other".utf8), on: Streams.standalone)
        _ = streams.record(Array("log".utf8), on: post)
        streams.detach("a")
        _ = streams.record(Array("response".utf8), on: post)
        guard case .replay(let stream, let events, let live, let displaced) = streams.resume(after: e1.description, subscriber: "b")
        else { Issue.record("expected a replay"); return }
        #expect(stream == post)
        #expect(events.map { String(decoding: $0.message, as: UTF8.self) } == ["log", "response"])
        #expect(live)
        #expect(displaced == nil)
        // From the priming id: every event of the stream.
        guard case .replay(_, let all, _, let previous) = streams.resume(after: priming.description, subscriber: "c")
        else { Issue.record("expected a replay"); return }
        #expect(all.count == 3)
        #expect(previous == "b", "a resume displaces the connection attached before")
    }

    @Test func aFinishedStreamReplaysItsResponseThenEnds() {
        var streams = Streams(capacity: 10)
        let (post, priming) = streams.openPostStream(for: "a")
        _ = streams.record([1], on: post)
        _ = streams.record([2], on: post)
        let value4 = streams.finish(post)
        #expect(value4 == "a")
        let value5 = streams.record([3], on: post)
        #expect(value5 == nil, "nothing is recorded after the response")
        guard case .replay(_, let events, let live, _) = streams.resume(after: priming.description, subscriber: "b")
        else { Issue.record("expected a replay"); return }
        #expect(events.count == 2)
        #expect(!live)
    }

    @Test func theReplayBufferIsBoundedAndForgetsFinishedStreams() {
        var streams = Streams(capacity: 3)
        let (post, priming) = streams.openPostStream(for: "a")
        _ = streams.record([1], on: post)
        _ = streams.finish(post)
        for i in 0..<3 { _ = streams.record([UInt8(i)], on: Streams.standalone) }
        #expect(streams.bufferedCount == 3)
        // The POST stream's only event was evicted: the stream is forgotten.
        #expect(streams.streams[post] == nil)
        guard case .unknownStream = streams.resume(after: priming.description, subscriber: "b") else {
            Issue.record("an evicted stream cannot be resumed")
            return
        }
        guard case .malformed = streams.resume(after: "garbage", subscriber: "b") else {
            Issue.record("a malformed id is refused")
            return
        }
    }

    @Test func aNewGETDisplacesThePreviousStandaloneSubscriber() {
        var streams = Streams(capacity: 10)
        let value6 = streams.attachStandalone("first")
        #expect(value6.displaced == nil)
        let value7 = streams.attachStandalone("second")
        #expect(value7.displaced == "first")
        let value8 = streams.record([1], on: Streams.standalone)
        #expect(value8?.deliverTo == "second")
    }

    @Test func zeroCapacityDeliversLiveButReplaysNothing() {
        var streams = Streams(capacity: 0)
        let (post, priming) = streams.openPostStream(for: "a")
        let value9 = streams.record([1], on: post)
        #expect(value9?.deliverTo == "a")
        guard case .replay(_, let events, _, _) = streams.resume(after: priming.description, subscriber: "b") else {
            Issue.record("expected a replay")
            return
        }
        #expect(events.isEmpty)
    }

    @Test func closingEndsEverySubscriberAndStopsRecording() {
        var streams = Streams(capacity: 10)
        _ = streams.openPostStream(for: "a")
        _ = streams.attachStandalone("b")
        #expect(Set(streams.close()) == ["a", "b"])
        let value10 = streams.record([1], on: Streams.standalone)
        #expect(value10 == nil)
        #expect(!streams.hasSubscribers)
    }
}
