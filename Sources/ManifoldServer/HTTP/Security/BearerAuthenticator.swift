import Logging
import ManifoldCore
import NIOCore
import NIOHTTP1
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The endpoint's `auth` setting at work: an OAuth 2.1 resource server (PROTOCOL.md §8) that
/// accepts static bearer tokens and/or JWT access tokens, in the `Authorization` header only,
/// on every request, and gives each caller its slice of the endpoint.
///
/// Per request:
/// 1. `Authorization: Bearer <token>` — the only place a token is read (never the query
///    string; an `access_token` parameter is ignored). Missing or another scheme → **401**
///    `WWW-Authenticate: Bearer resource_metadata="<PRM URL>"`. Two `Authorization` headers or a
///    token with characters outside RFC 6750's `b64token` → **400** `error="invalid_request"`.
/// 2. The token is looked up among the static tokens (`StaticTokenTable`, constant time), else
///    validated as a JWT (`JWTValidator`): unknown, bad signature, wrong issuer or audience,
///    expired, not yet valid → **401** `error="invalid_token"`.
/// 3. Scopes: a token lacking one of `requiredScopes`, or (when `scopes` maps scopes to tag
///    expressions) carrying none of the mapped scopes → **403**
///    `error="insufficient_scope", scope="…"`.
/// 4. Allowed: the principal carries the caller's view (`ScopeSlices`), shared by every caller
///    with the same mapped scopes, and its session binding.
///
/// Nothing of the request's credentials goes further than this type: the MCP handler and the
/// dispatcher see the principal, never the header, so a token cannot reach a plugin or an
/// upstream server.
public final class BearerAuthenticator: HTTPAuthenticator {
    let settings: AuthSettings
    let tokens: StaticTokenTable?
    let jwt: JWTValidator?
    let slices: ScopeSlices
    let metadata: ProtectedResourceMetadata
    private let baseView: LiveView
    private let views: @Sendable (TagFilter) -> LiveView
    private let clock: @Sendable () -> Double
    private let logger: Logger
    /// Mapped scopes → the slice's view (built once per combination).
    private let sliceViews = Mutex<[[String]: LiveView]>([:])

    init(settings: AuthSettings, tokens: StaticTokenTable?, jwt: JWTValidator?, endpoint: ProtectedResourceMetadata.Endpoint,
         baseView: LiveView, views: @escaping @Sendable (TagFilter) -> LiveView,
         clock: @escaping @Sendable () -> Double = { BearerAuthenticator.now() }, logger: Logger) {
        self.settings = settings
        self.tokens = tokens
        self.jwt = jwt
        self.slices = ScopeSlices(settings.scopeExpressions)
        self.metadata = ProtectedResourceMetadata(settings: settings, endpoint: endpoint)
        self.baseView = baseView
        self.views = views
        self.clock = clock
        self.logger = logger
        // The endpoint's filter changed (a host manifest reload): the slices follow it.
        baseView.onRetarget { [weak self] base in self?.baseFilterChanged(base) }
    }

    /// Applies a new endpoint filter to every slice: a slice view of its own is retargeted (its
    /// sessions see the change, with list_changed); a shared one is forgotten, so later
    /// sessions get the slice of the new filter.
    private func baseFilterChanged(_ base: TagFilter) {
        let known = sliceViews.withLock { $0 }
        for (mapped, view) in known where !view.retarget(to: slices.filter(base: base, mapped: mapped)) {
            sliceViews.withLock { $0[mapped] = nil }
        }
    }

    /// Seconds since 1970 (JWT `exp` / `nbf` are in these).
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    // MARK: Loading

    /// Reads the token sources and the JWKS file of `settings` (relative paths against
    /// `baseDirectory`, the manifest's folder) and builds the authenticator. Async because
    /// jwt-kit builds its keys in an actor; `loadBlocking` is the start-up form.
    static func load(settings: AuthSettings, baseDirectory: String?, endpoint: ProtectedResourceMetadata.Endpoint,
                     baseView: LiveView, views: @escaping @Sendable (TagFilter) -> LiveView,
                     environment: [String: String], logger: Logger) async throws(HTTPConfigurationError) -> BearerAuthenticator {
        let (tokens, jwks) = try readSources(settings: settings, baseDirectory: baseDirectory, environment: environment)
        var validator: JWTValidator?
        if let jwt = settings.jwt, let jwks {
            let keys = try await JWTValidator.keys(jwks: jwks, accepted: Set(jwt.algorithms), source: "auth.jwt.jwksFile \(jwt.jwksFile)")
            validator = JWTValidator(keys: keys, policy: JWTClaimsPolicy(issuer: jwt.issuer, audiences: jwt.audiences,
                                                                          leewaySeconds: jwt.leewaySeconds))
        }
        return BearerAuthenticator(settings: settings, tokens: tokens, jwt: validator, endpoint: endpoint, baseView: baseView,
                                   views: views, logger: logger)
    }

    /// `load` for the server's start-up thread (blocks it until the keys are built).
    static func loadBlocking(settings: AuthSettings, baseDirectory: String?, endpoint: ProtectedResourceMetadata.Endpoint,
                             baseView: LiveView, views: @escaping @Sendable (TagFilter) -> LiveView,
                             environment: [String: String], logger: Logger) throws(HTTPConfigurationError) -> BearerAuthenticator {
        let (tokens, jwks) = try readSources(settings: settings, baseDirectory: baseDirectory, environment: environment)
        var validator: JWTValidator?
        if let jwt = settings.jwt, let jwks {
            let keys = try JWTValidator.keysBlocking(jwks: jwks, accepted: Set(jwt.algorithms), source: "auth.jwt.jwksFile \(jwt.jwksFile)")
            validator = JWTValidator(keys: keys, policy: JWTClaimsPolicy(issuer: jwt.issuer, audiences: jwt.audiences,
                                                                          leewaySeconds: jwt.leewaySeconds))
        }
        return BearerAuthenticator(settings: settings, tokens: tokens, jwt: validator, endpoint: endpoint, baseView: baseView,
                                   views: views, logger: logger)
    }

    private static func readSources(settings: AuthSettings, baseDirectory: String?, environment: [String: String])
        throws(HTTPConfigurationError) -> (StaticTokenTable?, [UInt8]?)
    {
        var tokens: StaticTokenTable?
        if let bearer = settings.bearer {
            var parsed: [StaticTokenTable.ParsedEntry] = []
            if let name = bearer.tokensEnv {
                guard let text = environment[name], !text.trimmingSpaces.isEmpty else {
                    throw HTTPConfigurationError("auth.bearer.tokensEnv: the environment variable \(name) is not set or empty")
                }
                parsed += try StaticTokenTable.parse(text, source: "the environment variable \(name)")
            }
            if let file = bearer.tokensFile {
                let path = SecurityFiles.resolve(file, against: baseDirectory)
                let text = String(decoding: try SecurityFiles.contents(of: path, key: "auth.bearer.tokensFile"), as: UTF8.self)
                parsed += try StaticTokenTable.parse(text, source: path)
            }
            guard !parsed.isEmpty else { throw HTTPConfigurationError("auth.bearer: no token configured") }
            var seen = Set<String>()
            for entry in parsed where !seen.insert(entry.token).inserted {
                throw HTTPConfigurationError("auth.bearer: the same token is listed twice")
            }
            tokens = StaticTokenTable(parsed)
        }
        var jwks: [UInt8]?
        if let jwt = settings.jwt {
            jwks = try SecurityFiles.contents(of: SecurityFiles.resolve(jwt.jwksFile, against: baseDirectory), key: "auth.jwt.jwksFile")
        }
        return (tokens, jwks)
    }

    // MARK: HTTPAuthenticator

    public func authenticate(_ head: HTTPRequestHead, path: Substring) -> HTTPAuthDecision {
        let endpointURL = metadata.resourceURI(host: head.headers.first(name: "host"))
        let values = head.headers["authorization"]
        guard values.count <= 1 else {
            return challenge(.badRequest, endpointURL, error: "invalid_request", description: "more than one Authorization header")
        }
        guard let value = values.first, let token = Self.bearerToken(value) else {
            return challenge(.unauthorized, endpointURL, error: nil, description: nil)
        }
        guard StaticTokenTable.isB64Token(token) else {
            return challenge(.badRequest, endpointURL, error: "invalid_request", description: "the bearer token has characters RFC 6750 does not allow")
        }
        let tokenBytes = Array(token.utf8)
        var name: String
        var binding: String
        var scopes: Set<String>
        if let entry = tokens?.lookup(tokenBytes) {
            name = entry.name
            binding = entry.name
            scopes = entry.scopes
        } else if let jwt {
            switch jwt.validate(tokenBytes, expectedAudiences: [endpointURL], now: clock()) {
            case .failure(let rejection):
                logger.debug("HTTP request refused: \(rejection)")
                return challenge(.unauthorized, endpointURL, error: "invalid_token", description: rejection.description)
            case .success(let claims):
                name = "jwt:\(claims.subject)"
                binding = "jwt:\(claims.issuer) \(claims.subject)"
                scopes = claims.scopes
            }
        } else {
            return challenge(.unauthorized, endpointURL, error: "invalid_token", description: "unknown token")
        }
        let missing = settings.requiredScopes.filter { !scopes.contains($0) }
        if !missing.isEmpty {
            return challenge(.forbidden, endpointURL, error: "insufficient_scope",
                             description: "the token lacks a required scope", scope: settings.requiredScopes.joined(separator: " "))
        }
        guard slices.isConfigured else {
            return .allow(principal: HTTPPrincipal(name: name, scopes: scopes, view: nil, binding: binding))
        }
        let mapped = slices.mapped(scopes)
        guard !mapped.isEmpty else {
            return challenge(.forbidden, endpointURL, error: "insufficient_scope",
                             description: "the token carries none of this endpoint's scopes", scope: slices.names.joined(separator: " "))
        }
        binding += "|" + mapped.joined(separator: " ")
        return .allow(principal: HTTPPrincipal(name: name, scopes: scopes, view: view(for: mapped), binding: binding))
    }

    /// The view of the slice for these mapped scopes (shared by every caller holding them).
    func view(for mapped: [String]) -> LiveView {
        if let known = sliceViews.withLock({ $0[mapped] }) { return known }
        let view = views(slices.filter(base: baseView.filter, mapped: mapped))
        sliceViews.withLock { $0[mapped] = view }
        return view
    }

    /// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive), or nil
    /// for another scheme or an empty token.
    static func bearerToken(_ value: String) -> Substring? {
        let text = value[...].drop(while: { $0 == " " || $0 == "\t" })
        guard text.count > 7 else { return nil }
        let scheme = text.prefix(6)
        guard scheme.lowercased() == "bearer", let separator = text.dropFirst(6).first, separator == " " || separator == "\t" else {
            return nil
        }
        var token = text.dropFirst(7).drop(while: { $0 == " " || $0 == "\t" })
        while let last = token.last, last == " " || last == "\t" { token = token.dropLast() }
        return token.isEmpty ? nil : token
    }

    // MARK: Challenges

    /// A refusal with `WWW-Authenticate: Bearer …` (RFC 6750 §3, RFC 9728 §5.1) and a JSON-RPC
    /// error body, like every other refusal of the HTTP layer.
    private func challenge(_ status: HTTPResponseStatus, _ endpointURL: String, error: String?, description: String?,
                           scope: String? = nil) -> HTTPAuthDecision {
        var parameters: [(String, String)] = []
        if let error { parameters.append(("error", error)) }
        if let scope { parameters.append(("scope", scope)) }
        if let description { parameters.append(("error_description", description)) }
        parameters.append(("resource_metadata", metadata.metadataURL(forResource: endpointURL)))
        if error == nil, !settings.requiredScopes.isEmpty {
            parameters.append(("scope", settings.requiredScopes.joined(separator: " ")))
        }
        var headers = HTTPHeaders()
        headers.add(name: "www-authenticate", value: WWWAuthenticate.bearer(parameters))
        headers.add(name: "cache-control", value: "no-store")
        let message: String
        switch status {
        case .unauthorized: message = "Unauthorized: " + (description ?? "a bearer token is required")
        case .forbidden: message = "Forbidden: " + (description ?? "insufficient scope")
        default: message = "Bad Request: " + (description ?? "malformed Authorization header")
        }
        return .deny(status: status, headers: headers, body: JSONRPCErrorBody.make(code: -32600, message: message))
    }
}

/// Building `WWW-Authenticate` values.
enum WWWAuthenticate {
    /// `Bearer k="v", k2="v2"`; values are quoted strings with `"` and `\` and control
    /// characters removed (they never need them: URLs, scope lists, fixed descriptions).
    static func bearer(_ parameters: [(String, String)]) -> String {
        "Bearer " + parameters.map { "\($0.0)=\"\(quoted($0.1))\"" }.joined(separator: ", ")
    }

    static func quoted(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\"" && $0 != "\\" && $0.value >= 0x20 && $0.value != 0x7F }))
    }
}

/// Reading the files security settings name.
enum SecurityFiles {
    /// `path` as is when absolute, else under `directory` (the manifest's folder) when given.
    static func resolve(_ path: String, against directory: String?) -> String {
        if path.hasPrefix("/") { return path }
        guard let directory, !directory.isEmpty else { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }

    static func contents(of path: String, key: String) throws(HTTPConfigurationError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw HTTPConfigurationError("\(key): cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw HTTPConfigurationError("\(key): cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            result += chunk[..<n]
            if result.count > 16 * 1024 * 1024 { throw HTTPConfigurationError("\(key): \(path) is larger than 16 MiB") }
        }
        return result
    }
}
