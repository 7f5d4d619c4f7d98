import ManifoldProtocol
import NIOCore
import NIOHTTP1

/// OAuth 2.0 Protected Resource Metadata (RFC 9728) for an endpoint with `auth`: what a client
/// reads to learn which authorization server issues tokens for this server and which scopes
/// exist. Served without credentials at
///
///     /.well-known/oauth-protected-resource           (the host's document)
///     /.well-known/oauth-protected-resource/mcp       (RFC 9728 §3.1: the resource's path appended)
///
/// Both answer the same document:
///
///     {"resource": "https://mcp.example.com/mcp",
///      "authorization_servers": ["https://auth.example.com"],
///      "scopes_supported": ["admin", "public"],
///      "bearer_methods_supported": ["header"]}
///
/// `resource` is `auth.resource` when configured, else this endpoint's URL as the request
/// reached it (`http(s)://<Host><path>` — the Host header has passed the Host guard by then).
/// `authorization_servers` is omitted when there is none (static tokens only): RFC 9728 makes it
/// optional and MCP clients refuse an empty list.
struct ProtectedResourceMetadata: Sendable {
    /// How the endpoint is reached when no `resource` is configured.
    struct Endpoint: Sendable {
        var scheme: String
        var path: String
    }

    static let wellKnown = "/.well-known/oauth-protected-resource"

    let configuredResource: String?
    let endpoint: Endpoint
    let authorizationServers: [String]
    let scopesSupported: [String]

    init(settings: AuthSettings, endpoint: Endpoint) {
        configuredResource = settings.resource
        self.endpoint = endpoint
        authorizationServers = settings.authorizationServers
        scopesSupported = settings.scopesSupported
    }

    /// This server's resource URI for a request with this `Host`.
    func resourceURI(host: String?) -> String {
        if let configuredResource { return configuredResource }
        return "\(endpoint.scheme)://\(host ?? "localhost")\(endpoint.path)"
    }

    /// The absolute URL of the metadata document for a resource URI: the well-known path
    /// inserted between the origin and the resource's path (RFC 9728 §3.1).
    func metadataURL(forResource resource: String) -> String {
        let (origin, path) = Self.split(resource)
        return origin + Self.wellKnown + (path == "/" ? "" : path)
    }

    /// The paths the metadata is served at.
    var paths: [String] {
        let path = configuredResource.map { Self.split($0).path } ?? endpoint.path
        return path == "/" || path.isEmpty ? [Self.wellKnown] : [Self.wellKnown, Self.wellKnown + path]
    }

    func document(resource: String) -> [UInt8] {
        var object = JSONObject()
        object["resource"] = .string(resource)
        if !authorizationServers.isEmpty { object["authorization_servers"] = .array(authorizationServers.map(JSONValue.string)) }
        if !scopesSupported.isEmpty { object["scopes_supported"] = .array(scopesSupported.map(JSONValue.string)) }
        object["bearer_methods_supported"] = .array(["header"])
        return JSONValue.object(object).serialized()
    }

    /// `scheme://authority` and the path (with its query dropped; "/" when empty).
    static func split(_ url: String) -> (origin: String, path: String) {
        guard let schemeEnd = url.range(of: "://") else { return (url, "/") }
        let afterScheme = url[schemeEnd.upperBound...]
        let pathStart = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        let origin = String(url[..<pathStart])
        var path = String(afterScheme[pathStart...])
        if let cut = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = String(path[..<cut]) }
        if path.isEmpty { path = "/" }
        return (origin, path)
    }
}

/// Answers the Protected Resource Metadata paths (`ProtectedResourceMetadata`) before
/// authentication — a client without a token must be able to read them. A step of
/// `RequestGate`, present only on endpoints with `auth`. `GET`/`HEAD` → 200 JSON (readable
/// from any origin: it is public metadata); `OPTIONS` → 204; other methods → 405.
struct ProtectedResourceMetadataResponder {
    private let metadata: ProtectedResourceMetadata
    private let paths: [String]

    init(metadata: ProtectedResourceMetadata) {
        self.metadata = metadata
        self.paths = metadata.paths
    }

    /// The answer when `request` asks for the metadata, else nil.
    func answer(_ request: HTTPRequest) -> HTTPAnswer? {
        let path = request.path
        guard path.hasPrefix(ProtectedResourceMetadata.wellKnown),
            paths.contains(where: { $0[...] == path || ($0 + "/")[...] == path })
        else { return nil }
        var headers = HTTPHeaders()
        headers.add(name: "access-control-allow-origin", value: "*")
        let head = request.head
        switch head.method {
        case .GET, .HEAD:
            let body = metadata.document(resource: metadata.resourceURI(host: request.fields.host))
            headers.add(name: "cache-control", value: "max-age=3600")
            return HTTPAnswer(status: .ok, contentType: "application/json", body: head.method == .HEAD ? [] : body,
                              headers: headers)
        case .OPTIONS:
            headers.add(name: "access-control-allow-methods", value: "GET, OPTIONS")
            headers.add(name: "allow", value: "GET, HEAD, OPTIONS")
            return HTTPAnswer(status: .noContent, headers: headers)
        default:
            headers.add(name: "allow", value: "GET, HEAD, OPTIONS")
            return HTTPAnswer(status: .methodNotAllowed, headers: headers)
        }
    }
}
