import NIOCore

/// Server-sent events framing (WHATWG HTML §9.2): `id:`, `event:`, `retry:` and `data:` lines
/// and a blank line. A JSON-RPC message is one `data:` line; a raw CR or LF in it (possible
/// only as JSON whitespace) is written as a space so the message stays one line.
enum SSEFrame {
    /// `id: <id>\nevent: message\ndata: <json>\n\n` (no id line when `id` is nil).
    static func message(_ json: [UInt8], id: String?, into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: json.count + 48)
        if let id {
            buffer.writeStaticString("id: ")
            buffer.writeString(id)
            buffer.writeStaticString("\n")
        }
        buffer.writeStaticString("event: message\ndata: ")
        writeOneLine(json, into: &buffer)
        buffer.writeStaticString("\n\n")
    }

    /// A named event with a text payload (the legacy transport's `endpoint` event).
    static func event(_ name: String, data: String, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("event: ")
        buffer.writeString(name)
        buffer.writeStaticString("\ndata: ")
        writeOneLine(Array(data.utf8), into: &buffer)
        buffer.writeStaticString("\n\n")
    }

    /// The priming event of a resumable stream: an id and empty data (and the reconnection
    /// delay the client should use, if configured).
    static func priming(id: String, retryMs: Int?, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("id: ")
        buffer.writeString(id)
        if let retryMs {
            buffer.writeStaticString("\nretry: ")
            buffer.writeString(String(retryMs))
        }
        buffer.writeStaticString("\ndata: \n\n")
    }

    /// A comment line, ignored by clients: keeps intermediaries from timing the stream out and
    /// lets the server notice a dead connection.
    static func heartbeat(into buffer: inout ByteBuffer) {
        buffer.writeStaticString(": keep-alive\n\n")
    }

    private static func writeOneLine(_ bytes: [UInt8], into buffer: inout ByteBuffer) {
        if !bytes.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
            buffer.writeBytes(bytes)
            return
        }
        buffer.writeBytes(bytes.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 })
    }
}
