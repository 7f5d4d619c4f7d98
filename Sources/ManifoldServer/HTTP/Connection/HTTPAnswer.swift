import NIOCore
import NIOHTTP1

/// A complete response decided before MCP sees the request (a health probe, a refusal, the
/// metadata document, a 413): what `RequestGate`'s steps return instead of writing it
/// themselves, so each step is a plain value that tests can call without a pipeline.
struct HTTPAnswer {
    var status: HTTPResponseStatus
    var contentType: String?
    var body: [UInt8] = []
    var headers = HTTPHeaders()
    /// Close the connection after the answer (`connection: close`).
    var close = false

    /// A plain-text answer.
    static func text(_ status: HTTPResponseStatus, _ text: String, close: Bool = false) -> HTTPAnswer {
        HTTPAnswer(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8), close: close)
    }

    /// A refusal with a JSON-RPC error body (code -32600, id null): MCP clients expect a
    /// JSON-RPC body on any refusal.
    static func jsonRPCRefusal(_ status: HTTPResponseStatus, _ message: String) -> HTTPAnswer {
        HTTPAnswer(status: status, contentType: "application/json", body: JSONRPCErrorBody.make(code: -32600, message: message))
    }
}

/// Writing a complete `HTTPAnswer` from any handler of the pipeline.
enum HTTPResponder {
    /// Writes `answer` (HTTP `version`) and flushes. The connection is closed after the write
    /// when the answer says `close` (which adds `connection: close`) or `keepAlive` is false.
    static func respond(context: ChannelHandlerContext, version: HTTPVersion, keepAlive: Bool = true,
                        with answer: HTTPAnswer) {
        var headers = answer.headers
        if let contentType = answer.contentType { headers.add(name: "content-type", value: contentType) }
        headers.add(name: "content-length", value: String(answer.body.count))
        if answer.close { headers.replaceOrAdd(name: "connection", value: "close") }
        let head = HTTPResponseHead(version: version, status: answer.status, headers: headers)
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        if !answer.body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: answer.body.count)
            buffer.writeBytes(answer.body)
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        }
        if answer.close || !keepAlive {
            let loopBound = context.loopBound
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
                loopBound.value.close(promise: nil)
            }
        } else {
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
        }
    }
}
