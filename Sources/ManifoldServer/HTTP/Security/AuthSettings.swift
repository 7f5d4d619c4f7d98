import ManifoldCore
import ManifoldProtocol

/// The `auth` setting of an HTTP endpoint, as written in the manifest (docs/HTTP.md,
/// *Authentication*). Parsing is pure — shapes and types only; files and environment variables
/// are read when the endpoint starts (`BearerAuthenticator.load`), so a missing file is reported
/// with the endpoint, not with the manifest's syntax.
///
///     auth:
///       bearer:                          # static tokens (small deployments)
///         tokensEnv: MANIFOLD_TOKENS     #   and/or
///         tokensFile: tokens.txt         #   one "TOKEN [scope …]" per line
///       jwt:                             # OAuth 2.1 access tokens (JWT)
///         issuer: https://auth.example.com
///         jwksFile: jwks.json
///         audience: https://mcp.example.com/mcp     # default: the resource URI
///         algorithms: [RS256, ES256]               # default: every supported asymmetric one
///         leewaySeconds: 60
///       resource: https://mcp.example.com/mcp       # default: scheme://Host/path of the request
///       authorizationServers: [https://auth.example.com]   # default: [jwt.issuer]
///       scopes:                          # scope → tag expression: the caller's slice
///         public: "public"
///         admin: "public or admin"
///       requiredScopes: [mcp]            # every token must carry all of these
///
/// Unknown keys are errors here (a typo in a security setting must not silently weaken it).
public struct AuthSettings: Sendable, Equatable {
    public struct Bearer: Sendable, Equatable {
        public var tokensEnv: String?
        public var tokensFile: String?
    }

    public struct JWT: Sendable, Equatable {
        public var issuer: String
        public var jwksFile: String
        public var audiences: [String]?
        public var algorithms: [String]
        public var leewaySeconds: Double
    }

    public var bearer: Bearer?
    public var jwt: JWT?
    /// This server's resource URI (RFC 9728 `resource`, RFC 8707); nil: derived per request.
    public var resource: String?
    public var authorizationServers: [String]
    /// Scope name → tag expression (the text, and parsed).
    public var scopes: [String: String]
    var scopeExpressions: [String: TagExpression]
    public var requiredScopes: [String]

    public init(_ value: JSONValue) throws(HTTPConfigurationError) {
        guard let object = value.objectValue else { throw HTTPConfigurationError("auth must be an object") }
        try Self.onlyKeys(object, ["bearer", "jwt", "resource", "authorizationServers", "scopes", "requiredScopes"], "auth")
        if let bearer = object["bearer"] {
            guard let b = bearer.objectValue else { throw HTTPConfigurationError("auth.bearer must be an object") }
            try Self.onlyKeys(b, ["tokensEnv", "tokensFile"], "auth.bearer")
            let settings = Bearer(tokensEnv: try Self.string(b["tokensEnv"], "auth.bearer.tokensEnv"),
                                  tokensFile: try Self.string(b["tokensFile"], "auth.bearer.tokensFile"))
            guard settings.tokensEnv != nil || settings.tokensFile != nil else {
                throw HTTPConfigurationError("auth.bearer needs tokensEnv (an environment variable) or tokensFile (a file) with the tokens")
            }
            self.bearer = settings
        }
        if let jwt = object["jwt"] {
            guard let j = jwt.objectValue else { throw HTTPConfigurationError("auth.jwt must be an object") }
            try Self.onlyKeys(j, ["issuer", "jwksFile", "audience", "algorithms", "leewaySeconds"], "auth.jwt")
            guard let issuer = try Self.string(j["issuer"], "auth.jwt.issuer") else {
                throw HTTPConfigurationError("auth.jwt.issuer is required (the authorization server's issuer identifier)")
            }
            guard let jwks = try Self.string(j["jwksFile"], "auth.jwt.jwksFile") else {
                throw HTTPConfigurationError("auth.jwt.jwksFile is required (a JWKS file with the issuer's public keys)")
            }
            var audiences: [String]?
            switch j["audience"] {
            case nil: audiences = nil
            case .string(let one)?: audiences = [one]
            case let other?: audiences = try Self.strings(other, "auth.jwt.audience")
            }
            var algorithms = JWTValidator.supportedAlgorithms
            if let list = j["algorithms"] {
                algorithms = try Self.strings(list, "auth.jwt.algorithms")
                for alg in algorithms where !JWTValidator.supportedAlgorithms.contains(alg) {
                    throw HTTPConfigurationError("auth.jwt.algorithms: '\(alg)' is not supported (supported: \(JWTValidator.supportedAlgorithms.joined(separator: ", ")))")
                }
                guard !algorithms.isEmpty else { throw HTTPConfigurationError("auth.jwt.algorithms must not be empty") }
            }
            var leeway = 60.0
            if let value = j["leewaySeconds"] {
                guard let seconds = value.doubleValue, seconds >= 0, seconds <= 600 else {
                    throw HTTPConfigurationError("auth.jwt.leewaySeconds must be a number of seconds between 0 and 600")
                }
                leeway = seconds
            }
            self.jwt = JWT(issuer: issuer, jwksFile: jwks, audiences: audiences, algorithms: algorithms, leewaySeconds: leeway)
        }
        guard bearer != nil || jwt != nil else {
            throw HTTPConfigurationError("auth needs bearer (static tokens) or jwt (access tokens from an authorization server), or both")
        }
        resource = try Self.string(object["resource"], "auth.resource")
        if let resource, !(resource.hasPrefix("https://") || resource.hasPrefix("http://")) {
            throw HTTPConfigurationError("auth.resource must be an absolute http(s) URL (this endpoint's URL, e.g. https://mcp.example.com/mcp)")
        }
        if let servers = object["authorizationServers"] {
            authorizationServers = try Self.strings(servers, "auth.authorizationServers")
        } else {
            authorizationServers = jwt.map { [$0.issuer] } ?? []
        }
        scopes = [:]
        scopeExpressions = [:]
        if let map = object["scopes"] {
            guard let m = map.objectValue else {
                throw HTTPConfigurationError("auth.scopes must map scope names to tag expressions, e.g. {public: \"public\", admin: \"public or admin\"}")
            }
            for member in m {
                guard let text = member.value.stringValue else {
                    throw HTTPConfigurationError("auth.scopes.\(member.key) must be a tag expression (a string)")
                }
                guard !member.key.isEmpty, !member.key.contains(" "), !member.key.contains("\"") else {
                    throw HTTPConfigurationError("auth.scopes: '\(member.key)' is not a valid scope name")
                }
                do {
                    scopeExpressions[member.key] = try TagExpression.parse(text)
                } catch {
                    throw HTTPConfigurationError("auth.scopes.\(member.key): \(error)")
                }
                scopes[member.key] = text
            }
        }
        if let required = object["requiredScopes"] {
            requiredScopes = try Self.strings(required, "auth.requiredScopes")
        } else {
            requiredScopes = []
        }
    }

    /// Every scope this endpoint knows (PRM `scopes_supported`): the mapped ones and the required ones.
    var scopesSupported: [String] {
        Array(Set(scopes.keys).union(requiredScopes)).sorted()
    }

    // MARK: Reading

    private static func onlyKeys(_ object: JSONObject, _ known: [String], _ path: String) throws(HTTPConfigurationError) {
        for key in object.keys where !known.contains(key) {
            throw HTTPConfigurationError("\(path): unknown key '\(key)' (known: \(known.joined(separator: ", ")))")
        }
    }

    private static func string(_ value: JSONValue?, _ path: String) throws(HTTPConfigurationError) -> String? {
        guard let value else { return nil }
        guard let text = value.stringValue, !text.isEmpty else { throw HTTPConfigurationError("\(path) must be a non-empty string") }
        return text
    }

    private static func strings(_ value: JSONValue, _ path: String) throws(HTTPConfigurationError) -> [String] {
        guard let array = value.arrayValue else { throw HTTPConfigurationError("\(path) must be a list of strings") }
        var result: [String] = []
        for element in array {
            guard let text = element.stringValue, !text.isEmpty else { throw HTTPConfigurationError("\(path) must be a list of strings") }
            result.append(text)
        }
        return result
    }
}
