/// A JSON-RPC request id: a string or a number, echoed exactly as the client sent it.
///
/// `raw` holds the id's JSON text (`"1"` with quotes, or `1`), so `"1"` and `1` stay distinct
/// and responses echo the bytes untouched.
public struct RequestID: Sendable, Hashable, CustomStringConvertible {
    public let raw: [UInt8]

    public init(raw: [UInt8]) { self.raw = raw }

    public init(_ value: Int) { self.raw = Array(String(value).utf8) }

    public init(string: String) {
        var writer = JSONWriter()
        writer.string(string)
        self.raw = writer.bytes
    }

    public var description: String { String(decoding: raw, as: UTF8.self) }

    public var json: JSONValue { (try? JSONValue.parse(raw)) ?? .null }
}

/// One JSON-RPC message, read in a single pass over its bytes: which kind it is, its id, its
/// method, and the byte ranges of `params`, `result` and `error` inside `bytes`. Nothing is
/// decoded beyond what routing needs; `params` stay as bytes for whoever handles the method.
public struct RPCEnvelope: Sendable {
    public enum Kind: Sendable, Equatable {
        case request
        case notification
        case response
        case errorResponse
    }

    /// The whole message.
    public let bytes: [UInt8]
    public let kind: Kind
    public let id: RequestID?
    public let method: String?
    public let params: Range<Int>?
    public let result: Range<Int>?
    public let error: Range<Int>?

    /// The bytes of `params`, or nil.
    public var paramsBytes: ArraySlice<UInt8>? { params.map { bytes[$0] } }

    /// Parses a message. A JSON syntax error is `.parseError` (-32700); a valid JSON value that
    /// is not a JSON-RPC message is `.invalidRequest` (-32600) carrying the id when one was read.
    public static func parse(_ bytes: [UInt8]) -> Result<RPCEnvelope, RPCError> {
        bytes.withUnsafeBytes { buffer in
            var scanner = JSONScanner(buffer)
            scanner.skipWhitespace()
            guard scanner.peek() == UInt8(ascii: "{") else {
                if JSONValue.isValid(buffer) {
                    return .failure(RPCError(code: .invalidRequest, message: "a JSON-RPC message must be an object"))
                }
                return .failure(RPCError(code: .parseError, message: "Parse error: the message is not valid JSON"))
            }
            var hasVersion = false
            var versionIs2_0 = false
            var idRange: Range<Int>?
            var idIsValid = true
            var method: String?
            var methodIsString = true
            var params: Range<Int>?
            var result: Range<Int>?
            var error: Range<Int>?
            do {
                // Keys are compared as bytes (no String per key); the later of duplicates wins.
                try scanner.forEachMemberRaw { (key, escaped, s: inout JSONScanner) throws(JSONSyntaxError) in
                    if s.key(key, escaped: escaped, equals: "jsonrpc") {
                        if s.peek() == UInt8(ascii: "\"") {
                            let start = s.position
                            let escapedValue = try s.skipString()
                            let body = UnsafeRawBufferPointer(rebasing: buffer[(start + 1)..<(s.position - 1)])
                            versionIs2_0 = escapedValue
                                ? JSONScanner.unescape(body) == "2.0"
                                : body.count == 3 && body[0] == UInt8(ascii: "2") && body[1] == UInt8(ascii: ".")
                                    && body[2] == UInt8(ascii: "0")
                            hasVersion = true
                        } else {
                            _ = try s.skipValue()
                        }
                    } else if s.key(key, escaped: escaped, equals: "id") {
                        let first = s.peek()
                        let range = try s.skipValue()
                        idIsValid = first == UInt8(ascii: "\"") || first == UInt8(ascii: "-") || (first.map { $0 >= 0x30 && $0 <= 0x39 } ?? false)
                        idRange = range
                    } else if s.key(key, escaped: escaped, equals: "method") {
                        if s.peek() == UInt8(ascii: "\"") { method = try s.readString() } else { methodIsString = false; _ = try s.skipValue() }
                    } else if s.key(key, escaped: escaped, equals: "params") {
                        params = try s.skipValue()
                    } else if s.key(key, escaped: escaped, equals: "result") {
                        result = try s.skipValue()
                    } else if s.key(key, escaped: escaped, equals: "error") {
                        error = try s.skipValue()
                    } else {
                        _ = try s.skipValue()
                    }
                }
                scanner.skipWhitespace()
                guard scanner.atEnd else { throw scanner.error("unexpected data after the message") }
            } catch {
                return .failure(RPCError(code: .parseError, message: "Parse error: \(error)"))
            }
            let id = idRange.flatMap { idIsValid ? RequestID(raw: Array(buffer[$0])) : nil }
            func invalid(_ why: String) -> Result<RPCEnvelope, RPCError> {
                .failure(RPCError(code: .invalidRequest, message: "Invalid Request: \(why)", id: id))
            }
            guard hasVersion && versionIs2_0 else { return invalid("'jsonrpc' must be \"2.0\"") }
            // An error response answers a request whose id could not be read with `"id": null`.
            let nullIDOfErrorResponse = idRange.map { buffer[$0.lowerBound] == UInt8(ascii: "n") } == true
                && method == nil && error != nil
            if idRange != nil && !idIsValid && !nullIDOfErrorResponse { return invalid("'id' must be a string or a number") }
            guard methodIsString else { return invalid("'method' must be a string") }
            if let params, buffer[params.lowerBound] != UInt8(ascii: "{") && buffer[params.lowerBound] != UInt8(ascii: "[") {
                return invalid("'params' must be an object or an array")
            }
            let kind: Kind
            if method != nil {
                kind = id == nil ? .notification : .request
            } else if id != nil && result != nil {
                kind = .response
            } else if error != nil {
                kind = .errorResponse
            } else {
                return invalid("neither a request, a notification nor a response")
            }
            return .success(RPCEnvelope(bytes: bytes, kind: kind, id: id, method: method, params: params, result: result, error: error))
        }
    }
}
