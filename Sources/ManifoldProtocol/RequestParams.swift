/// The top-level members of a request's `params` object, as byte ranges into the message —
/// read in one pass, without decoding any value. Handlers decode only the members they need
/// (`name`, `cursor`, …) and forward the rest (`arguments`) as bytes.
public struct RequestParams: Sendable {
    public let bytes: [UInt8]
    /// Member name → byte range of its value, in order of appearance.
    public let members: [(key: String, range: Range<Int>)]
    /// The range of the whole params object in `bytes`.
    public let objectRange: Range<Int>

    /// An empty params object (for requests without `params`).
    public static let empty = RequestParams(bytes: Array("{}".utf8), members: [], objectRange: 0..<2)

    init(bytes: [UInt8], members: [(key: String, range: Range<Int>)], objectRange: Range<Int>) {
        self.bytes = bytes
        self.members = members
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
        let scanned = bytes.withUnsafeBytes { buffer -> Result<[(key: String, range: Range<Int>)], JSONSyntaxError> in
            var members: [(key: String, range: Range<Int>)] = []
            var scanner = JSONScanner(buffer, position: range.lowerBound)
            do throws(JSONSyntaxError) {
                try scanner.forEachMember { (key, s: inout JSONScanner) throws(JSONSyntaxError) in
                    members.append((key, try s.skipValue()))
                }
            } catch {
                return .failure(error)
            }
            return .success(members)
        }
        let members: [(key: String, range: Range<Int>)]
        switch scanned {
        case .success(let m): members = m
        case .failure(let error): throw RPCError.invalidParams("Invalid params: \(error)")
        }
        self.bytes = bytes
        self.members = members
        self.objectRange = range
    }

    public func range(_ key: String) -> Range<Int>? {
        members.first(where: { $0.key == key })?.range
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
