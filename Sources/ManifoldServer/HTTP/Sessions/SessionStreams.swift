import NIOCore

/// The SSE streams of one Streamable HTTP session and their replay buffer, as a pure state
/// machine: no I/O, no clocks, no locks. `EventStreamHub` drives it under a lock and performs
/// the deliveries it returns.
///
/// The rules it keeps (PROTOCOL.md §7, resumability):
/// - Every event of a session gets an id unique within the session, `<stream>-<sequence>`:
///   the sequence is session-wide and strictly increasing, the stream part ties the event to
///   the stream it was sent on, so `Last-Event-ID` alone says which stream to resume.
/// - Stream 0 is the session's standalone stream (the GET stream: list_changed, resource
///   updates). Every POST answered with SSE opens a new stream numbered from 1.
/// - At most one connection (subscriber) is attached to a stream; a later attach displaces the
///   earlier one (the client reconnected; the old connection is presumed dead — with
///   HTTP/1.1 pipelining assistance the server does not read while a response is open, so it
///   may not have noticed the old connection closing).
/// - Events are recorded whether or not a subscriber is attached, in one buffer per session
///   bounded by `capacity` (oldest evicted first), so a client that lost its connection can
///   resume with `Last-Event-ID` and get what it missed — including the final response of a
///   POST stream. Priming events (empty data) consume an id but are not buffered.
/// - A POST stream finishes with its response; a finished stream can still be replayed until
///   its events are evicted, then it is forgotten.
struct SessionStreams<Subscriber: Hashable> {
    /// An event id: the stream it belongs to and its session-wide sequence number.
    struct EventID: Hashable, Comparable, CustomStringConvertible {
        var stream: Int
        var sequence: Int

        var description: String { "\(stream)-\(sequence)" }

        /// Parses `<stream>-<sequence>` (both non-negative decimal numbers).
        init?(_ text: String) {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let stream = Int(parts[0]), let sequence = Int(parts[1]),
                stream >= 0, sequence >= 0
            else { return nil }
            self.stream = stream
            self.sequence = sequence
        }

        init(stream: Int, sequence: Int) {
            self.stream = stream
            self.sequence = sequence
        }

        static func < (a: EventID, b: EventID) -> Bool { a.sequence < b.sequence }
    }

    /// One recorded event.
    struct Event {
        var id: EventID
        var message: [UInt8]
    }

    struct Stream {
        var subscriber: Subscriber?
        var finished = false
        /// How many of its events are still in the buffer.
        var buffered = 0
    }

    /// What `resume` found.
    enum ResumeOutcome {
        /// Replay `events` (in order) on the new subscriber; if `live`, it stays attached and
        /// receives the stream's later events, else end it after the replay. `displaced` was
        /// attached before and must be ended.
        case replay(stream: Int, events: [Event], live: Bool, displaced: Subscriber?)
        /// The id is not of this session's form.
        case malformed
        /// The stream is unknown or already forgotten (its events were evicted).
        case unknownStream
    }

    static var standalone: Int { 0 }

    let capacity: Int
    private(set) var streams: [Int: Stream] = [0: Stream()]
    private var buffer = CircularBuffer<Event>()
    private var nextSequence = 1
    private var nextStream = 1
    private(set) var closed = false

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// The number of buffered events (for tests and metrics).
    var bufferedCount: Int { buffer.count }
    /// Whether a GET stream is attached to the standalone stream.
    var hasStandaloneSubscriber: Bool { streams[Self.standalone]?.subscriber != nil }

    /// A new POST stream attached to `subscriber`, and the id of its priming event.
    mutating func openPostStream(for subscriber: Subscriber) -> (stream: Int, priming: EventID) {
        let stream = nextStream
        nextStream += 1
        streams[stream] = Stream(subscriber: subscriber)
        return (stream, takeID(stream))
    }

    /// Attaches `subscriber` to the standalone stream (a GET without `Last-Event-ID`). Returns
    /// the priming event id and the subscriber it displaced, if any.
    mutating func attachStandalone(_ subscriber: Subscriber) -> (priming: EventID, displaced: Subscriber?) {
        let displaced = streams[0]!.subscriber
        streams[0]!.subscriber = subscriber
        return (takeID(0), displaced == subscriber ? nil : displaced)
    }

    /// Records `message` on `stream`. Returns its id and the subscriber to deliver it to (nil
    /// when none is attached). A message for a finished or unknown stream is dropped (nil id).
    mutating func record(_ message: [UInt8], on stream: Int) -> (id: EventID, deliverTo: Subscriber?)? {
        guard !closed, let state = streams[stream], !state.finished else { return nil }
        let id = takeID(stream)
        if capacity > 0 {
            if buffer.count == capacity { evictOldest() }
            buffer.append(Event(id: id, message: message))
            streams[stream]!.buffered += 1
        }
        return (id, streams[stream]?.subscriber)
    }

    /// A POST stream ended with its response: returns the subscriber to end (if attached).
    mutating func finish(_ stream: Int) -> Subscriber? {
        guard stream != 0, var state = streams[stream], !state.finished else { return nil }
        let subscriber = state.subscriber
        state.finished = true
        state.subscriber = nil
        if state.buffered == 0 {
            streams[stream] = nil
        } else {
            streams[stream] = state
        }
        return subscriber
    }

    /// The subscriber's connection is gone: its streams keep recording, unattached.
    mutating func detach(_ subscriber: Subscriber) {
        for (key, state) in streams where state.subscriber == subscriber {
            streams[key]!.subscriber = nil
        }
    }

    /// A GET with `Last-Event-ID`: the events of that stream after that id, and whether the
    /// stream continues live on `subscriber`.
    mutating func resume(after lastEventID: String, subscriber: Subscriber) -> ResumeOutcome {
        guard let last = EventID(lastEventID) else { return .malformed }
        guard var state = streams[last.stream], !closed else { return .unknownStream }
        let events = buffer.filter { $0.id.stream == last.stream && $0.id.sequence > last.sequence }
        let displaced = state.subscriber == subscriber ? nil : state.subscriber
        let live = !state.finished
        state.subscriber = live ? subscriber : nil
        streams[last.stream] = state
        return .replay(stream: last.stream, events: Array(events), live: live, displaced: displaced)
    }

    /// The session ended: every attached subscriber must be ended; nothing is recorded after.
    mutating func close() -> [Subscriber] {
        closed = true
        let subscribers = streams.values.compactMap(\.subscriber)
        for key in streams.keys { streams[key]!.subscriber = nil }
        buffer.removeAll()
        return Array(Set(subscribers))
    }

    /// Whether any subscriber is attached (the session is in use).
    var hasSubscribers: Bool { streams.values.contains { $0.subscriber != nil } }

    private mutating func takeID(_ stream: Int) -> EventID {
        let id = EventID(stream: stream, sequence: nextSequence)
        nextSequence += 1
        return id
    }

    private mutating func evictOldest() {
        let evicted = buffer.removeFirst()
        guard var state = streams[evicted.id.stream] else { return }
        state.buffered -= 1
        if state.finished && state.buffered == 0 {
            streams[evicted.id.stream] = nil
        } else {
            streams[evicted.id.stream] = state
        }
    }
}
