import Crypto
import CryptoExtras
import Foundation
import ManifoldCore
import ManifoldProtocol
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
@testable import ManifoldServer

// The authentication layer's rules without sockets: constant-time comparison, static token
// sources, bearer header parsing, scopes → tag filters, JWT claims and signatures (keys made
// here with swift-crypto), and the authenticator's verdicts (401 / 403 / allow with a slice).

// MARK: Constant time and static tokens

@Suite struct ConstantTimeTests {
    @Test func equalsOnlyIdenticalBytes() {
        #expect(ConstantTime.equals([], []))
        #expect(ConstantTime.equals(Array("secret".utf8), Array("secret".utf8)))
        #expect(!ConstantTime.equals(Array("secret".utf8), Array("secreT".utf8)))
        #expect(!ConstantTime.equals(Array("secret".utf8), Array("secret!".utf8)))
        #expect(!ConstantTime.equals(Array("secret".utf8), Array("secre".utf8)))
        #expect(!ConstantTime.equals([], [0]))
        #expect(!ConstantTime.equals([0], []))
        // A shorter input padded with what the loop substitutes (0) is still different.
        #expect(!ConstantTime.equals([1, 0], [1]))
    }

    @Test func isZeroIsOneOnlyForZero() {
        #expect(ConstantTime.isZero(0) == 1)
        for value in [UInt8(1), 2, 0x7F, 0x80, 0xFF] { #expect(ConstantTime.isZero(value) == 0) }
    }
}

@Suite struct StaticTokenTests {
    static let a = "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8"
    static let b = "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2"

    @Test func sourcesListTokensWithTheirScopes() throws {
        let text = "# the tokens\n\(Self.a) public\r\n\n  \(Self.b)  public admin , cccccccccccccccc-._~+/==\n"
        let parsed = try StaticTokenTable.parse(text, source: "test")
        #expect(parsed == [
            .init(token: Self.a, scopes: ["public"]),
            .init(token: Self.b, scopes: ["public", "admin"]),
            .init(token: "cccccccccccccccc-._~+/==", scopes: []),
        ])
    }

    @Test func badSourcesAreRefusedWithoutQuotingTheToken() {
        for (text, fragment) in [("short public", "at least 16"), ("has\"quote0123456789", "may contain only"),
                                 ("\(Self.a)\n\(Self.a) admin", "twice"), ("ab=cdefghijklmnopqrs", "may contain only")] {
            do {
                _ = try StaticTokenTable.parse(text, source: "MANIFOLD_TOKENS")
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.contains(fragment), "\(error)")
                #expect(!error.description.contains(Self.a))
                #expect(!error.description.contains("short"))
            }
        }
    }

    @Test func lookupFindsEachTokenAndNothingElse() throws {
        let table = StaticTokenTable(try StaticTokenTable.parse("\(Self.a) public\n\(Self.b) admin", source: "test"))
        #expect(table.lookup(Array(Self.a.utf8))?.name == "token#1")
        #expect(table.lookup(Array(Self.a.utf8))?.scopes == ["public"])
        #expect(table.lookup(Array(Self.b.utf8))?.name == "token#2")
        #expect(table.lookup(Array(Self.b.utf8))?.scopes == ["admin"])
        #expect(table.lookup(Array(Self.a.dropLast().utf8)) == nil)
        #expect(table.lookup(Array((Self.a + "x").utf8)) == nil)
        #expect(table.lookup([]) == nil)
        #expect(table.lookup(Array(Self.a.lowercased().utf8)) == nil)
    }

    @Test func bearerHeaderValues() {
        #expect(BearerAuthenticator.bearerToken("Bearer abc") == "abc")
        #expect(BearerAuthenticator.bearerToken("bearer   abc  ") == "abc")
        #expect(BearerAuthenticator.bearerToken("BEARER\tabc") == "abc")
        #expect(BearerAuthenticator.bearerToken("Bearer") == nil)
        #expect(BearerAuthenticator.bearerToken("Bearer ") == nil)
        #expect(BearerAuthenticator.bearerToken("Bearerabc") == nil)
        #expect(BearerAuthenticator.bearerToken("Basic YWxhZGRpbjpvcGVuc2VzYW1l") == nil)
        #expect(StaticTokenTable.isB64Token("abc.def_ghi-jkl~+/=="))
        #expect(!StaticTokenTable.isB64Token("abc def"))
        #expect(!StaticTokenTable.isB64Token("ab=c"))
        #expect(!StaticTokenTable.isB64Token("=="))
    }
}

// MARK: Scopes → slices

@Suite struct ScopeSliceTests {
    @Test func aCallersFilterIsTheEndpointsAndTheOrOfItsScopes() throws {
        let slices = ScopeSlices(["public": try TagExpression.parse("public"),
                                  "admin": try TagExpression.parse("public or admin")])
        #expect(slices.mapped(["admin", "openid", "public"]) == ["admin", "public"])
        #expect(slices.mapped(["openid"]).isEmpty)
        let base = TagFilter(exclude: ["secret"])
        let publicOnly = slices.filter(base: base, mapped: ["public"])
        #expect(publicOnly.keeps(["public"]))
        #expect(!publicOnly.keeps(["admin"]))
        #expect(!publicOnly.keeps(["public", "secret"]))
        #expect(!publicOnly.keeps([]))
        let admin = slices.filter(base: base, mapped: ["admin"])
        #expect(admin.keeps(["public"]))
        #expect(admin.keeps(["admin"]))
        #expect(!admin.keeps(["admin", "secret"]))
        #expect(!admin.keeps(["other"]))
    }

    @Test func settingsParseAndRefuseTypos() throws {
        let settings = try AuthSettings(json(#"""
            {"bearer":{"tokensEnv":"T"},"scopes":{"public":"public","admin":"public or admin"},"requiredScopes":["mcp"],
             "resource":"https://mcp.example.com/mcp"}
            """#))
        #expect(settings.bearer == AuthSettings.Bearer(tokensEnv: "T", tokensFile: nil))
        #expect(settings.scopesSupported == ["admin", "mcp", "public"])
        #expect(settings.authorizationServers.isEmpty)
        let jwt = try AuthSettings(json(#"{"jwt":{"issuer":"https://as.example","jwksFile":"k.json","audience":"x"}}"#))
        #expect(jwt.authorizationServers == ["https://as.example"])
        #expect(jwt.jwt?.audiences == ["x"])
        #expect(jwt.jwt?.leewaySeconds == 60)
        for bad in [#"{}"#, #"{"bearer":{}}"#, #"{"bearer":{"tokenEnv":"T"}}"#, #"{"bearer":{"tokensEnv":"T"},"scope":{}}"#,
                    #"{"bearer":{"tokensEnv":"T"},"scopes":{"a":"public and"}}"#, #"{"jwt":{"issuer":"x"}}"#,
                    #"{"jwt":{"issuer":"x","jwksFile":"k","algorithms":["HS256"]}}"#,
                    #"{"bearer":{"tokensEnv":"T"},"resource":"mcp.example.com"}"#] {
            #expect(throws: HTTPConfigurationError.self, "\(bad)") { try AuthSettings(json(bad)) }
        }
    }
}

// MARK: JWT

/// Keys made for the test and tokens signed with them (swift-crypto; the validator uses jwt-kit).
struct TestSigner {
    enum Key {
        case es256(P256.Signing.PrivateKey)
        case rs256(_RSA.Signing.PrivateKey)
    }

    let key: Key
    let kid: String

    static let rsaKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    var alg: String {
        switch key {
        case .es256: return "ES256"
        case .rs256: return "RS256"
        }
    }

    var jwk: JSONValue {
        switch key {
        case .es256(let k):
            let point = Array(k.publicKey.x963Representation)
            return ["kty": "EC", "crv": "P-256", "kid": .string(kid), "use": "sig",
                    "x": .string(Base64URL.encode(Array(point[1..<33]))), "y": .string(Base64URL.encode(Array(point[33..<65])))]
        case .rs256(let k):
            let primitives = try! k.publicKey.getKeyPrimitives()
            return ["kty": "RSA", "kid": .string(kid), "alg": "RS256",
                    "n": .string(Base64URL.encode(Array(primitives.modulus))), "e": .string(Base64URL.encode(Array(primitives.publicExponent)))]
        }
    }

    func token(_ claims: JSONValue, header: JSONValue? = nil) -> String {
        let h = header ?? ["alg": .string(alg), "typ": "at+jwt", "kid": .string(kid)]
        let input = Base64URL.encode(h.serialized()) + "." + Base64URL.encode(claims.serialized())
        return input + "." + Base64URL.encode(sign(Array(input.utf8)))
    }

    func sign(_ input: [UInt8]) -> [UInt8] {
        switch key {
        case .es256(let k): return Array(try! k.signature(for: input).rawRepresentation)
        case .rs256(let k): return Array(try! k.signature(for: input, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }
}

@Suite struct JWTTests {
    static let issuer = "https://as.example.com"
    static let resource = "http://127.0.0.1:8080/mcp"
    static let now = 1_800_000_000.0

    static func claims(_ overrides: [String: JSONValue] = [:], drop: [String] = []) -> JSONValue {
        var object: JSONObject = ["iss": .string(issuer), "aud": .string(resource), "sub": "alice",
                                  "exp": .int(Int(now) + 300), "nbf": .int(Int(now) - 10), "scope": "public openid"]
        for (key, value) in overrides { object[key] = value }
        for key in drop { object[key] = nil }
        return .object(object)
    }

    static func validator(_ signers: [TestSigner], algorithms: [String] = JWTValidator.supportedAlgorithms,
                          audiences: [String]? = nil) async throws -> JWTValidator {
        let jwks = JSONValue.object(["keys": .array(signers.map(\.jwk))]).serialized()
        let keys = try await JWTValidator.keys(jwks: jwks, accepted: Set(algorithms), source: "test")
        return JWTValidator(keys: keys, policy: JWTClaimsPolicy(issuer: issuer, audiences: audiences))
    }

    func check(_ validator: JWTValidator, _ token: String) -> Result<JWTValidator.Claims, JWTRejection> {
        validator.validate(Array(token.utf8), expectedAudiences: [Self.resource], now: Self.now)
    }

    @Test func claimsPolicy() {
        let policy = JWTClaimsPolicy(issuer: Self.issuer, audiences: nil, leewaySeconds: 60)
        func verdict(_ claims: JSONValue, now: Double = Self.now) -> JWTRejection? {
            policy.check(claims.objectValue!, expectedAudiences: [Self.resource], now: now)
        }
        #expect(verdict(Self.claims()) == nil)
        #expect(verdict(Self.claims(["aud": .array(["other", .string(Self.resource + "/")])])) == nil)
        #expect(verdict(Self.claims(["aud": "http://127.0.0.1:9999/mcp"])) == .wrongAudience)
        #expect(verdict(Self.claims(drop: ["aud"])) == .wrongAudience)
        #expect(verdict(Self.claims(["iss": "https://evil.example.com"])) == .wrongIssuer)
        #expect(verdict(Self.claims(drop: ["iss"])) == .wrongIssuer)
        #expect(verdict(Self.claims(drop: ["exp"])) == .missingExpiry)
        #expect(verdict(Self.claims(["exp": .int(Int(Self.now) - 30)])) == nil)  // within the leeway
        #expect(verdict(Self.claims(["exp": .int(Int(Self.now) - 61)])) == .expired)
        #expect(verdict(Self.claims(["nbf": .int(Int(Self.now) + 30)])) == nil)
        #expect(verdict(Self.claims(["nbf": .int(Int(Self.now) + 61)])) == .notYetValid)
        #expect(verdict(Self.claims(["exp": "soon"])) == .malformed("exp is not a number"))
        let fixed = JWTClaimsPolicy(issuer: Self.issuer, audiences: ["api://manifold"])
        #expect(fixed.check(Self.claims(["aud": "api://manifold"]).objectValue!, expectedAudiences: [Self.resource], now: Self.now) == nil)
        #expect(fixed.check(Self.claims().objectValue!, expectedAudiences: [Self.resource], now: Self.now) == .wrongAudience)
        #expect(JWTClaimsPolicy.scopes(of: ["scope": "a b", "scp": ["c"]]) == ["a", "b", "c"])
    }

    @Test func es256TokensAreVerifiedWithTheJWKSKey() async throws {
        let signer = TestSigner(key: .es256(P256.Signing.PrivateKey()), kid: "ec-1")
        let validator = try await Self.validator([signer])
        let claims = try check(validator, signer.token(Self.claims())).get()
        #expect(claims.subject == "alice")
        #expect(claims.scopes == ["public", "openid"])
        // Another key with the same kid: bad signature.
        let impostor = TestSigner(key: .es256(P256.Signing.PrivateKey()), kid: "ec-1")
        #expect(check(validator, impostor.token(Self.claims())) == .failure(.badSignature))
        // Unknown kid.
        let stranger = TestSigner(key: .es256(P256.Signing.PrivateKey()), kid: "ec-2")
        #expect(check(validator, stranger.token(Self.claims())) == .failure(.unknownKey))
        // The payload altered after signing.
        let token = signer.token(Self.claims())
        let parts = token.split(separator: ".")
        let altered = parts[0] + "." + Base64URL.encode(Self.claims(["scope": "admin"]).serialized()) + "." + parts[2]
        #expect(check(validator, String(altered)) == .failure(.badSignature))
        // Claims are checked after the signature.
        #expect(check(validator, signer.token(Self.claims(["aud": "https://other/mcp"]))) == .failure(.wrongAudience))
        #expect(check(validator, signer.token(Self.claims(["exp": .int(Int(Self.now) - 3600)]))) == .failure(.expired))
    }

    @Test func rs256TokensAreVerifiedWithTheJWKSKey() async throws {
        let signer = TestSigner(key: .rs256(TestSigner.rsaKey), kid: "rsa-1")
        let validator = try await Self.validator([signer, TestSigner(key: .es256(P256.Signing.PrivateKey()), kid: "ec-1")])
        #expect(try check(validator, signer.token(Self.claims())).get().subject == "alice")
        // Without a kid, every key of the token's algorithm is tried.
        let noKid = signer.token(Self.claims(), header: ["alg": "RS256"])
        #expect(try check(validator, noKid).get().subject == "alice")
        // An RS256 key is not used for PS256 (its JWK names RS256).
        #expect(check(validator, signer.token(Self.claims(), header: ["alg": "PS256", "kid": "rsa-1"])) == .failure(.unknownKey))
    }

    @Test func dangerousHeadersAreRefused() async throws {
        let signer = TestSigner(key: .es256(P256.Signing.PrivateKey()), kid: "ec-1")
        let validator = try await Self.validator([signer], algorithms: ["ES256"])
        let payload = Base64URL.encode(Self.claims().serialized())
        let none = Base64URL.encode((["alg": "none"] as JSONValue).serialized()) + "." + payload + "."
        #expect(check(validator, none) == .failure(.unsupportedAlgorithm("none")))
        // HS256 keyed with the public key (the classic confusion): not an accepted algorithm.
        #expect(check(validator, signer.token(Self.claims(), header: ["alg": "HS256", "kid": "ec-1"])) == .failure(.unsupportedAlgorithm("HS256")))
        // An accepted-by-default algorithm the configuration left out.
        #expect(check(validator, signer.token(Self.claims(), header: ["alg": "RS256"])) == .failure(.unsupportedAlgorithm("RS256")))
        #expect(check(validator, signer.token(Self.claims(), header: ["alg": "ES256", "kid": "ec-1", "crit": ["exp"]])) == .failure(.malformed("unsupported critical header parameters")))
        // Duplicate claims would let two parsers disagree.
        let duplicated = Array(#"{"iss":"https://as.example.com","aud":"x","aud":"http://127.0.0.1:8080/mcp","exp":1900000000}"#.utf8)
        let header = Base64URL.encode((["alg": "ES256", "kid": "ec-1"] as JSONValue).serialized())
        let input = header + "." + Base64URL.encode(duplicated)
        let token = input + "." + Base64URL.encode(signer.sign(Array(input.utf8)))
        #expect(check(validator, token) == .failure(.malformed("the payload is not a JSON object")))
        for junk in ["", "a.b", "a.b.c.d", "!!.!!.!!", "e30.e30.", "e30.e30.e30"] {
            guard case .failure = check(validator, junk) else {
                Issue.record("accepted junk: \(junk)")
                continue
            }
        }
    }

    @Test func symmetricAndUnknownKeysAreRefusedAtLoad() async {
        for jwks in [#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#, #"{"nokeys":[]}"#, #"{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}"#,
                     #"{"keys":[]}"#] {
            await #expect(throws: HTTPConfigurationError.self, "\(jwks)") {
                _ = try await JWTValidator.keys(jwks: Array(jwks.utf8), accepted: ["ES256"], source: "test")
            }
        }
    }

    @Test func base64URLIsStrict() {
        #expect(Base64URL.decode(Array("aGk".utf8)) == Array("hi".utf8))
        #expect(Base64URL.decode(Array("aGk=".utf8)) == nil)
        #expect(Base64URL.decode(Array("aGl".utf8)) == nil)  // leftover bits set: not canonical
        #expect(Base64URL.decode(Array("a".utf8)) == nil)
        #expect(Base64URL.decode(Array("a+b/".utf8)) == nil)
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64URL.decode(Array(Base64URL.encode(bytes).utf8)) == bytes)
        }
    }
}

// MARK: The authenticator's verdicts

/// A provider with tools tagged `public`, `admin`, both, and `secret`.
final class TaggedProvider: Provider {
    let displayName = "provider 'tagged'"
    var health: ProviderHealth { .ready }

    func catalog() -> Catalog {
        func tool(_ name: String, _ tags: [String]) -> Component {
            try! Component(kind: .tool, listed: ["name": .string(name), "description": "t",
                                                 "tags": .array(tags.map(JSONValue.string))])
        }
        return Catalog(tools: [tool("open", ["public"]), tool("reset", ["admin"]), tool("hidden", ["secret", "public"]),
                               tool("untagged", [])])
    }

    func addObserver(_ observer: any ProviderObserver) {}

    func invoke(_ request: ProviderRequest, context: any CallContext, completion: @escaping @Sendable (CallOutcome) -> Void) {
        completion(.result(Array(#"{"content":[]}"#.utf8)))
    }
}

@Suite struct AuthenticatorTests {
    static let publicToken = "PublicToken-0123456789abcdef"
    static let adminToken = "AdminToken-0123456789abcdef"
    static let bareToken = "BareToken-0123456789abcdef"

    func make(_ settingsJSON: String, signers: [TestSigner] = [], dedicated: Bool = false) async throws
        -> (BearerAuthenticator, HostComposition)
    {
        try await makeWithView(settingsJSON, signers: signers, dedicated: dedicated).0
    }

    /// Also returns the endpoint's view. `dedicated`: the endpoint's and the slices' views are
    /// their own, as `manifold serve` makes them (so a reload can change the endpoint's filter).
    func makeWithView(_ settingsJSON: String, signers: [TestSigner] = [], dedicated: Bool) async throws
        -> ((BearerAuthenticator, HostComposition), LiveView)
    {
        let tree = CompositionTree(name: "test", mounts: [Mount(content: .provider(TaggedProvider()), label: "mount 'tagged'")])
        let composition = try HostComposition(tree: tree, logger: testLogger)
        let base = dedicated ? composition.dedicatedView(filter: TagFilter(exclude: ["secret"]))
            : composition.view(filter: TagFilter(exclude: ["secret"]))
        var settings = try AuthSettings(json(settingsJSON))
        var environment = ["TOKENS": "\(Self.publicToken) public\n\(Self.adminToken) admin\n\(Self.bareToken)"]
        if !signers.isEmpty {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID().uuidString).json").path
            try Data(JSONValue.object(["keys": .array(signers.map(\.jwk))]).serialized()).write(to: URL(fileURLWithPath: path))
            settings.jwt?.jwksFile = path
            environment = [:]
        }
        let authenticator = try await BearerAuthenticator.load(
            settings: settings, baseDirectory: nil, endpoint: .init(scheme: "http", path: "/mcp"), baseView: base,
            views: { dedicated ? composition.dedicatedView(filter: $0) : composition.view(filter: $0) },
            environment: environment, logger: testLogger)
        return ((authenticator, composition), base)
    }

    func head(_ authorization: [String], host: String = "127.0.0.1:8080") -> HTTPRequestHead {
        var headers = HTTPHeaders([("host", host)])
        for value in authorization { headers.add(name: "authorization", value: value) }
        return HTTPRequestHead(version: .http1_1, method: .POST, uri: "/mcp", headers: headers)
    }

    func tools(_ principal: HTTPPrincipal?) -> [String] {
        (principal?.view?.current.entries(.tool) ?? []).map(\.name).sorted()
    }

    @Test func missingOrWrongTokensAreChallengedWithTheMetadataURL() async throws {
        let (auth, _) = try await make(#"{"bearer":{"tokensEnv":"TOKENS"}}"#)
        guard case .deny(let status, let headers, _) = auth.authenticate(head([]), path: "/mcp") else {
            Issue.record("allowed without a token")
            return
        }
        #expect(status == .unauthorized)
        #expect(headers.first(name: "www-authenticate")
            == #"Bearer resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp""#)
        guard case .deny(let status2, let headers2, _) = auth.authenticate(head(["Bearer NotAToken-0123456789abcdef"]), path: "/mcp") else {
            Issue.record("allowed with a wrong token")
            return
        }
        #expect(status2 == .unauthorized)
        #expect(headers2.first(name: "www-authenticate")?.hasPrefix(#"Bearer error="invalid_token""#) == true)
        guard case .deny(let status3, _, _) = auth.authenticate(head(["Bearer \(Self.publicToken)", "Bearer \(Self.adminToken)"]), path: "/mcp") else {
            Issue.record("allowed with two Authorization headers")
            return
        }
        #expect(status3 == .badRequest)
        guard case .deny(let status4, _, _) = auth.authenticate(head(["Basic \(Self.publicToken)"]), path: "/mcp") else {
            Issue.record("allowed with Basic")
            return
        }
        #expect(status4 == .unauthorized)
        // Without scopes configured, any valid token sees the endpoint's own view.
        guard case .allow(let principal) = auth.authenticate(head(["Bearer \(Self.bareToken)"]), path: "/mcp") else {
            Issue.record("refused a valid token")
            return
        }
        #expect(principal?.view == nil)
        #expect(principal?.name == "token#3")
    }

    @Test func scopesGiveEachCallerItsSlice() async throws {
        let (auth, _) = try await make(#"{"bearer":{"tokensEnv":"TOKENS"},"scopes":{"public":"public","admin":"public or admin"}}"#)
        guard case .allow(let reader) = auth.authenticate(head(["Bearer \(Self.publicToken)"]), path: "/mcp"),
            case .allow(let admin) = auth.authenticate(head(["Bearer \(Self.adminToken)"]), path: "/mcp")
        else {
            Issue.record("a valid token was refused")
            return
        }
        #expect(tools(reader) == ["open"])
        #expect(tools(admin) == ["open", "reset"])  // never `hidden`: the endpoint's filter drops `secret`
        #expect(reader?.binding != admin?.binding)
        // The same slice is one shared view.
        guard case .allow(let again) = auth.authenticate(head(["Bearer \(Self.publicToken)"]), path: "/mcp") else { return }
        #expect(again?.view === reader?.view)
        #expect(again?.binding == reader?.binding)
        // A token with none of the mapped scopes: 403 insufficient_scope naming them.
        guard case .deny(let status, let headers, _) = auth.authenticate(head(["Bearer \(Self.bareToken)"]), path: "/mcp") else {
            Issue.record("a token without scopes was allowed")
            return
        }
        #expect(status == .forbidden)
        let challenge = headers.first(name: "www-authenticate") ?? ""
        #expect(challenge.hasPrefix(#"Bearer error="insufficient_scope", scope="admin public""#), "\(challenge)")
        #expect(challenge.contains(#"resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp""#))
    }

    /// A host manifest reload changed the endpoint's filter: every slice follows it, the views
    /// sessions already hold included.
    @Test func slicesFollowTheEndpointsFilter() async throws {
        for dedicated in [true, false] {
            let ((auth, _), base) = try await makeWithView(
                #"{"bearer":{"tokensEnv":"TOKENS"},"scopes":{"public":"public","admin":"public or admin"}}"#, dedicated: dedicated)
            guard case .allow(let reader) = auth.authenticate(head(["Bearer \(Self.publicToken)"]), path: "/mcp") else {
                Issue.record("a valid token was refused")
                return
            }
            #expect(tools(reader) == ["open"])
            let retargeted = dedicated ? base.retarget(to: .all) : false
            guard dedicated else {
                #expect(!retargeted, "a shared view is never retargeted")
                continue
            }
            #expect(retargeted)
            #expect(tools(reader) == ["hidden", "open"], "the session's slice view follows the endpoint")
            guard case .allow(let again) = auth.authenticate(head(["Bearer \(Self.publicToken)"]), path: "/mcp") else { return }
            #expect(again?.view === reader?.view)
            guard case .allow(let admin) = auth.authenticate(head(["Bearer \(Self.adminToken)"]), path: "/mcp") else { return }
            #expect(tools(admin) == ["hidden", "open", "reset"])
        }
    }

    @Test func requiredScopesAreEnforced() async throws {
        let (auth, _) = try await make(#"{"bearer":{"tokensEnv":"TOKENS"},"requiredScopes":["admin"]}"#)
        guard case .deny(let status, let headers, _) = auth.authenticate(head(["Bearer \(Self.publicToken)"]), path: "/mcp") else {
            Issue.record("allowed without the required scope")
            return
        }
        #expect(status == .forbidden)
        #expect(headers.first(name: "www-authenticate")?.contains(#"scope="admin""#) == true)
        guard case .allow = auth.authenticate(head(["Bearer \(Self.adminToken)"]), path: "/mcp") else {
            Issue.record("refused with the required scope")
            return
        }
    }

    @Test func jwtCallersAreBoundToIssuerSubjectAndSlice() async throws {
        let signer = TestSigner(key: .es256(P256.Signing.PrivateKey()), kid: "k1")
        let (auth, _) = try await make(
            #"{"jwt":{"issuer":"https://as.example.com","jwksFile":"set-below"},"scopes":{"public":"public","admin":"public or admin"}}"#,
            signers: [signer])
        let now = Int(BearerAuthenticator.now())
        func claims(_ scope: String, aud: String = "http://127.0.0.1:8080/mcp") -> JSONValue {
            ["iss": "https://as.example.com", "aud": .string(aud), "sub": "alice", "exp": .int(now + 300), "scope": .string(scope)]
        }
        guard case .allow(let alice) = auth.authenticate(head(["Bearer \(signer.token(claims("public")))"]), path: "/mcp") else {
            Issue.record("a valid JWT was refused")
            return
        }
        #expect(alice?.name == "jwt:alice")
        #expect(tools(alice) == ["open"])
        guard case .allow(let aliceAdmin) = auth.authenticate(head(["Bearer \(signer.token(claims("admin")))"]), path: "/mcp") else { return }
        #expect(tools(aliceAdmin) == ["open", "reset"])
        #expect(aliceAdmin?.binding != alice?.binding)
        // The audience is this endpoint as the request reached it.
        guard case .deny(let status, _, _) = auth.authenticate(head(["Bearer \(signer.token(claims("public")))"], host: "localhost:8080"), path: "/mcp") else {
            Issue.record("a token for another resource URI was accepted")
            return
        }
        #expect(status == .unauthorized)
    }

    @Test func metadataDocumentAndURLs() throws {
        let settings = try AuthSettings(json(#"{"jwt":{"issuer":"https://as.example.com","jwksFile":"k"},"scopes":{"b":"x","a":"y"}}"#))
        let metadata = ProtectedResourceMetadata(settings: settings, endpoint: .init(scheme: "https", path: "/api/mcp"))
        #expect(metadata.resourceURI(host: "mcp.example.com") == "https://mcp.example.com/api/mcp")
        #expect(metadata.metadataURL(forResource: "https://mcp.example.com/api/mcp")
            == "https://mcp.example.com/.well-known/oauth-protected-resource/api/mcp")
        #expect(metadata.metadataURL(forResource: "https://mcp.example.com") == "https://mcp.example.com/.well-known/oauth-protected-resource")
        #expect(metadata.paths == ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/api/mcp"])
        let document = try JSONValue.parse(metadata.document(resource: "https://mcp.example.com/api/mcp"))
        #expect(document == [
            "resource": "https://mcp.example.com/api/mcp", "authorization_servers": ["https://as.example.com"],
            "scopes_supported": ["a", "b"], "bearer_methods_supported": ["header"],
        ])
        #expect(WWWAuthenticate.quoted("a\"b\\c\nd") == "abcd")
    }
}
