/// A boolean expression over tags, as written in manifests: `public and not admin`,
/// `(math or text) and not experimental`. `not` binds tightest, then `and`, then `or`.
/// Tag names are `[A-Za-z0-9_.:/-]+`; the words `and`, `or`, `not` are operators.
public indirect enum TagExpression: Sendable, Hashable, CustomStringConvertible {
    case tag(String)
    case not(TagExpression)
    case and(TagExpression, TagExpression)
    case or(TagExpression, TagExpression)

    public func matches(_ tags: Set<String>) -> Bool {
        switch self {
        case .tag(let t): return tags.contains(t)
        case .not(let e): return !e.matches(tags)
        case .and(let a, let b): return a.matches(tags) && b.matches(tags)
        case .or(let a, let b): return a.matches(tags) || b.matches(tags)
        }
    }

    public var description: String {
        switch self {
        case .tag(let t): return t
        case .not(let e): return "not \(e.parenthesized)"
        case .and(let a, let b): return "\(a.parenthesized) and \(b.parenthesized)"
        case .or(let a, let b): return "\(a.parenthesized) or \(b.parenthesized)"
        }
    }

    private var parenthesized: String {
        switch self {
        case .tag, .not: return description
        default: return "(\(description))"
        }
    }

    /// Parses an expression; the error names the position and what was expected.
    public static func parse(_ text: String) throws(TagExpressionError) -> TagExpression {
        var parser = Parser(tokens: try tokenize(text), text: text)
        let expression = try parser.parseOr()
        guard parser.index == parser.tokens.count else {
            throw TagExpressionError(text: text, message: "unexpected '\(parser.tokens[parser.index].text)'")
        }
        return expression
    }

    private struct Token {
        enum Kind { case word, open, close }
        var kind: Kind
        var text: String
    }

    private static func tokenize(_ text: String) throws(TagExpressionError) -> [Token] {
        var tokens: [Token] = []
        var word = ""
        func flush() {
            if !word.isEmpty { tokens.append(Token(kind: .word, text: word)); word = "" }
        }
        for ch in text {
            switch ch {
            case "(": flush(); tokens.append(Token(kind: .open, text: "("))
            case ")": flush(); tokens.append(Token(kind: .close, text: ")"))
            case " ", "\t", "\n": flush()
            default:
                guard ch.isLetter || ch.isNumber || "_.:/-".contains(ch) else {
                    throw TagExpressionError(text: text, message: "unexpected character '\(ch)'")
                }
                word.append(ch)
            }
        }
        flush()
        guard !tokens.isEmpty else { throw TagExpressionError(text: text, message: "the expression is empty") }
        return tokens
    }

    private struct Parser {
        var tokens: [Token]
        var text: String
        var index = 0

        init(tokens: [Token], text: String) {
            self.tokens = tokens
            self.text = text
        }

        func peekWord(_ w: String) -> Bool {
            index < tokens.count && tokens[index].kind == .word && tokens[index].text.lowercased() == w
        }

        mutating func parseOr() throws(TagExpressionError) -> TagExpression {
            var left = try parseAnd()
            while peekWord("or") {
                index += 1
                left = .or(left, try parseAnd())
            }
            return left
        }

        mutating func parseAnd() throws(TagExpressionError) -> TagExpression {
            var left = try parseNot()
            while peekWord("and") {
                index += 1
                left = .and(left, try parseNot())
            }
            return left
        }

        mutating func parseNot() throws(TagExpressionError) -> TagExpression {
            if peekWord("not") {
                index += 1
                return .not(try parseNot())
            }
            return try parseAtom()
        }

        mutating func parseAtom() throws(TagExpressionError) -> TagExpression {
            guard index < tokens.count else {
                throw TagExpressionError(text: text, message: "expected a tag or '(' at the end")
            }
            let token = tokens[index]
            index += 1
            switch token.kind {
            case .open:
                let inner = try parseOr()
                guard index < tokens.count, tokens[index].kind == .close else {
                    throw TagExpressionError(text: text, message: "missing ')'")
                }
                index += 1
                return inner
            case .close:
                throw TagExpressionError(text: text, message: "unexpected ')'")
            case .word:
                if ["and", "or", "not"].contains(token.text.lowercased()) {
                    throw TagExpressionError(text: text, message: "expected a tag before '\(token.text)'")
                }
                return .tag(token.text)
            }
        }
    }
}

/// A tag expression that could not be parsed.
public struct TagExpressionError: Error, Sendable, CustomStringConvertible {
    public var text: String
    public var message: String
    public var description: String { "invalid tag filter '\(text)': \(message)" }
}
