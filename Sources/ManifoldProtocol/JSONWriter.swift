/// Appends JSON text to a byte buffer. Used to build responses without any intermediate tree,
/// and to serialize `JSONValue`. Output is compact and never contains a raw newline, so it is
/// always a valid stdio frame.
public struct JSONWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inlinable
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inlinable
    public mutating func raw<C: Collection>(_ utf8: C) where C.Element == UInt8 {
        bytes.append(contentsOf: utf8)
    }

    /// Writes a JSON string literal with the necessary escapes.
    public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { string(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Writes a JSON string literal from raw UTF-8 bytes.
    public mutating func string(utf8 buffer: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "\""))
        var start = 0
        for i in 0..<buffer.count {
            let c = buffer[i]
            if c >= 0x20 && c != UInt8(ascii: "\"") && c != UInt8(ascii: "\\") { continue }
            if i > start { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<i])) }
            start = i + 1
            switch c {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            default:
                raw("\\u00")
                bytes.append(Self.hexDigits[Int(c >> 4)])
                bytes.append(Self.hexDigits[Int(c & 0xF)])
            }
        }
        if buffer.count > start { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start...])) }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func int<T: BinaryInteger>(_ value: T) {
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func double(_ value: Double) {
        JSONValue.double(value).write(to: &self)
    }

    public mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    public mutating func value(_ value: JSONValue) {
        value.write(to: &self)
    }

    @usableFromInline static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

extension JSONValue {
    /// Compact JSON text of this value.
    public func serialized() -> [UInt8] {
        var writer = JSONWriter()
        write(to: &writer)
        return writer.bytes
    }

    /// Compact JSON text of this value, as a String.
    public var jsonText: String { String(decoding: serialized(), as: UTF8.self) }

    public func write(to writer: inout JSONWriter) {
        switch self {
        case .null: writer.raw("null")
        case .bool(let b): writer.bool(b)
        case .number(let text): writer.raw(text.utf8)
        case .string(let s): writer.string(s)
        case .array(let elements):
            writer.raw("[")
            for (i, element) in elements.enumerated() {
                if i > 0 { writer.raw(",") }
                element.write(to: &writer)
            }
            writer.raw("]")
        case .object(let object):
            object.write(to: &writer)
        }
    }
}

extension JSONObject {
    public func write(to writer: inout JSONWriter) {
        writer.raw("{")
        for (i, member) in members.enumerated() {
            if i > 0 { writer.raw(",") }
            writer.string(member.key)
            writer.raw(":")
            member.value.write(to: &writer)
        }
        writer.raw("}")
    }
}
