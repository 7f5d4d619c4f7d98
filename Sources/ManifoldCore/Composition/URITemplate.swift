/// An RFC 6570 URI template, for matching concrete URIs against `resources/templates/list`
/// entries. Supports the forms resource templates use: `{var}` (one path segment: no `/`, `?`
/// or `#`), `{+var}` and `{#var}` (anything), and a trailing `{?a,b}` query.
public struct URITemplate: Sendable, Hashable {
    enum Part: Sendable, Hashable {
        case literal(String)
        case variable(name: String, reserved: Bool)
        case query([String])
    }

    let parts: [Part]
    public let text: String

    public init(_ text: String) {
        self.text = text
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
            var body = rest[rest.index(after: open)..<close]
            if body.first == "?" || body.first == "&" {
                body = body.dropFirst()
                parts.append(.query(body.split(separator: ",").map(String.init)))
            } else {
                let reserved = body.first == "+" || body.first == "#"
                if reserved { body = body.dropFirst() }
                parts.append(.variable(name: String(body), reserved: reserved))
            }
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    /// The variables of `uri` if it matches, else nil.
    public func match(_ uri: String) -> [String: String]? {
        var values: [String: String] = [:]
        return match(parts[...], Substring(uri), &values) ? values : nil
    }

    private func match(_ parts: ArraySlice<Part>, _ input: Substring, _ values: inout [String: String]) -> Bool {
        guard let part = parts.first else { return input.isEmpty }
        let rest = parts.dropFirst()
        switch part {
        case .literal(let text):
            guard input.hasPrefix(text) else { return false }
            return match(rest, input.dropFirst(text.count), &values)
        case .query(let names):
            guard !input.isEmpty else { return rest.isEmpty }
            guard input.first == "?", rest.isEmpty else { return false }
            for pair in input.dropFirst().split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if let key = kv.first, names.contains(String(key)) {
                    values[String(key)] = kv.count > 1 ? String(kv[1]) : ""
                }
            }
            return true
        case .variable(let name, let reserved):
            // Try the longest candidate first, then shorter ones (backtracking on literals).
            var end = input.endIndex
            if !reserved, let stop = input.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
                end = stop
            }
            var candidate = end
            while candidate > input.startIndex {
                if match(rest, input[candidate...], &values) {
                    values[name] = String(input[input.startIndex..<candidate])
                    return true
                }
                candidate = input.index(before: candidate)
            }
            return false
        }
    }
}
