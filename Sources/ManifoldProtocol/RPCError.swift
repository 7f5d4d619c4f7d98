/// A JSON-RPC error: code, message, optional data, and the id of the request it answers
/// (nil when the id could not be read — then the response carries `"id": null`).
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The error codes JSON-RPC 2.0 and MCP define.
    public struct Code: RawRepresentable, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        public static let parseError = Code(rawValue: -32700)
        public static let invalidRequest = Code(rawValue: -32600)
        public static let methodNotFound = Code(rawValue: -32601)
        public static let invalidParams = Code(rawValue: -32602)
        public static let internalError = Code(rawValue: -32603)
        /// MCP: the requested resource does not exist.
        public static let resourceNotFound = Code(rawValue: -32002)
        /// MCP: the request was cancelled or timed out upstream.
        public static let requestTimeout = Code(rawValue: -32001)
    }

    public var code: Code
    public var message: String
    public var data: JSONValue?
    public var id: RequestID?

    public init(code: Code, message: String, data: JSONValue? = nil, id: RequestID? = nil) {
        self.code = code
        self.message = message
        self.data = data
        self.id = id
    }

    public var description: String { "\(message) (\(code.rawValue))" }

    public static func invalidParams(_ message: String) -> RPCError { RPCError(code: .invalidParams, message: message) }
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: .methodNotFound, message: "Method not found: \(method)")
    }
    public static func internalError(_ message: String) -> RPCError { RPCError(code: .internalError, message: message) }
}
