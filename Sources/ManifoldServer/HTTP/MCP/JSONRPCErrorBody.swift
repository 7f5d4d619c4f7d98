import ManifoldProtocol

/// The JSON-RPC error bodies the HTTP layer answers with when it refuses a request before the
/// dispatcher sees it (missing session, unknown session, bad version header, guard refusals).
/// The id is the request's when it was read, else `null` (JSON-RPC 2.0 §5).
enum JSONRPCErrorBody {
    static func make(code: Int, message: String, id: RequestID? = nil) -> [UInt8] {
        RPCMessage.error(RPCError(code: .init(rawValue: code), message: message), id: id)
    }
}
