import ManifoldCore
import Synchronization

/// One open SSE response on some connection, as a session's streams see it. Called from any
/// thread, while the hub holds its lock: implementations only enqueue work on their event
/// loop (never write inline), which also keeps events in the order they were recorded.
protocol EventSubscriber: AnyObject, Sendable {
    /// Writes one JSON-RPC message as an SSE event with this id.
    func deliver(_ message: [UInt8], id: String?)
    /// Ends the SSE response (the stream finished, was displaced, or the session ended).
    func end()
}

/// The SSE streams of one stateful session: the thread-safe driver of `SessionStreams`. It is
/// the session's `OutboundSink` (unsolicited messages go to the standalone stream, stream 0)
/// and records every POST stream's events, delivering each to whichever connection is
/// attached to its stream at the time.
final class EventStreamHub: OutboundSink, Sendable {
    private struct State {
        var streams: SessionStreams<ObjectIdentifier>
        var subscribers: [ObjectIdentifier: any EventSubscriber] = [:]

        mutating func release(_ key: ObjectIdentifier?) -> (any EventSubscriber)? {
            guard let key else { return nil }
            return subscribers.removeValue(forKey: key)
        }
    }

    /// What `resume` found (the replayed events are already on their way).
    enum ResumeResult: Equatable {
        case resumed
        case malformed
        case unknownStream
    }

    private let state: Mutex<State>

    init(replayCapacity: Int) {
        state = Mutex(State(streams: SessionStreams(capacity: replayCapacity)))
    }

    // MARK: OutboundSink

    /// An unsolicited message (list_changed, resources/updated, …): the standalone stream.
    func send(_ message: [UInt8]) {
        emit(message, on: SessionStreams<ObjectIdentifier>.standalone)
    }

    /// Whether the session has a GET stream open (where related messages of JSON-only POSTs go).
    var hasStandaloneSubscriber: Bool { state.withLock { !$0.streams.closed && $0.streams.hasStandaloneSubscriber } }

    // MARK: Streams

    /// Records a message on a stream and delivers it to the attached connection, if any.
    func emit(_ message: [UInt8], on stream: Int) {
        state.withLock { s in
            guard let (id, target) = s.streams.record(message, on: stream), let target else { return }
            s.subscribers[target]?.deliver(message, id: id.description)
        }
    }

    /// A POST answered with SSE: a new stream attached to `subscriber`; returns it and the id
    /// for its priming event.
    func openPostStream(_ subscriber: any EventSubscriber) -> (stream: Int, primingID: String) {
        state.withLock { s in
            let key = ObjectIdentifier(subscriber)
            s.subscribers[key] = subscriber
            let (stream, priming) = s.streams.openPostStream(for: key)
            return (stream, priming.description)
        }
    }

    /// The POST's response was recorded: ends its stream (and the connection's SSE response).
    func finish(_ stream: Int) {
        state.withLock { s in
            let target = s.streams.finish(stream)
            s.release(target)?.end()
        }
    }

    /// A GET without `Last-Event-ID`: the standalone stream now goes to `subscriber` (a
    /// previous GET stream is ended). Returns the priming event id.
    func attachStandalone(_ subscriber: any EventSubscriber) -> String {
        state.withLock { s in
            let key = ObjectIdentifier(subscriber)
            s.subscribers[key] = subscriber
            let (priming, displaced) = s.streams.attachStandalone(key)
            s.release(displaced)?.end()
            return priming.description
        }
    }

    /// A GET with `Last-Event-ID`: replays that stream's later events to `subscriber`, then
    /// keeps it attached if the stream is still live, else ends it.
    func resume(after lastEventID: String, _ subscriber: any EventSubscriber) -> ResumeResult {
        state.withLock { s in
            let key = ObjectIdentifier(subscriber)
            switch s.streams.resume(after: lastEventID, subscriber: key) {
            case .malformed:
                return .malformed
            case .unknownStream:
                return .unknownStream
            case .replay(_, let events, let live, let displaced):
                s.release(displaced)?.end()
                for event in events { subscriber.deliver(event.message, id: event.id.description) }
                if live {
                    s.subscribers[key] = subscriber
                } else {
                    subscriber.end()
                }
                return .resumed
            }
        }
    }

    /// The subscriber's connection closed: its stream keeps recording for a later resume.
    func detach(_ subscriber: any EventSubscriber) {
        state.withLock { s in
            let key = ObjectIdentifier(subscriber)
            s.streams.detach(key)
            s.subscribers[key] = nil
        }
    }

    /// The session ended: every open SSE response is ended.
    func close() {
        state.withLock { s in
            for key in s.streams.close() { s.release(key)?.end() }
            for subscriber in s.subscribers.values { subscriber.end() }
            s.subscribers = [:]
        }
    }
}

/// A stateful Streamable HTTP session: the core `Session` (lifecycle, capabilities,
/// in-flight calls) and its SSE streams.
final class HTTPSession: Sendable {
    let id: String
    let core: Session
    let streams: EventStreamHub
    /// The binding of the caller that created it (`HTTPPrincipal.binding`; nil without auth).
    let owner: String?

    init(id: String, view: LiveView, replayCapacity: Int, owner: String? = nil) {
        self.id = id
        self.owner = owner
        self.streams = EventStreamHub(replayCapacity: replayCapacity)
        self.core = Session(id: id, view: view, outbound: streams)
    }

    /// DELETE, expiry or shutdown: in-flight calls are cancelled, SSE responses end.
    func end() {
        core.close()
        streams.close()
    }
}

/// A legacy HTTP+SSE (2024-11-05) session: everything the server sends — responses included —
/// goes on its one GET `/sse` stream.
final class LegacySSESession: OutboundSink, Sendable {
    let id: String
    /// The binding of the caller that opened it (`HTTPPrincipal.binding`; nil without auth).
    let owner: String?
    private let subscriber: Mutex<(any EventSubscriber)?>
    /// Set once, right after init (the core session needs this object as its outbound sink).
    private let coreBox = Mutex<Session?>(nil)

    init(id: String, view: LiveView, subscriber: any EventSubscriber, owner: String? = nil) {
        self.id = id
        self.owner = owner
        self.subscriber = Mutex(subscriber)
        coreBox.withLock { $0 = Session(id: id, view: view, outbound: self) }
    }

    var core: Session { coreBox.withLock { $0! } }

    func send(_ message: [UInt8]) {
        subscriber.withLock { $0?.deliver(message, id: nil) }
    }

    /// The GET stream closed or the server is shutting down.
    func end() {
        let ended = subscriber.withLock { s -> (any EventSubscriber)? in
            let current = s
            s = nil
            return current
        }
        ended?.end()
        core.close()
    }
}

/// Replies to a legacy POST `/messages`: related messages and the response go on the session's
/// SSE stream (the POST itself was already answered `202 Accepted`).
final class LegacyReply: ReplySink {
    private let session: LegacySSESession

    init(session: LegacySSESession) {
        self.session = session
    }

    func send(_ message: [UInt8]) { session.send(message) }

    func finish(_ response: [UInt8]?) {
        if let response { session.send(response) }
    }
}
