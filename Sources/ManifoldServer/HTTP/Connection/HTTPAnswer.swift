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

/// Writing simple, complete responses (errors, health, 202) from any handler of the pipeline.
enum HTTPResponder {
    /// Writes `answer` for a request of `head` and flushes; closes the connection afterwards
    /// when the answer or the request asks for it.
    static func respond(context: ChannelHandlerContext, to head: HTTPRequestHead, with answer: HTTPAnswer) {
        respond(context: context, version: head.version, status: answer.status, contentType: answer.contentType,
                body: answer.body, headers: answer.headers, keepAlive: head.isKeepAlive, close: answer.close)
    }

    /// Writes a complete response with a body and flushes. `close` adds `connection: close` and
    /// closes the connection after the write.
    static func respond(
        context: ChannelHandlerContext, version: HTTPVersion, status: HTTPResponseStatus,
        contentType: String? = nil, body: [UInt8] = [], headers extra: HTTPHeaders = HTTPHeaders(),
        keepAlive: Bool = true, close: Bool = false
    ) {
        var headers = extra
        if let contentType { headers.add(name: "content-type", value: contentType) }
        headers.add(name: "content-length", value: String(body.count))
        if close { headers.replaceOrAdd(name: "connection", value: "close") }
        let head = HTTPResponseHead(version: version, status: status, headers: headers)
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        if !body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        }
        if close || !keepAlive {
            let loopBound = context.loopBound
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
                loopBound.value.close(promise: nil)
            }
        } else {
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
        }
    }
}
