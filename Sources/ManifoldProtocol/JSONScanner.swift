#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a JSON text could not be read, with the byte offset where reading stopped.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// A single-pass, allocation-free reader over JSON bytes. It validates while it moves, can skip
/// a whole value (returning its byte range), walk an object's members, and decode strings —
/// the primitives the hot path uses to find `id`, `method` and `params` without building a tree.
/// `parseValue()` builds a `JSONValue` for the cold paths.
///
/// Nesting deeper than `maxDepth` is refused, so hostile input cannot exhaust the stack.
public struct JSONScanner: ~Copyable {
    public let base: UnsafeRawBufferPointer
    public private(set) var position: Int
    public static let maxDepth = 256

    public init(_ base: UnsafeRawBufferPointer, position: Int = 0) {
        self.base = base
        self.position = position
    }

    // MARK: Primitives

    @inline(__always)
    public mutating func skipWhitespace() {
        while position < base.count {
            let c = base[position]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { position += 1 } else { return }
        }
    }

    @inline(__always)
    public var atEnd: Bool { position >= base.count }

    @inline(__always)
    public func peek() -> UInt8? { position < base.count ? base[position] : nil }

    public func error(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(offset: position, reason: reason) }

    /// Consumes `c` (after whitespace) or throws.
    public mutating func expect(_ c: UInt8) throws(JSONSyntaxError) {
        skipWhitespace()
        guard position < base.count, base[position] == c else {
            throw error("expected '\(Character(Unicode.Scalar(c)))'")
        }
        position += 1
    }

    /// Skips one value (validating it) and returns its byte range.
    public mutating func skipValue() throws(JSONSyntaxError) -> Range<Int> {
        skipWhitespace()
        let start = position
        try skipValue(depth: 0)
        return start..<position
    }

    // The hot loops below index `base` directly and keep positions in locals: they run over
    // every byte of every message and result (BENCHMARKS.md). Error offsets are unchanged.

    private mutating func skipValue(depth: Int) throws(JSONSyntaxError) {
        guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
        skipWhitespace()
        guard position < base.count else { throw error("unexpected end of input") }
        switch base[position] {
        case UInt8(ascii: "{"):
            position += 1
            skipWhitespace()
            if position < base.count && base[position] == UInt8(ascii: "}") { position += 1; return }
            while true {
                skipWhitespace()
                guard position < base.count && base[position] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                try skipString()
                skipWhitespace()
                guard position < base.count, base[position] == UInt8(ascii: ":") else { throw error("expected ':'") }
                position += 1
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard position < base.count else { throw error("unterminated object") }
                let next = base[position]
                position += 1
                if next == UInt8(ascii: "}") { return }
                guard next == UInt8(ascii: ",") else { position -= 1; throw error("expected ',' or '}'") }
            }
        case UInt8(ascii: "["):
            position += 1
            skipWhitespace()
            if position < base.count && base[position] == UInt8(ascii: "]") { position += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard position < base.count else { throw error("unterminated array") }
                let next = base[position]
                position += 1
                if next == UInt8(ascii: "]") { return }
                guard next == UInt8(ascii: ",") else { position -= 1; throw error("expected ',' or ']'") }
            }
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default:
            _ = try scanNumber()
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        guard position + count <= base.count else { throw error("invalid literal") }
        let ok = word.withUTF8Buffer { w in
            for i in 0..<count where base[position + i] != w[i] { return false }
            return true
        }
        guard ok else { throw error("invalid literal") }
        position += count
    }

    /// Scans a number per RFC 8259 and returns its range.
    public mutating func scanNumber() throws(JSONSyntaxError) -> Range<Int> {
        let start = position
        let count = base.count
        var i = position
        if i < count && base[i] == UInt8(ascii: "-") { i += 1 }
        guard i < count, isDigit(base[i]) else { position = i; throw error("invalid value") }
        let first = base[i]
        i += 1
        if first != UInt8(ascii: "0") { while i < count && isDigit(base[i]) { i += 1 } }
        if i < count && base[i] == UInt8(ascii: ".") {
            i += 1
            guard i < count, isDigit(base[i]) else { position = i; throw error("invalid number") }
            while i < count && isDigit(base[i]) { i += 1 }
        }
        if i < count && (base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E")) {
            i += 1
            if i < count && (base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < count, isDigit(base[i]) else { position = i; throw error("invalid number") }
            while i < count && isDigit(base[i]) { i += 1 }
        }
        position = i
        return start..<position
    }

    @inline(__always) private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// Skips a string literal (at the opening quote), validating escapes. Returns true if the
    /// string contained any escape sequence.
    @discardableResult
    public mutating func skipString() throws(JSONSyntaxError) -> Bool {
        let count = base.count
        guard position < count, base[position] == UInt8(ascii: "\"") else { throw error("expected a string") }
        var i = position + 1
        var escaped = false
        while i < count {
            let c = base[i]
            // Printable ASCII other than `"` and `\`: the common case, one test each.
            if c >= 0x20 && c < 0x80 && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") {
                i += 1
                continue
            }
            if c == UInt8(ascii: "\"") {
                position = i + 1
                return escaped
            }
            if c == UInt8(ascii: "\\") {
                escaped = true
                i += 1
                guard i < count else { break }
                switch base[i] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 1
                case UInt8(ascii: "u"):
                    position = i
                    guard i + 4 < count else { throw error("truncated \\u escape") }
                    for k in 1...4 where hexValue(base[i + k]) == nil { throw error("invalid \\u escape") }
                    i += 5
                default:
                    position = i
                    throw error("invalid escape")
                }
                continue
            }
            position = i
            if c < 0x20 { throw error("control character in string") }
            try skipUTF8Sequence(lead: c)
            i = position
        }
        position = i
        throw error("unterminated string")
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most
    /// U+10FFFF) and moves past it. JSON text is UTF-8; invalid bytes are a parse error, so
    /// nothing invalid is ever echoed to a client.
    private mutating func skipUTF8Sequence(lead: UInt8) throws(JSONSyntaxError) {
        let length: Int
        var lowest: UInt8 = 0x80
        var highest: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowest = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; highest = 0x9F
        case 0xF0: length = 4; lowest = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; highest = 0x8F
        default: throw error("invalid UTF-8")
        }
        guard position + length <= base.count else { throw error("invalid UTF-8") }
        let second = base[position + 1]
        guard second >= lowest && second <= highest else { throw error("invalid UTF-8") }
        for i in 2..<max(2, length) where base[position + i] & 0xC0 != 0x80 { throw error("invalid UTF-8") }
        position += length
    }

    /// Reads a string literal and returns its decoded value.
    public mutating func readString() throws(JSONSyntaxError) -> String {
        skipWhitespace()
        let start = position
        let escaped = try skipString()
        let body = UnsafeRawBufferPointer(rebasing: base[(start + 1)..<(position - 1)])
        if !escaped { return String(decoding: body, as: UTF8.self) }
        return Self.unescape(body)
    }

    /// Decodes the body of a validated string literal (without quotes).
    static func unescape(_ body: UnsafeRawBufferPointer) -> String {
        var out = [UInt8]()
        out.reserveCapacity(body.count)
        var i = 0
        func hex4(_ at: Int) -> UInt32 {
            var v: UInt32 = 0
            for k in 0..<4 { v = v << 4 | UInt32(hexValue(body[at + k]) ?? 0) }
            return v
        }
        while i < body.count {
            let c = body[i]
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            let e = body[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(i)
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00, i + 6 <= body.count,
                    body[i] == UInt8(ascii: "\\"), body[i + 1] == UInt8(ascii: "u")
                {
                    let low = hex4(i + 2)
                    if low >= 0xDC00 && low < 0xE000 {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(s)).utf8))
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Objects

    /// Walks an object like `forEachMember`, but gives each key as the byte range of its text
    /// (between the quotes) and whether it holds escapes, instead of a decoded String — for the
    /// hot path, which compares keys with `key(_:equals:)` and allocates nothing.
    public mutating func forEachMemberRaw(
        _ body: (_ key: Range<Int>, _ escaped: Bool, inout JSONScanner) throws(JSONSyntaxError) -> Void
    ) throws(JSONSyntaxError) {
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if position < base.count && base[position] == UInt8(ascii: "}") { position += 1; return }
        while true {
            skipWhitespace()
            let keyStart = position
            let escaped = try skipString()
            let key = (keyStart + 1)..<(position - 1)
            skipWhitespace()
            guard position < base.count, base[position] == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            skipWhitespace()
            try body(key, escaped, &self)
            skipWhitespace()
            guard position < base.count else { throw error("unterminated object") }
            let next = base[position]
            position += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { position -= 1; throw error("expected ',' or '}'") }
        }
    }

    /// Whether the key text at `range` (as `forEachMemberRaw` gives it) is `name`.
    public func key(_ range: Range<Int>, escaped: Bool, equals name: StaticString) -> Bool {
        name.withUTF8Buffer { Self.key(range, escaped: escaped, in: base, equals: UnsafeRawBufferPointer($0)) }
    }

    /// Whether the key text at `range` of `bytes` (escaped or not) is `name`'s UTF-8.
    public static func key(_ range: Range<Int>, escaped: Bool, in bytes: UnsafeRawBufferPointer,
                           equals name: UnsafeRawBufferPointer) -> Bool {
        if escaped {
            return Array(unescape(UnsafeRawBufferPointer(rebasing: bytes[range])).utf8).elementsEqual(name)
        }
        guard range.count == name.count else { return false }
        return range.isEmpty || memcmp(bytes.baseAddress! + range.lowerBound, name.baseAddress!, range.count) == 0
    }

    /// Walks an object at the current position, calling `body(key, scanner)` with the scanner
    /// positioned at each member's value. `body` must consume the value (e.g. `skipValue()`).
    public mutating func forEachMember(
        _ body: (String, inout JSONScanner) throws(JSONSyntaxError) -> Void
    ) throws(JSONSyntaxError) {
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { position += 1; return }
        while true {
            skipWhitespace()
            let key = try readString()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            try body(key, &self)
            skipWhitespace()
            guard let next = peek() else { throw error("unterminated object") }
            position += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { position -= 1; throw error("expected ',' or '}'") }
        }
    }

    // MARK: Trees

    /// Parses one value into a tree.
    public mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        try parseValue(depth: 0)
    }

    private mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
        skipWhitespace()
        guard let c = peek() else { throw error("unexpected end of input") }
        switch c {
        case UInt8(ascii: "{"):
            var members: [JSONObject.Member] = []
            try forEachMember { (key, scanner: inout JSONScanner) throws(JSONSyntaxError) in
                members.append(.init(key: key, value: try scanner.parseValue(depth: depth + 1)))
            }
            return .object(JSONObject(members))
        case UInt8(ascii: "["):
            position += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { position += 1; return .array([]) }
            while true {
                elements.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard let next = peek() else { throw error("unterminated array") }
                position += 1
                if next == UInt8(ascii: "]") { return .array(elements) }
                guard next == UInt8(ascii: ",") else { position -= 1; throw error("expected ',' or ']'") }
            }
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            let range = try scanNumber()
            return .number(String(decoding: UnsafeRawBufferPointer(rebasing: base[range]), as: UTF8.self))
        }
    }
}

@inline(__always)
func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x41...0x46: return c - 0x41 + 10
    case 0x61...0x66: return c - 0x61 + 10
    default: return nil
    }
}

extension JSONValue {
    /// Parses a complete JSON text (one value, optional surrounding whitespace).
    public static func parse<C: Collection>(_ bytes: C) throws(JSONSyntaxError) -> JSONValue where C.Element == UInt8 {
        let array = Array(bytes)
        let result = array.withUnsafeBytes { buffer -> Result<JSONValue, JSONSyntaxError> in
            var scanner = JSONScanner(buffer)
            do throws(JSONSyntaxError) {
                let value = try scanner.parseValue()
                scanner.skipWhitespace()
                guard scanner.atEnd else { throw scanner.error("unexpected data after the value") }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses JSON text from a string.
    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Checks that `bytes` hold exactly one valid JSON value.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var scanner = JSONScanner(bytes)
        do {
            _ = try scanner.skipValue()
            scanner.skipWhitespace()
            return scanner.atEnd
        } catch {
            return false
        }
    }
}
