/// The top-level members of a request's `params` object, as byte ranges into the message —
/// read in one pass, without decoding any value. Handlers decode only the members they need
/// (`name`, `cursor`, …) and forward the rest (`arguments`) as bytes.
public struct RequestParams: Sendable {
    public let bytes: [UInt8]
    /// One top-level member: where its key's text is (between the quotes), the key decoded when
    /// it holds escapes (rare; others are compared as bytes), and its value's range.
    struct Member: Sendable {
        var key: Range<Int>
        var decodedKey: String?
        var value: Range<Int>
    }
    private let scanned: [Member]
    /// The range of the whole params object in `bytes`.
    public let objectRange: Range<Int>

    /// Member name → byte range of its value, in order of appearance.
    public var members: [(key: String, range: Range<Int>)] {
        scanned.map { ($0.decodedKey ?? String(decoding: bytes[$0.key], as: UTF8.self), $0.value) }
    }

    /// An empty params object (for requests without `params`).
    public static let empty = RequestParams(bytes: Array("{}".utf8), scanned: [], objectRange: 0..<2)

    private init(bytes: [UInt8], scanned: [Member], objectRange: Range<Int>) {
        self.bytes = bytes
        self.scanned = scanned
        self.objectRange = objectRange
    }

    /// The whole params object parsed into a tree (cold paths only).
    public var tree: JSONObject {
        (try? JSONValue.parse(bytes[objectRange]))?.objectValue ?? [:]
    }

    /// Reads the params of `envelope`. Params that are not an object (an array) are refused
    /// with -32602, as MCP only uses named params.
    public init(_ envelope: RPCEnvelope) throws(RPCError) {
        guard let range = envelope.params else { self = .empty; return }
        let bytes = envelope.bytes
        guard bytes[range.lowerBound] == UInt8(ascii: "{") else {
            throw RPCError.invalidParams("Invalid params: 'params' must be an object")
        }
        let scanned = bytes.withUnsafeBytes { buffer -> Result<[Member], JSONSyntaxError> in
            var members: [Member] = []
            members.reserveCapacity(4)
            var scanner = JSONScanner(buffer, position: range.lowerBound)
            do throws(JSONSyntaxError) {
                try scanner.forEachMemberRaw { (key, escaped, s: inout JSONScanner) throws(JSONSyntaxError) in
                    let decoded = escaped ? JSONScanner.unescape(UnsafeRawBufferPointer(rebasing: buffer[key])) : nil
                    members.append(Member(key: key, decodedKey: decoded, value: try s.skipValue()))
                }
            } catch {
                return .failure(error)
            }
            return .success(members)
        }
        switch scanned {
        case .success(let m): self.scanned = m
        case .failure(let error): throw RPCError.invalidParams("Invalid params: \(error)")
        }
        self.bytes = bytes
        self.objectRange = range
    }

    /// The value range of the first member named `key`.
    public func range(_ key: String) -> Range<Int>? {
        var key = key
        return key.withUTF8 { name in
            bytes.withUnsafeBytes { buffer in
                for member in scanned {
                    if let decoded = member.decodedKey {
                        if decoded == String(decoding: name, as: UTF8.self) { return member.value }
                    } else if JSONScanner.key(member.key, escaped: false, in: buffer, equals: UnsafeRawBufferPointer(name)) {
                        return member.value
                    }
                }
                return nil
            }
        }
    }

    public func has(_ key: String) -> Bool { range(key) != nil }

    /// The raw JSON bytes of a member.
    public func raw(_ key: String) -> ArraySlice<UInt8>? {
        range(key).map { bytes[$0] }
    }

    /// The first byte of a member's value (its JSON type), or nil when absent.
    public func firstByte(_ key: String) -> UInt8? {
        range(key).map { bytes[$0.lowerBound] }
    }

    /// A member that must be a string when present; nil when absent. `null` counts as absent.
    public func string(_ key: String) throws(RPCError) -> String? {
        guard let range = range(key) else { return nil }
        let first = bytes[range.lowerBound]
        if first == UInt8(ascii: "n") { return nil }
        guard first == UInt8(ascii: "\"") else {
            throw RPCError.invalidParams("Invalid params: '\(key)' must be a string")
        }
        return bytes.withUnsafeBytes { buffer in
            var scanner = JSONScanner(buffer, position: range.lowerBound)
            return (try? scanner.readString()) ?? ""
        }
    }

    /// A string member that must be present.
    public func requiredString(_ key: String) throws(RPCError) -> String {
        guard let value = try string(key) else {
            throw RPCError.invalidParams("Invalid params: missing required '\(key)'")
        }
        return value
    }

    /// A member that must be an object when present: its bytes, or nil when absent or null.
    public func object(_ key: String) throws(RPCError) -> ArraySlice<UInt8>? {
        guard let range = range(key) else { return nil }
        let first = bytes[range.lowerBound]
        if first == UInt8(ascii: "n") { return nil }
        guard first == UInt8(ascii: "{") else {
            throw RPCError.invalidParams("Invalid params: '\(key)' must be an object")
        }
        return bytes[range]
    }

    /// A member parsed into a tree (cold paths only).
    public func value(_ key: String) -> JSONValue? {
        raw(key).flatMap { try? JSONValue.parse($0) }
    }

    /// `_meta.progressToken` as raw JSON (a string or an integer), if the client sent one.
    public var progressToken: [UInt8]? {
        guard let meta = try? object("_meta") else { return nil }
        return meta.withUnsafeBytes { buffer -> [UInt8]? in
            var scanner = JSONScanner(buffer)
            var token: [UInt8]?
            try? scanner.forEachMember { (key, s: inout JSONScanner) throws(JSONSyntaxError) in
                let range = try s.skipValue()
                if key == "progressToken" {
                    let first = buffer[range.lowerBound]
                    if first != UInt8(ascii: "n") { token = Array(buffer[range]) }
                }
            }
            return token
        }
    }
}
