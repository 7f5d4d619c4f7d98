import ManifoldProtocol

/// Why an argument could not be converted to its C type. `message` names the parameter:
/// "argument 'x' must be an integer between -128 and 127, found 300".
public struct FFIArgumentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The parameter, when the problem is one parameter's.
    public var parameter: String?
    /// What is wrong, phrased to follow the parameter's name ("must be …", "is missing …").
    public var reason: String

    public init(parameter: String?, reason: String) {
        self.parameter = parameter
        self.reason = reason
    }

    public var message: String { parameter.map { "argument '\($0)' \(reason)" } ?? reason }
    public var description: String { message }
}

/// One argument value, converted from JSON and checked against its parameter, before it is
/// written into a call frame.
enum FFIValue {
    case integer(Int128)
    case float(Double)
    case bool(Bool)
    /// A C string's bytes (no NUL inside), without the terminator.
    case string([UInt8])
    case bytes([UInt8])
    case null
}

/// Reads one JSON value straight from the scanner into the C value a parameter needs: the
/// arguments object is walked once (`forEachMember`), each member decoded only as far as its
/// parameter requires; no tree is built.
enum FFIArgumentReader {
    /// Reads the value at the scanner for `spec` (an input parameter). The value is always
    /// consumed; a conversion failure is returned as the error's reason, a malformed JSON text
    /// is thrown.
    static func read(_ scanner: inout JSONScanner, for spec: FFIParamSpec) throws(JSONSyntaxError)
        -> Result<FFIValue, FFIArgumentError>
    {
        func fail(_ reason: String) -> Result<FFIValue, FFIArgumentError> {
            .failure(FFIArgumentError(parameter: spec.name, reason: reason))
        }
        scanner.skipWhitespace()
        guard let first = scanner.peek() else { throw scanner.error("unexpected end of input") }
        switch spec.kind {
        case .scalar(let scalar) where scalar.isInteger, .length(let scalar, _):
            let range = spec.integerRange ?? scalar.integerRange
            let expectation = "must be an integer between \(range.lowerBound) and \(range.upperBound)"
            guard first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) else {
                let found = describe(first)
                _ = try scanner.skipValue()
                return fail("\(expectation) (\(scalar.rawValue)), found \(found)")
            }
            let text = try scanner.scanNumber()
            let bytes = UnsafeRawBufferPointer(rebasing: scanner.base[text])
            guard let value = FFIIntegerText.parse(bytes) else {
                return fail("\(expectation) (\(scalar.rawValue)), found \(String(decoding: bytes, as: UTF8.self))")
            }
            guard range.contains(value) else {
                return fail("\(expectation) (\(scalar.rawValue)), found \(String(decoding: bytes, as: UTF8.self))")
            }
            return .success(.integer(value))
        case .scalar(let scalar) where scalar.isFloat:
            guard first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) else {
                let found = describe(first)
                _ = try scanner.skipValue()
                return fail("must be a number (\(scalar.rawValue)), found \(found)")
            }
            let text = try scanner.scanNumber()
            let bytes = UnsafeRawBufferPointer(rebasing: scanner.base[text])
            let literal = String(decoding: bytes, as: UTF8.self)
            guard let value = Double(literal), value.isFinite else {
                return fail("must be a finite number (\(scalar.rawValue)), found \(literal)")
            }
            if scalar == .f32, abs(value) > Double(Float.greatestFiniteMagnitude) {
                return fail("must be a number within ±\(Float.greatestFiniteMagnitude) (f32), found \(literal)")
            }
            return .success(.float(value))
        case .scalar:  // bool
            guard first == UInt8(ascii: "t") || first == UInt8(ascii: "f") else {
                let found = describe(first)
                _ = try scanner.skipValue()
                return fail("must be true or false, found \(found)")
            }
            _ = try scanner.skipValue()
            return .success(.bool(first == UInt8(ascii: "t")))
        case .cstring(let nullable), .buffer(let nullable):
            if nullable, first == UInt8(ascii: "n") {
                _ = try scanner.skipValue()
                return .success(.null)
            }
            let isBuffer = if case .buffer = spec.kind { true } else { false }
            guard first == UInt8(ascii: "\"") else {
                let found = describe(first)
                _ = try scanner.skipValue()
                return fail("must be a \(isBuffer ? "base64 " : "")string\(nullable ? " or null" : ""), found \(found)")
            }
            let bytes = try readStringContents(&scanner)
            if isBuffer {
                switch bytes.withUnsafeBytes({ FFIBase64.decode($0) }) {
                case .success(let decoded): return .success(.bytes(decoded))
                case .failure(let error): return fail("is not valid base64: \(error)")
                }
            }
            if let nul = bytes.firstIndex(of: 0) {
                return fail("contains a NUL character (\\u0000) at byte \(nul), which a C string cannot hold")
            }
            return .success(.string(bytes))
        case .outScalar, .outString, .outStringRef, .outBuffer:
            _ = try scanner.skipValue()
            return fail("is an output of the function and cannot be passed")
        }
    }

    /// The contents of the JSON string at the scanner, unescaped (copied straight from the
    /// input when it holds no escape).
    private static func readStringContents(_ scanner: inout JSONScanner) throws(JSONSyntaxError) -> [UInt8] {
        let start = scanner.position
        guard try scanner.skipString() else {
            return Array(UnsafeRawBufferPointer(rebasing: scanner.base[(start + 1)..<(scanner.position - 1)]))
        }
        var again = JSONScanner(scanner.base, position: start)
        return Array(try again.readString().utf8)
    }

    /// A manifest's `value:` / `default:`, with the same rules.
    static func constant(from scanner: inout JSONScanner, for spec: FFIParamSpec) throws(FFIArgumentError) -> FFIConstant {
        let result: Result<FFIValue, FFIArgumentError>
        do {
            result = try read(&scanner, for: spec)
        } catch {
            throw FFIArgumentError(parameter: nil, reason: "is not valid JSON: \(error)")
        }
        switch result {
        case .success(.integer(let v)): return .integer(v)
        case .success(.float(let v)): return .float(v)
        case .success(.bool(let v)): return .bool(v)
        case .success(.string(let v)): return .string(v)
        case .success(.bytes(let v)): return .bytes(v)
        case .success(.null): return .null
        case .failure(let error): throw FFIArgumentError(parameter: nil, reason: error.reason)
        }
    }

    /// "a string", "an object", … for the JSON value starting with `c`.
    static func describe(_ c: UInt8) -> String {
        switch c {
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        case UInt8(ascii: "n"): return "null"
        default: return "a number"
        }
    }
}

/// Strict base64 (RFC 4648 §4, standard alphabet): padding optional but correct when present,
/// no whitespace, no other characters, zero bits where the last character has spare bits.
public enum FFIBase64 {
    public struct DecodeError: Error, Sendable, CustomStringConvertible, Equatable {
        public var description: String
    }

    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let table: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    public static func encode(_ bytes: UnsafeRawBufferPointer, into writer: inout [UInt8]) {
        writer.reserveCapacity(writer.count + (bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            writer.append(alphabet[Int(v >> 18 & 63)])
            writer.append(alphabet[Int(v >> 12 & 63)])
            writer.append(alphabet[Int(v >> 6 & 63)])
            writer.append(alphabet[Int(v & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            writer.append(alphabet[Int(v >> 18 & 63)])
            writer.append(alphabet[Int(v >> 12 & 63)])
            writer.append(UInt8(ascii: "="))
            writer.append(UInt8(ascii: "="))
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            writer.append(alphabet[Int(v >> 18 & 63)])
            writer.append(alphabet[Int(v >> 12 & 63)])
            writer.append(alphabet[Int(v >> 6 & 63)])
            writer.append(UInt8(ascii: "="))
        }
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        bytes.withUnsafeBytes { encode($0, into: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: UnsafeRawBufferPointer) -> Result<[UInt8], DecodeError> {
        var count = text.count
        var padding = 0
        while count > 0, text[count - 1] == UInt8(ascii: "="), padding < 2 {
            count -= 1
            padding += 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for i in 0..<count {
            let c = text[i]
            let v = table[Int(c)]
            guard v >= 0 else {
                let shown = c >= 0x20 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x" + (c < 16 ? "0" : "") + String(c, radix: 16)
                return .failure(DecodeError(description: "invalid character \(shown) at offset \(i)"))
            }
            accumulator = accumulator << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        if padding > 0, text.count % 4 != 0 {
            return .failure(DecodeError(description: "padding '=' where the length (\(text.count) characters) is not a multiple of 4"))
        }
        if count % 4 == 1 {
            return .failure(DecodeError(description: "\(text.count) characters cannot be base64 (one character too many or too few)"))
        }
        if accumulator != 0 {
            return .failure(DecodeError(description: "the last character has non-zero spare bits (truncated or corrupted data)"))
        }
        return .success(out)
    }
}
