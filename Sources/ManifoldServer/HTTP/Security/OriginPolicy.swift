/// Which `Host` and `Origin` headers an endpoint accepts: the DNS-rebinding defence of
/// PROTOCOL.md §7. A pure value, tested without sockets.
///
/// Defaults (nothing configured):
/// - Hosts: `localhost`, `127.0.0.1`, `[::1]` with any port, plus the host the endpoint binds
///   to (unless that is a wildcard address such as `0.0.0.0`).
/// - Origins: `http://` or `https://` + `localhost`, `127.0.0.1` or `[::1]`, any port. A request
///   without `Origin` (every non-browser client) is not affected by the origin rule.
///
/// Configured entries (`allowedHosts`, `allowedOrigins` in the endpoint's settings) are added
/// to the defaults:
/// - a host entry is `name` (any port), `name:port` (that port), or `*` (any host);
/// - an origin entry is an exact origin `scheme://host[:port]`, the same with `:*` for any
///   port, or `*` (any origin).
/// Comparison is case-insensitive; a trailing `/` on a configured origin is ignored.
struct OriginPolicy: Sendable, Equatable {
    private(set) var hosts: [HostPattern]
    private(set) var origins: [OriginPattern]

    struct HostPattern: Sendable, Equatable {
        /// nil = any host.
        var name: String?
        /// nil = any port.
        var port: Int?
    }

    struct OriginPattern: Sendable, Equatable {
        /// nil = any origin.
        var scheme: String?
        var host: String = ""
        /// The port the origin must name (nil: it must name none), unless `anyPort`.
        var port: Int?
        /// Written with `:*`: any port, or none.
        var anyPort: Bool = false
    }

    static let loopbackNames = ["localhost", "127.0.0.1", "[::1]"]

    init(bindHost: String, allowedHosts: [String] = [], allowedOrigins: [String] = []) {
        var hosts = Self.loopbackNames.map { HostPattern(name: $0, port: nil) }
        let bind = Self.bracketed(bindHost.lowercased())
        if !["0.0.0.0", "[::]", "::", "*", ""].contains(bind), !Self.loopbackNames.contains(bind) {
            hosts.append(HostPattern(name: bind, port: nil))
        }
        for entry in allowedHosts {
            hosts.append(Self.hostPattern(entry))
        }
        var origins: [OriginPattern] = []
        for scheme in ["http", "https"] {
            for name in Self.loopbackNames {
                origins.append(OriginPattern(scheme: scheme, host: name, port: nil, anyPort: true))
            }
        }
        for entry in allowedOrigins {
            if let pattern = Self.originPattern(entry) { origins.append(pattern) }
        }
        self.hosts = hosts
        self.origins = origins
    }

    /// Whether a `Host` header value is acceptable. A missing Host is not (HTTP/1.1 requires it).
    func allowsHost(_ value: String?) -> Bool {
        guard let value, let (name, port) = Self.splitHostPort(value.lowercased()) else { return false }
        return hosts.contains { pattern in
            guard let expected = pattern.name else { return true }
            return expected == name && (pattern.port == nil || pattern.port == port)
        }
    }

    /// Whether an `Origin` header value is acceptable. No header: yes. `null`: no.
    func allowsOrigin(_ value: String?) -> Bool {
        guard let value else { return true }
        guard let (scheme, rest) = Self.splitScheme(value.lowercased()),
            let (name, port) = Self.splitHostPort(rest)
        else { return false }
        return origins.contains { pattern in
            guard let expectedScheme = pattern.scheme else { return true }
            guard expectedScheme == scheme, pattern.host == name else { return false }
            return pattern.anyPort || pattern.port == port
        }
    }

    // MARK: Parsing

    private static func hostPattern(_ entry: String) -> HostPattern {
        let lowered = entry.lowercased().trimmingSpaces
        if lowered == "*" { return HostPattern(name: nil, port: nil) }
        if lowered.hasSuffix(":*") { return HostPattern(name: bracketed(String(lowered.dropLast(2))), port: nil) }
        if let (name, port) = splitHostPort(lowered) { return HostPattern(name: name, port: port) }
        return HostPattern(name: bracketed(lowered), port: nil)
    }

    private static func originPattern(_ entry: String) -> OriginPattern? {
        var lowered = entry.lowercased().trimmingSpaces
        if lowered == "*" { return OriginPattern(scheme: nil) }
        while lowered.hasSuffix("/") { lowered.removeLast() }
        guard let (scheme, written) = splitScheme(lowered) else { return nil }
        var rest = written
        var anyPort = false
        if rest.hasSuffix(":*") {
            anyPort = true
            rest.removeLast(2)
        }
        guard let (name, port) = splitHostPort(rest) else { return nil }
        return OriginPattern(scheme: scheme, host: name, port: port, anyPort: anyPort)
    }

    /// `scheme://rest` → (scheme, rest).
    private static func splitScheme(_ text: String) -> (String, String)? {
        let bytes = Array(text.utf8)
        guard bytes.count > 3 else { return nil }
        for i in 0..<(bytes.count - 2) where bytes[i] == UInt8(ascii: ":") {
            guard bytes[i + 1] == UInt8(ascii: "/"), bytes[i + 2] == UInt8(ascii: "/"), i > 0 else { return nil }
            return (String(decoding: bytes[..<i], as: UTF8.self), String(decoding: bytes[(i + 3)...], as: UTF8.self))
        }
        return nil
    }

    /// `host`, `host:port`, `[v6]`, `[v6]:port` → (host with IPv6 in brackets, port?). Nil when
    /// malformed (empty host, bad port, stray characters).
    static func splitHostPort(_ value: String) -> (String, Int?)? {
        let text = value.trimmingSpaces
        guard !text.isEmpty else { return nil }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let name = String(text[...close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (name, nil) }
            guard rest.first == ":", let port = Int(rest.dropFirst()), (0...65535).contains(port) else { return nil }
            return (name, port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            return (text, nil)
        case 2:
            guard !parts[0].isEmpty, let port = Int(parts[1]), (0...65535).contains(port) else { return nil }
            return (String(parts[0]), port)
        default:
            // A bare IPv6 address (no brackets) is not a valid Host header.
            return nil
        }
    }

    private static func bracketed(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }
}

extension String {
    var trimmingSpaces: String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
