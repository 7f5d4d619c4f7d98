import ManifoldProtocol
import Yams

/// How plain (unquoted) scalars are typed: the YAML 1.2 core schema, the one JSON users expect.
/// Unlike YAML 1.1 (Yams' default), `yes`/`no`/`on`/`off` stay strings, there are no
/// sexagesimal numbers or timestamps, and `<<` is only a merge key when used as a key.
enum YAMLCoreSchema {
    // swiftlint:disable force_try
    static let resolver: Resolver = try! Resolver.basic
        .appending(.null, "^(?:~|null|Null|NULL|)$")
        .appending(.bool, "^(?:true|True|TRUE|false|False|FALSE)$")
        .appending(.int, "^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
        .appending(.float, "^(?:[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                           + "|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$")
    // swiftlint:enable force_try
}

/// What a scalar is, once its tag is resolved (quoted scalars are always strings).
enum YAMLScalarKind: Equatable {
    case string
    case null
    case bool(Bool)
    /// An integer, as JSON number text (decimal, no sign plus, no leading zeros).
    case integer(String)
    /// A float, as JSON number text; nil for `.inf` / `.nan`, which JSON cannot represent.
    case float(String?)

    init(_ scalar: Node.Scalar) {
        let tag = Node.scalar(scalar).tag.rawValue
        let text = scalar.string
        switch tag {
        case Tag.Name.null.rawValue:
            self = .null
        case Tag.Name.bool.rawValue:
            self = .bool(text.lowercased() == "true")
        case Tag.Name.int.rawValue:
            if let json = Self.integerJSON(text) { self = .integer(json) } else { self = .string }
        case Tag.Name.float.rawValue:
            self = .float(Self.floatJSON(text))
        default:
            self = .string
        }
    }

    /// "a string", "an integer", … for "must be X, found Y" messages.
    var article: String {
        switch self {
        case .string: return "a string"
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer: return "an integer"
        case .float: return "a number"
        }
    }

    private static func integerJSON(_ text: String) -> String? {
        var body = Substring(text)
        var negative = false
        if body.hasPrefix("+") { body = body.dropFirst() } else if body.hasPrefix("-") {
            negative = true
            body = body.dropFirst()
        }
        let magnitude: String
        if body.hasPrefix("0x") || body.hasPrefix("0o") {
            guard let value = UInt64(body.dropFirst(2), radix: body.hasPrefix("0x") ? 16 : 8) else { return nil }
            magnitude = String(value)
        } else {
            let trimmed = body.drop(while: { $0 == "0" })
            magnitude = trimmed.isEmpty ? "0" : String(trimmed)
        }
        return negative && magnitude != "0" ? "-" + magnitude : magnitude
    }

    private static func floatJSON(_ text: String) -> String? {
        if isJSONNumber(text) { return text }
        guard let value = Double(text), value.isFinite else { return nil }
        if case .number(let json) = JSONValue.double(value) { return json }
        return nil
    }

    /// JSON's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`.
    static func isJSONNumber(_ text: String) -> Bool {
        var chars = Substring(text)
        if chars.hasPrefix("-") { chars = chars.dropFirst() }
        func digits() -> Int {
            let run = chars.prefix(while: \.isASCIIDigit)
            chars = chars.dropFirst(run.count)
            return run.count
        }
        if chars.hasPrefix("0") { chars = chars.dropFirst() } else if digits() == 0 { return false }
        if chars.hasPrefix(".") {
            chars = chars.dropFirst()
            if digits() == 0 { return false }
        }
        if chars.hasPrefix("e") || chars.hasPrefix("E") {
            chars = chars.dropFirst()
            if chars.hasPrefix("+") || chars.hasPrefix("-") { chars = chars.dropFirst() }
            if digits() == 0 { return false }
        }
        return chars.isEmpty
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
