/// An `http://` or `https://` URL split into what an HTTP/1.1 client needs: where to connect
/// (host, port, whether over TLS), what to put in `Host`, and the request target (path and query).
public struct HTTPTarget: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Path and query, starting with `/`.
    public var requestTarget: String
    /// `https://`: the connection is TLS (`ClientTLS`).
    public var secure: Bool

    public init(host: String, port: Int, requestTarget: String, secure: Bool = false) {
        self.host = host
        self.port = port
        self.requestTarget = requestTarget
        self.secure = secure
    }

    /// Parses an absolute `http[s]://host[:port][/path][?query]` URL (the fragment is dropped).
    public init(url: String) throws(ClientTransportError) {
        let lower = url.lowercased()
        let secure = lower.hasPrefix("https://")
        guard secure || lower.hasPrefix("http://") else { throw ClientTransportError("\(url): not an http:// or https:// URL") }
        var rest = Substring(url.dropFirst(secure ? "https://".count : "http://".count))
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var target = String(rest[authorityEnd...])
        if target.isEmpty { target = "/" } else if target.hasPrefix("?") { target = "/" + target }
        var host: Substring
        var port = secure ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw ClientTransportError("\(url): unterminated IPv6 address") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()), (1...65535).contains(number) else {
                    throw ClientTransportError("\(url): invalid port")
                }
                port = number
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                throw ClientTransportError("\(url): invalid port")
            }
            port = number
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw ClientTransportError("\(url): no host") }
        self.init(host: String(host), port: port, requestTarget: target, secure: secure)
    }

    /// The `Host` header value: the port only when it is not the scheme's default.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// `http://host:port` or `https://host:port`.
    public var origin: String { "\(secure ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    public var description: String { origin + requestTarget }

    /// Resolves a reference found in a response (the legacy SSE `endpoint` event): an absolute
    /// `http[s]://` URL, an absolute path (`/messages?session_id=…`), or a path relative to this
    /// one. A path keeps this target's host, port and scheme.
    public func resolving(_ reference: String) throws(ClientTransportError) -> HTTPTarget {
        let trimmed = reference.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased().hasPrefix("http://") || trimmed.lowercased().hasPrefix("https://") {
            return try HTTPTarget(url: trimmed)
        }
        if trimmed.hasPrefix("/") { return HTTPTarget(host: host, port: port, requestTarget: trimmed, secure: secure) }
        let path = requestTarget.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "/"
        let directory = path.lastIndex(of: "/").map { path[...$0] } ?? "/"
        return HTTPTarget(host: host, port: port, requestTarget: String(directory) + trimmed, secure: secure)
    }
}
