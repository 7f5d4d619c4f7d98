import Foundation

/// A remote backend's connection state as `inspect` shows it: connected; starting (the first
/// attempt); failing and why, with the time to the next attempt ("disconnected: 'python3'
/// exited with status 1; retrying in 3.2s", or "…; reconnecting (attempt 4)" while one runs);
/// given up after a crash loop; stopped.
public struct RemoteStatus: Sendable, Equatable, CustomStringConvertible {
    public enum State: String, Sendable {
        case connected
        case starting
        case failing
        case givenUp = "given up"
        case stopped
    }

    public var state: State
    /// Why it is not connected (the last failure), if it is not.
    public var reason: String?
    /// Seconds until the next connection attempt (failing only).
    public var retryIn: Double?
    /// Connection attempts so far (the first start included).
    public var attempts: Int
    /// Disconnects in a row without a successful start in between.
    public var failures: Int
    /// The command line or URL.
    public var endpoint: String

    public init(state: State, reason: String? = nil, retryIn: Double? = nil, attempts: Int = 0, failures: Int = 0,
                endpoint: String = "") {
        self.state = state
        self.reason = reason
        self.retryIn = retryIn
        self.attempts = attempts
        self.failures = failures
        self.endpoint = endpoint
    }

    public var description: String {
        switch state {
        case .connected:
            return "connected"
        case .starting:
            return "starting"
        case .failing:
            // Waiting for the next attempt, or in the middle of one.
            let next = retryIn.map { "retrying in \(String(format: "%.1f", max(0, $0)))s" } ?? "reconnecting (attempt \(attempts))"
            return "disconnected: \(reason ?? "unknown reason"); \(next)"
        case .givenUp:
            return "given up: \(reason ?? "")"
        case .stopped:
            return "stopped"
        }
    }
}

/// A provider that talks to a backend process or server and can say how that goes.
public protocol RemoteStatusReporting {
    var remoteStatus: RemoteStatus { get }
}
