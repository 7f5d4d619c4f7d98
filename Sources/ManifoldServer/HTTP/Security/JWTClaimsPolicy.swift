import ManifoldProtocol

/// Why a JWT was refused. The description goes into `error_description` of the
/// `WWW-Authenticate` challenge and into the debug log; it never quotes the token.
enum JWTRejection: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case unsupportedAlgorithm(String)
    case unknownKey
    case badSignature
    case wrongIssuer
    case wrongAudience
    case missingExpiry
    case expired
    case notYetValid

    var description: String {
        switch self {
        case .malformed(let why): return "malformed token: \(why)"
        case .unsupportedAlgorithm(let alg): return "algorithm '\(alg)' is not accepted"
        case .unknownKey: return "no key of the JWKS matches the token's kid and alg"
        case .badSignature: return "bad signature"
        case .wrongIssuer: return "the token was issued by another issuer"
        case .wrongAudience: return "the token is meant for another resource (audience)"
        case .missingExpiry: return "the token has no expiry (exp)"
        case .expired: return "the token has expired"
        case .notYetValid: return "the token is not valid yet (nbf)"
        }
    }
}

/// The claims an access token must carry to be accepted here (RFC 9068, RFC 8707, and MCP's
/// authorization spec): a pure value, tested without keys or sockets.
///
/// - `iss` equals the configured issuer exactly.
/// - `aud` (a string or an array) contains one of the expected audiences — by default this
///   server's resource URI (the MCP endpoint's URL), so a token minted for another resource is
///   refused even when the same authorization server signed it. A trailing `/` is ignored on
///   both sides.
/// - `exp` is present and not past (with `leeway` seconds of clock skew); `nbf`, when present,
///   not in the future (same leeway).
struct JWTClaimsPolicy: Sendable, Equatable {
    var issuer: String
    /// nil: the endpoint's resource URI.
    var audiences: [String]?
    var leewaySeconds: Double = 60

    func check(_ claims: JSONObject, expectedAudiences: [String], now: Double) -> JWTRejection? {
        guard let iss = claims["iss"]?.stringValue, iss == issuer else { return .wrongIssuer }
        let wanted = Set((audiences ?? expectedAudiences).map(Self.normalizedAudience))
        let presented: [String]
        switch claims["aud"] {
        case .string(let one)?: presented = [one]
        case .array(let many)?: presented = many.compactMap(\.stringValue)
        default: presented = []
        }
        guard presented.contains(where: { wanted.contains(Self.normalizedAudience($0)) }) else { return .wrongAudience }
        guard let expValue = claims["exp"] else { return .missingExpiry }
        guard let exp = expValue.doubleValue else { return .malformed("exp is not a number") }
        if now > exp + leewaySeconds { return .expired }
        if let nbfValue = claims["nbf"] {
            guard let nbf = nbfValue.doubleValue else { return .malformed("nbf is not a number") }
            if now + leewaySeconds < nbf { return .notYetValid }
        }
        return nil
    }

    static func normalizedAudience(_ text: String) -> String {
        text.hasSuffix("/") && text.count > 1 ? String(text.dropLast()) : text
    }

    /// The scopes a token grants: `scope` (a space-separated string, RFC 8693 / RFC 9068) or
    /// `scp` (an array of strings, or a space-separated string, as some providers send).
    static func scopes(of claims: JSONObject) -> Set<String> {
        var result = Set<String>()
        for key in ["scope", "scp"] {
            switch claims[key] {
            case .string(let text)?:
                for word in text.split(separator: " ") { result.insert(String(word)) }
            case .array(let items)?:
                for item in items { if let s = item.stringValue { result.insert(s) } }
            default:
                break
            }
        }
        return result
    }
}
