import ManifoldProtocol
import NIOCore

/// Everything one Streamable HTTP endpoint needs to know besides what it serves: where it
/// listens, its MCP path, stateless or not, and the settings of the manifest's `http` entry
/// (see docs/HTTP.md for each key).
public struct HTTPEndpointConfiguration: Sendable {
    /// The host to bind (default `127.0.0.1`).
    public var host: String
    /// The port to bind; 0 = a free port picked by the OS.
    public var port: Int
    /// The MCP path, e.g. `/mcp`.
    public var path: String
    /// No sessions: every request stands alone.
    public var stateless: Bool
    /// Extra `Host` header values accepted (see `OriginPolicy`).
    public var allowedHosts: [String] = []
    /// Extra `Origin` header values accepted (see `OriginPolicy`).
    public var allowedOrigins: [String] = []
    /// Largest request body accepted; larger → 413.
    public var maxBodyBytes = 4 * 1024 * 1024
    /// First byte of a request to the end of its head.
    public var headerTimeout = TimeAmount.seconds(10)
    /// First byte of a request to the end of its body.
    public var requestTimeout = TimeAmount.seconds(60)
    /// A keep-alive connection with nothing in progress is closed after this.
    public var idleTimeout = TimeAmount.seconds(75)
    /// A session unused this long ends (its id then answers 404).
    public var sessionIdleTimeout = TimeAmount.minutes(30)
    /// At most this many stateful sessions; `initialize` beyond → 503.
    public var maxSessions = 10_000
    /// SSE events kept per session for `Last-Event-ID` replay.
    public var replayBufferEvents = 1000
    /// An SSE comment is sent on idle streams this often (0 = never).
    public var sseHeartbeat = TimeAmount.seconds(15)
    /// `retry:` in priming events (the client's reconnection delay), if set.
    public var sseRetryMs: Int?
    /// Serve the 2024-11-05 HTTP+SSE transport (`GET …/sse`, `POST …/messages`).
    public var legacySSE = true
    /// `auth`: bearer tokens / JWT access tokens and scopes (Security/AuthSettings.swift); nil = open.
    public var auth: AuthSettings?
    /// `tls`: certificate and key files (TLS/TLSSettings.swift); nil = plain HTTP.
    public var tls: TLSSettings?
    /// The folder relative file names in `auth` and `tls` are read against (the manifest's).
    public var baseDirectory: String?
    /// Settings keys this configuration did not recognise (the CLI warns about them).
    public private(set) var unknownSettings: [String] = []

    /// Settings keys read here.
    public static let settingsKeys = [
        "allowedHosts", "allowedOrigins", "maxBodyBytes", "headerTimeoutMs", "requestTimeoutMs", "idleTimeoutMs",
        "sessionIdleTimeoutMs", "maxSessions", "replayBufferEvents", "sseHeartbeatMs", "sseRetryMs", "legacySSE",
        "auth", "tls",
    ]
    static let reservedKeys: [String] = []

    public init(host: String = "127.0.0.1", port: Int, path: String = "/mcp", stateless: Bool = false) {
        self.host = host
        self.port = port
        self.path = Self.normalized(path)
        self.stateless = stateless
    }

    /// From a manifest's `http` entry: `listen` (`host:port`, `:port` or `port`), `path`,
    /// `stateless`, and the free-form `settings` object.
    public init(listen: String, path: String = "/mcp", stateless: Bool = false,
                settings: JSONValue = .object([:])) throws(HTTPConfigurationError) {
        let (host, port) = try Self.parseListen(listen)
        self.init(host: host, port: port, path: path, stateless: stateless)
        try apply(settings: settings)
    }

    /// Parses a listen address: `127.0.0.1:8080`, `[::1]:8080`, `localhost:0`, `:8080`, `8080`.
    public static func parseListen(_ text: String) throws(HTTPConfigurationError) -> (host: String, port: Int) {
        let fail = HTTPConfigurationError("listen: '\(text)' is not an address of the form host:port (e.g. 127.0.0.1:8080, :8080)")
        if let port = Int(text) {
            guard (0...65535).contains(port) else { throw fail }
            return ("127.0.0.1", port)
        }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].first == ":",
                let port = Int(text[text.index(close, offsetBy: 2)...]), (0...65535).contains(port)
            else { throw fail }
            return (String(text[text.index(after: text.startIndex)..<close]), port)
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { throw fail }
        let host = String(text[..<colon])
        guard !host.contains(":") else { throw fail }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    /// Reads the settings object; unknown keys are collected in `unknownSettings`.
    public mutating func apply(settings: JSONValue) throws(HTTPConfigurationError) {
        guard let object = settings.objectValue else {
            if settings.isNull { return }
            throw HTTPConfigurationError("http settings must be an object")
        }
        for member in object {
            let key = member.key
            let value = member.value
            switch key {
            case "allowedHosts": allowedHosts = try Self.strings(value, key)
            case "allowedOrigins": allowedOrigins = try Self.strings(value, key)
            case "maxBodyBytes": maxBodyBytes = try Self.int(value, key, minimum: 1)
            case "headerTimeoutMs": headerTimeout = .milliseconds(Int64(try Self.int(value, key, minimum: 1)))
            case "requestTimeoutMs": requestTimeout = .milliseconds(Int64(try Self.int(value, key, minimum: 1)))
            case "idleTimeoutMs": idleTimeout = .milliseconds(Int64(try Self.int(value, key, minimum: 1)))
            case "sessionIdleTimeoutMs": sessionIdleTimeout = .milliseconds(Int64(try Self.int(value, key, minimum: 1)))
            case "maxSessions": maxSessions = try Self.int(value, key, minimum: 1)
            case "replayBufferEvents": replayBufferEvents = try Self.int(value, key, minimum: 0)
            case "sseHeartbeatMs": sseHeartbeat = .milliseconds(Int64(try Self.int(value, key, minimum: 0)))
            case "sseRetryMs": sseRetryMs = try Self.int(value, key, minimum: 0)
            case "legacySSE":
                guard let flag = value.boolValue else { throw HTTPConfigurationError("legacySSE must be true or false") }
                legacySSE = flag
            case "auth": auth = try AuthSettings(value)
            case "tls": tls = try TLSSettings(value)
            default:
                if !Self.reservedKeys.contains(key) { unknownSettings.append(key) }
            }
        }
    }

    /// `/mcp` stays; `mcp` → `/mcp`; a trailing `/` is dropped (except for `/`).
    static func normalized(_ path: String) -> String {
        var p = path.hasPrefix("/") ? path : "/" + path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    /// The legacy transport's paths sit beside the MCP path: for `/mcp`, `/sse` and
    /// `/messages`; for `/api/mcp`, `/api/sse` and `/api/messages`.
    var legacyBase: String {
        guard let slash = path.lastIndex(of: "/") else { return "/" }
        return String(path[...slash])
    }

    private static func strings(_ value: JSONValue, _ key: String) throws(HTTPConfigurationError) -> [String] {
        guard let array = value.arrayValue else { throw HTTPConfigurationError("\(key) must be a list of strings") }
        var result: [String] = []
        for element in array {
            guard let text = element.stringValue else { throw HTTPConfigurationError("\(key) must be a list of strings") }
            result.append(text)
        }
        return result
    }

    private static func int(_ value: JSONValue, _ key: String, minimum: Int) throws(HTTPConfigurationError) -> Int {
        guard let number = value.intValue, number >= minimum else {
            throw HTTPConfigurationError("\(key) must be an integer ≥ \(minimum)")
        }
        return number
    }
}

/// An HTTP endpoint's configuration is unusable; the message names the key.
public struct HTTPConfigurationError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
