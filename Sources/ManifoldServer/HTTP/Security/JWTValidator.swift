import Dispatch
import JWTKit
import ManifoldProtocol
import Synchronization

/// Validates JWT access tokens as an OAuth 2.1 resource server: the signature with a key from
/// the configured JWKS, then the claims (`JWTClaimsPolicy`).
///
/// The cryptography is jwt-kit's (on swift-crypto): at start, every key of the JWKS file is
/// turned into a jwt-kit verifier for each algorithm it may be used with. Per request the
/// validator only parses the token (strict base64url, JSON objects without duplicate members),
/// picks the verifiers whose `alg` equals the header's (and whose `kid` equals the header's,
/// when it names one) and asks them — synchronously, on the event loop; nothing is fetched.
///
/// Refused outright: `alg` not in the accepted list (never `none`, never a symmetric `HS*` — a
/// JWKS holds public keys), a header with `crit` (no extension is understood), a token longer
/// than 16 KiB.
struct JWTValidator: Sendable {
    /// A key of the JWKS, ready to verify signatures of one algorithm.
    struct Key: Sendable {
        var kid: String?
        var algorithm: String
        var verifier: any JWTAlgorithm
    }

    /// What a valid token says about its bearer.
    struct Claims: Sendable, Equatable {
        var subject: String
        var issuer: String
        var scopes: Set<String>
    }

    static let supportedAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
    static let maximumLength = 16 * 1024

    let keys: [Key]
    let policy: JWTClaimsPolicy

    init(keys: [Key], policy: JWTClaimsPolicy) {
        self.keys = keys
        self.policy = policy
    }

    /// Checks `token`; `expectedAudiences` are used when the policy names none.
    func validate(_ token: [UInt8], expectedAudiences: [String], now: Double) -> Result<Claims, JWTRejection> {
        guard token.count <= Self.maximumLength else { return .failure(.malformed("too long")) }
        guard let firstDot = token.firstIndex(of: UInt8(ascii: ".")),
            let secondDot = token[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")),
            !token[(secondDot + 1)...].contains(UInt8(ascii: "."))
        else { return .failure(.malformed("not three dot-separated parts")) }
        guard let headerBytes = Base64URL.decode(token[..<firstDot]),
            let payloadBytes = Base64URL.decode(token[(firstDot + 1)..<secondDot]),
            let signature = Base64URL.decode(token[(secondDot + 1)...])
        else { return .failure(.malformed("not base64url")) }
        guard let header = Self.object(headerBytes) else { return .failure(.malformed("the header is not a JSON object")) }
        guard let alg = header["alg"]?.stringValue else { return .failure(.malformed("no alg")) }
        guard Self.supportedAlgorithms.contains(alg) else { return .failure(.unsupportedAlgorithm(alg)) }
        guard header["crit"] == nil else { return .failure(.malformed("unsupported critical header parameters")) }
        let kid: String?
        switch header["kid"] {
        case nil: kid = nil
        case .string(let value)?: kid = value
        default: return .failure(.malformed("kid is not a string"))
        }
        let candidates = keys.filter { $0.algorithm == alg && (kid == nil || $0.kid == kid) }
        guard !candidates.isEmpty else {
            return .failure(keys.contains(where: { $0.algorithm == alg }) || kid != nil ? .unknownKey : .unsupportedAlgorithm(alg))
        }
        let signingInput = token[..<secondDot]
        var verified = false
        for key in candidates where !verified {
            // A verifier throws on a signature of the wrong shape (e.g. a DER one for ES256).
            verified = (try? key.verifier.verify(signature, signs: signingInput)) ?? false
        }
        guard verified else { return .failure(.badSignature) }
        guard let claims = Self.object(payloadBytes) else { return .failure(.malformed("the payload is not a JSON object")) }
        if let rejection = policy.check(claims, expectedAudiences: expectedAudiences, now: now) {
            return .failure(rejection)
        }
        let subject = claims["sub"]?.stringValue ?? claims["client_id"]?.stringValue ?? ""
        return .success(Claims(subject: subject, issuer: policy.issuer, scopes: JWTClaimsPolicy.scopes(of: claims)))
    }

    /// A JSON object without duplicate member names (RFC 7515 §5.2: a duplicate must be
    /// refused or the last one used — refusing keeps two parsers from disagreeing about a claim).
    static func object(_ bytes: [UInt8]) -> JSONObject? {
        guard let value = try? JSONValue.parse(bytes), let object = value.objectValue else { return nil }
        var seen = Set<String>()
        for member in object where !seen.insert(member.key).inserted { return nil }
        return object
    }

    // MARK: Keys

    /// The verifiers for every key of a JWKS document, one per algorithm a key may be used
    /// with: its `alg` when it names one, else every accepted algorithm of its kind (RSA → RS*
    /// and PS*; EC → ES256/ES384/ES512 by curve; OKP Ed25519 → EdDSA). Keys whose `use` is not
    /// `sig` are skipped; private members (`d`, `p`, `q`, …) are dropped before jwt-kit sees them;
    /// symmetric keys (`kty: oct`) are refused.
    static func keys(jwks: [UInt8], accepted: Set<String>, source: String) async throws(HTTPConfigurationError) -> [Key] {
        guard let document = try? JSONValue.parse(jwks), let list = document["keys"]?.arrayValue else {
            throw HTTPConfigurationError("\(source): not a JWKS document (a JSON object with a \"keys\" array)")
        }
        var result: [Key] = []
        for (index, entry) in list.enumerated() {
            guard var jwk = entry.objectValue, let kty = jwk["kty"]?.stringValue else {
                throw HTTPConfigurationError("\(source): key \(index + 1) is not a JWK (no kty)")
            }
            if let use = jwk["use"]?.stringValue, use != "sig" { continue }
            if kty == "oct" {
                throw HTTPConfigurationError("\(source): key \(index + 1) is symmetric (kty oct); a JWKS for this server holds public keys only")
            }
            let algorithms: [String]
            if let alg = jwk["alg"]?.stringValue {
                guard supportedAlgorithms.contains(alg) else {
                    throw HTTPConfigurationError("\(source): key \(index + 1) has alg '\(alg)'; supported: \(supportedAlgorithms.joined(separator: ", "))")
                }
                algorithms = accepted.contains(alg) ? [alg] : []
            } else {
                switch (kty, jwk["crv"]?.stringValue) {
                case ("RSA", _): algorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"].filter(accepted.contains)
                case ("EC", "P-256"): algorithms = ["ES256"].filter(accepted.contains)
                case ("EC", "P-384"): algorithms = ["ES384"].filter(accepted.contains)
                case ("EC", "P-521"): algorithms = ["ES512"].filter(accepted.contains)
                case ("OKP", "Ed25519"): algorithms = ["EdDSA"].filter(accepted.contains)
                default:
                    throw HTTPConfigurationError("\(source): key \(index + 1) (kty \(kty)) is of a kind this server cannot verify")
                }
            }
            let kid = jwk["kid"]?.stringValue
            var publicMembers = JSONObject()
            for member in jwk where !["d", "p", "q", "dp", "dq", "qi", "oth", "alg", "kid", "use", "key_ops"].contains(member.key) {
                publicMembers[member.key] = member.value
            }
            jwk = publicMembers
            for algorithm in algorithms {
                var withAlg = jwk
                withAlg["alg"] = .string(algorithm)
                withAlg["kid"] = .string("k")
                let set = JSONValue.object(["keys": .array([.object(withAlg)])]).jsonText
                do {
                    let collection = JWTKeyCollection()
                    try await collection.add(jwksJSON: set)
                    let verifier = try await collection.getKey(for: JWKIdentifier(string: "k"), alg: algorithm)
                    result.append(Key(kid: kid, algorithm: algorithm, verifier: verifier))
                } catch {
                    throw HTTPConfigurationError("\(source): key \(index + 1) cannot be used for \(algorithm): \(error)")
                }
            }
        }
        guard !result.isEmpty else {
            throw HTTPConfigurationError("\(source): no key usable for signatures with the accepted algorithms (\(accepted.sorted().joined(separator: ", ")))")
        }
        return result
    }

    /// `keys(jwks:…)` for synchronous callers at start-up (the server's main thread). Never call
    /// it from a task on Swift's cooperative pool: it blocks its thread until the load finishes.
    static func keysBlocking(jwks: [UInt8], accepted: Set<String>, source: String) throws(HTTPConfigurationError) -> [Key] {
        final class Box: Sendable { let result = Mutex<Result<[Key], HTTPConfigurationError>?>(nil) }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            let result: Result<[Key], HTTPConfigurationError>
            do throws(HTTPConfigurationError) {
                result = .success(try await keys(jwks: jwks, accepted: accepted, source: source))
            } catch {
                result = .failure(error)
            }
            box.result.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try box.result.withLock { $0! }.get()
    }
}
