/// An `http://` URL split into what an HTTP/1.1 client needs: where to connect (host, port),
/// what to put in `Host`, and the request target (path and query). `https://` is refused: this
/// build has no TLS (NIOSSL is not a dependency); put a TLS-terminating proxy in front, or
/// reach the server over plain HTTP on a trusted network.
public struct HTTPTarget: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Path and query, starting with `/`.
    public var requestTarget: String

    public init(host: String, port: Int, requestTarget: String) {
        self.host = host
        self.port = port
        self.requestTarget = requestTarget
    }

    /// Parses an absolute `http://host[:port][/path][?query]` URL (the fragment is dropped).
    public init(url: String) throws(ClientTransportError) {
        let lower = url.lowercased()
        if lower.hasPrefix("https://") {
            throw ClientTransportError("\(url): https is not supported in this build (no TLS); use http:// or a TLS-terminating proxy")
        }
        guard lower.hasPrefix("http://") else { throw ClientTransportError("\(url): not an http:// URL") }
        var rest = Substring(url.dropFirst("http://".count))
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var target = String(rest[authorityEnd...])
        if target.isEmpty { target = "/" } else if target.hasPrefix("?") { target = "/" + target }
        var host: Substring
        var port = 80
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
        self.init(host: String(host), port: port, requestTarget: target)
    }

    /// The `Host` header value.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? name : "\(name):\(port)"
    }

    /// `http://host:port`.
    public var origin: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    public var description: String { origin + requestTarget }

    /// Resolves a reference found in a response (the legacy SSE `endpoint` event): an absolute
    /// `http://` URL, an absolute path (`/messages?session_id=…`), or a path relative to this one.
    public func resolving(_ reference: String) throws(ClientTransportError) -> HTTPTarget {
        let trimmed = reference.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased().hasPrefix("http://") || trimmed.lowercased().hasPrefix("https://") {
            return try HTTPTarget(url: trimmed)
        }
        if trimmed.hasPrefix("/") { return HTTPTarget(host: host, port: port, requestTarget: trimmed) }
        let path = requestTarget.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "/"
        let directory = path.lastIndex(of: "/").map { path[...$0] } ?? "/"
        return HTTPTarget(host: host, port: port, requestTarget: String(directory) + trimmed)
    }
}
