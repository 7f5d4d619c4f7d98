import Crypto

/// The static bearer tokens of an endpoint (`auth.bearer`), for small deployments: each token
/// with the scopes it carries, looked up in constant time.
///
/// Tokens are never kept as they were given: each is stored as its HMAC-SHA-256 under a key
/// drawn at random when the process starts. A presented token is hashed the same way and its
/// digest compared with *every* stored digest (`ConstantTime`), with no early exit, so the time
/// a lookup takes depends neither on which token matched nor on how long a prefix of some token
/// the caller guessed, nor on the length of any configured token — only on the length of the
/// presented one (which the caller knows anyway) and on how many tokens are configured.
///
/// Source format (the environment variable `tokensEnv` names, or the file `tokensFile` names):
/// one entry per line (a `,` also separates entries, so an environment variable can hold several
/// on one line); an entry is the token followed by its scopes, separated by spaces; blank lines
/// and lines starting with `#` are ignored:
///
///     # token                                   scopes
///     5Jc0oT1ZmFq4xw2YkS3v7aPbN9uRt6dE          public
///     Zx8Kq2Lm7Np4Rs1Tv6Wy3Ab9Cd5Ef0Gh          public admin
///
/// Tokens are RFC 6750 `b64token`s (letters, digits, `-._~+/`, trailing `=`) of at least 16
/// characters; each token may appear once. A token is named `token#N` (N: its position, from 1)
/// in logs and session bindings — the token itself is never logged.
struct StaticTokenTable: Sendable {
    struct Entry: Sendable {
        var name: String
        var scopes: Set<String>
        fileprivate var digest: [UInt8]
    }

    /// What a configured entry looked like before hashing (parsing is separate so it can be tested).
    struct ParsedEntry: Equatable {
        var token: String
        var scopes: [String]
    }

    static let minimumLength = 16

    private let key: SymmetricKey
    /// All digests back to back (32 bytes each), so a lookup walks one contiguous buffer.
    private let digests: [UInt8]
    let entries: [Entry]

    init(_ parsed: [ParsedEntry]) {
        let key = SymmetricKey(size: .bits256)
        self.key = key
        var digests: [UInt8] = []
        var entries: [Entry] = []
        for (index, entry) in parsed.enumerated() {
            let digest = Self.digest(Array(entry.token.utf8), key: key)
            digests += digest
            entries.append(Entry(name: "token#\(index + 1)", scopes: Set(entry.scopes), digest: digest))
        }
        self.digests = digests
        self.entries = entries
    }

    private static func digest(_ token: [UInt8], key: SymmetricKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: token, using: key))
    }

    /// The entry whose token is `token`, or nil. Constant time in the sense above.
    func lookup(_ token: [UInt8]) -> Entry? {
        let presented = Self.digest(token, key: key)
        var found: UInt32 = 0
        var index: UInt32 = 0
        presented.withUnsafeBufferPointer { p in
            digests.withUnsafeBufferPointer { all in
                for i in 0..<entries.count {
                    let stored = UnsafeBufferPointer(rebasing: all[(i * 32)..<(i * 32 + 32)])
                    let match = ConstantTime.isZero(ConstantTime.difference(p, stored))
                    found |= match
                    // Select i + 1 when this entry matched, without branching on it.
                    index |= UInt32(i + 1) & (0 &- match)
                }
            }
        }
        guard found == 1, index > 0 else { return nil }
        return entries[Int(index) - 1]
    }

    // MARK: Parsing

    /// Parses a token source (see the type's documentation). `source` names it in errors
    /// ("the environment variable MANIFOLD_TOKENS", "tokens.txt"); errors never quote a token.
    static func parse(_ text: String, source: String) throws(HTTPConfigurationError) -> [ParsedEntry] {
        var result: [ParsedEntry] = []
        var lineNumber = 0
        // `isNewline`, not "\n": in a Swift String "\r\n" is one Character, which a split on "\n" misses.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline }) {
            lineNumber += 1
            let trimmed = String(line).trimmingSpaces
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            for entry in trimmed.split(separator: ",") {
                let words = entry.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard let token = words.first else { continue }
                guard isB64Token(token) else {
                    throw HTTPConfigurationError("\(source), line \(lineNumber): a token may contain only letters, digits, '-', '.', '_', '~', '+', '/' and trailing '='")
                }
                guard token.count >= minimumLength else {
                    throw HTTPConfigurationError("\(source), line \(lineNumber): a token must be at least \(minimumLength) characters long (use a random one, e.g. `openssl rand -base64 32`)")
                }
                result.append(ParsedEntry(token: String(token), scopes: words.dropFirst().map(String.init)))
            }
        }
        var seen = Set<String>()
        for entry in result where !seen.insert(entry.token).inserted {
            throw HTTPConfigurationError("\(source): the same token is listed twice")
        }
        return result
    }

    /// RFC 6750 §2.1: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
    static func isB64Token<S: StringProtocol>(_ text: S) -> Bool {
        var sawPadding = false
        var count = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "="):
                sawPadding = true
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                if sawPadding { return false }
                count += 1
            default:
                return false
            }
        }
        return count > 0
    }
}
