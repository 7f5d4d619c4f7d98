import ManifoldProtocol

/// The UTF-8 bytes of `text`.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Bytes as text, for readable expectations.
func text<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 { String(decoding: Array(bytes), as: UTF8.self) }

/// Parses `text` as a complete JSON value, returning the syntax error instead of throwing.
func parseResult(_ text: String) -> Result<JSONValue, JSONSyntaxError> {
    do throws(JSONSyntaxError) {
        return .success(try JSONValue.parse(text))
    } catch {
        return .failure(error)
    }
}

/// Parses `text`, or nil with the error discarded.
func parsed(_ text: String) -> JSONValue? { try? parseResult(text).get() }

/// The syntax error `text` is refused with, or nil when it parses.
func syntaxError(_ text: String) -> JSONSyntaxError? {
    if case .failure(let error) = parseResult(text) { return error }
    return nil
}

/// Runs a scanner over `text` from its first byte.
func withScanner<T>(_ text: String, _ body: (inout JSONScanner) throws(JSONSyntaxError) -> T) -> Result<T, JSONSyntaxError> {
    let array = Array(text.utf8)
    return array.withUnsafeBytes { buffer in
        var scanner = JSONScanner(buffer)
        do throws(JSONSyntaxError) {
            return .success(try body(&scanner))
        } catch {
            return .failure(error)
        }
    }
}

/// Parses a JSON-RPC message given as text.
func envelope(_ text: String) -> Result<RPCEnvelope, RPCError> { RPCEnvelope.parse(bytes(text)) }

/// The error a message is refused with, or nil when it parses.
func envelopeError(_ text: String) -> RPCError? {
    if case .failure(let error) = envelope(text) { return error }
    return nil
}

/// The request params of a message (which must be a valid envelope).
func params(_ text: String) throws -> RequestParams {
    try RequestParams(envelope(text).get())
}

/// The `RPCError` a throwing-`RPCError` expression fails with, or nil.
func rpcError<T>(_ body: () throws(RPCError) -> T) -> RPCError? {
    do throws(RPCError) {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
