/// Builders for outgoing JSON-RPC messages, written straight into bytes. A result produced by a
/// plugin is spliced in as it is: nothing is decoded and encoded again.
public enum RPCMessage {
    /// `{"jsonrpc":"2.0","id":<id>,"result":<result>}`
    public static func response<R: Collection>(id: RequestID, result: R) -> [UInt8] where R.Element == UInt8 {
        var w = JSONWriter(capacity: result.count + id.raw.count + 40)
        w.raw("{\"jsonrpc\":\"2.0\",\"id\":")
        w.raw(id.raw)
        w.raw(",\"result\":")
        w.raw(result)
        w.raw("}")
        return w.bytes
    }

    /// A response whose result is a JSON value.
    public static func response(id: RequestID, result: JSONValue) -> [UInt8] {
        response(id: id, result: result.serialized())
    }

    /// `{"jsonrpc":"2.0","id":<id or null>,"error":{"code":…,"message":…,"data"?:…}}`
    public static func error(_ error: RPCError, id: RequestID? = nil) -> [UInt8] {
        var w = JSONWriter(capacity: 96 + error.message.utf8.count)
        w.raw("{\"jsonrpc\":\"2.0\",\"id\":")
        if let id = id ?? error.id { w.raw(id.raw) } else { w.raw("null") }
        w.raw(",\"error\":{\"code\":")
        w.int(error.code.rawValue)
        w.raw(",\"message\":")
        w.string(error.message)
        if let data = error.data {
            w.raw(",\"data\":")
            w.value(data)
        }
        w.raw("}}")
        return w.bytes
    }

    /// `{"jsonrpc":"2.0","method":<method>,"params":<params>}`
    public static func notification(method: String, params: JSONValue?) -> [UInt8] {
        var w = JSONWriter()
        w.raw("{\"jsonrpc\":\"2.0\",\"method\":")
        w.string(method)
        if let params {
            w.raw(",\"params\":")
            w.value(params)
        }
        w.raw("}")
        return w.bytes
    }

    /// `{"jsonrpc":"2.0","id":<id>,"method":<method>,"params":<params>}` (server → client).
    public static func request(id: RequestID, method: String, params: [UInt8]) -> [UInt8] {
        var w = JSONWriter(capacity: params.count + 64)
        w.raw("{\"jsonrpc\":\"2.0\",\"id\":")
        w.raw(id.raw)
        w.raw(",\"method\":")
        w.string(method)
        w.raw(",\"params\":")
        w.raw(params)
        w.raw("}")
        return w.bytes
    }
}
