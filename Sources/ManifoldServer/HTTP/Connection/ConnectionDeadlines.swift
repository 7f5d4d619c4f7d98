/// When an HTTP connection must be closed for being too slow or too quiet, as a pure state
/// machine (times in nanoseconds of a monotonic clock, passed in).
///
/// Three deadlines, at most one in force at a time:
/// - **header**: from the first byte of a request to the end of its head. A client that sends
///   half a request line or half its headers and stalls is cut off here.
/// - **request**: from the first byte of a request to the end of its body (a stalled upload).
/// - **idle**: a keep-alive connection with no request in progress and no response pending.
///
/// While a request is complete but its response has not ended (a slow tool call, an SSE
/// stream), no deadline applies: the server is the one working. Responses are counted, so a
/// pipelined request read while a response is pending is handled in order.
struct ConnectionDeadlines {
    enum Reason: Equatable, CustomStringConvertible {
        case header
        case request
        case idle

        var description: String {
            switch self {
            case .header: return "request head not received in time"
            case .request: return "request body not received in time"
            case .idle: return "idle keep-alive connection"
            }
        }
    }

    struct Limits: Equatable {
        var header: UInt64
        var request: UInt64
        var idle: UInt64
    }

    private enum Reading {
        /// No request bytes outstanding.
        case none
        /// Bytes of a request arrived at `since`; its head has not been decoded yet.
        case head(since: UInt64)
        /// The head arrived; the body has not ended.
        case body(since: UInt64)
    }

    let limits: Limits
    private var reading: Reading = .none
    /// Requests whose head was received and whose response has not ended.
    private var unanswered = 0
    private var lastActivity: UInt64

    init(limits: Limits, now: UInt64) {
        self.limits = limits
        self.lastActivity = now
    }

    /// Bytes arrived from the client (before decoding).
    mutating func bytesArrived(now: UInt64) {
        if case .none = reading, unanswered == 0 {
            reading = .head(since: now)
        }
    }

    /// A request head was decoded.
    mutating func headReceived(now: UInt64) {
        let since: UInt64
        switch reading {
        case .head(let start): since = start
        case .none, .body: since = now
        }
        reading = .body(since: since)
        unanswered += 1
    }

    /// A request's body ended.
    mutating func requestEnded(now: UInt64) {
        reading = .none
        lastActivity = now
    }

    /// A response ended (its `.end` part was written).
    mutating func responseEnded(now: UInt64) {
        unanswered = max(0, unanswered - 1)
        lastActivity = now
    }

    /// The deadline in force, if any, and what it guards.
    var deadline: (at: UInt64, reason: Reason)? {
        switch reading {
        case .head(let since):
            return (since &+ limits.header, .header)
        case .body(let since):
            return (since &+ limits.request, .request)
        case .none:
            if unanswered > 0 { return nil }
            return (lastActivity &+ limits.idle, .idle)
        }
    }

    /// Whether the connection must close at `now`, and why.
    func expired(now: UInt64) -> Reason? {
        guard let deadline, now >= deadline.at else { return nil }
        return deadline.reason
    }
}
