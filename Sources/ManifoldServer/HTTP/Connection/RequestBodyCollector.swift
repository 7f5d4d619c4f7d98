import NIOCore
import NIOHTTP1

/// Gathers a request's head and body parts into one `HTTPRequest`, refusing bodies over
/// `limit` bytes with `413 Content Too Large` (and closing the connection, since the rest of
/// the body would otherwise have to be read and thrown away).
///
/// A declared `content-length` over the limit is refused at once, before any of the body is
/// read; a chunked body is refused as soon as it grows past the limit. `Expect: 100-continue`
/// is answered (with 100 or with 413) so clients like curl do not wait a second before
/// uploading. A single-chunk body — the usual case — is passed on without a copy.
final class RequestBodyCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPRequest
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case collecting(HTTPRequestHead, ByteBuffer?)
        /// Refused: ignore parts until the connection closes.
        case refused
    }

    private let limit: Int
    private var state: State = .idle

    init(limit: Int) {
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (self.unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            if let declared = head.headers.first(name: "content-length").flatMap(Int.init), declared > limit {
                refuse(context: context, head: head)
                return
            }
            if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                context.writeAndFlush(
                    NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: head.version, status: .continue))),
                    promise: nil)
            }
            state = .collecting(head, nil)
        case (.body(var chunk), .collecting(let head, let collected)):
            guard var collected else {
                if chunk.readableBytes > limit {
                    refuse(context: context, head: head)
                    return
                }
                state = .collecting(head, chunk)
                return
            }
            if collected.readableBytes + chunk.readableBytes > limit {
                refuse(context: context, head: head)
                return
            }
            state = .idle  // drop the reference so the write below does not copy
            collected.writeBuffer(&chunk)
            state = .collecting(head, collected)
        case (.end, .collecting(let head, let body)):
            state = .idle
            let request = HTTPRequest(head: head, body: body ?? context.channel.allocator.buffer(capacity: 0))
            context.fireChannelRead(self.wrapInboundOut(request))
        case (_, .refused):
            break
        case (.head, _), (.body, _), (.end, _):
            // Out of order parts cannot come from the decoder; drop the connection.
            context.close(promise: nil)
        }
    }

    private func refuse(context: ChannelHandlerContext, head: HTTPRequestHead) {
        state = .refused
        HTTPResponder.text(context: context, version: head.version, status: .payloadTooLarge,
                           "request body larger than \(limit) bytes\n", close: true)
    }
}
