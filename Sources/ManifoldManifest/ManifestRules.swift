/// The value rules manifests share, as plain predicates (no regular expressions needed).
enum ManifestRules {
    /// `^[A-Za-z0-9_.-]{1,64}$`: plugin ids, prefixes, exposed tool names (DESIGN.md §6).
    static func isName(_ text: String) -> Bool {
        (1...64).contains(text.unicodeScalars.count)
            && text.unicodeScalars.allSatisfy { isNameScalar($0) }
    }

    static let nameRule = "1 to 64 letters, digits, '_', '.' or '-'"

    private static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", ".", "-": return true
        default: return false
        }
    }

    /// 64 hexadecimal digits, either case.
    static func isSHA256(_ text: String) -> Bool {
        text.unicodeScalars.count == 64 && text.unicodeScalars.allSatisfy(\.properties.isASCIIHexDigit)
    }

    /// `N.M`: two unsigned decimal integers.
    static func isABIVersion(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }
    }

    /// 1 to 4 characters among `_`, `.`, `-`.
    static func isSeparator(_ text: String) -> Bool {
        (1...4).contains(text.count) && text.allSatisfy { "_.-".contains($0) }
    }

    /// `host:port` with a port in 0…65535; an IPv6 host is bracketed (`[::1]:8080`).
    static func isListenAddress(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":") else { return false }
        let host = text[..<colon]
        let port = text[text.index(after: colon)...]
        guard !host.isEmpty, !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCIIDigit),
              let number = Int(port), number <= 65535 else { return false }
        if host.hasPrefix("[") { return host.hasSuffix("]") && host.count > 2 }
        return !host.contains(":") && !host.contains(where: \.isWhitespace)
    }
}
