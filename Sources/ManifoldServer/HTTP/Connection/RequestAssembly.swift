import NIOCore
import NIOHTTP1

/// Gathers a request's head and body parts into one `HTTPRequest`, refusing bodies over
/// `limit` bytes with `413 Content Too Large` (and closing the connection, since the rest of
/// the body would otherwise have to be read and thrown away). A state machine: `RequestGate`
/// feeds it the decoder's parts and carries out what it returns.
///
/// A declared `content-length` over the limit is refused at once, before any of the body is
/// read; a chunked body is refused as soon as it grows past the limit. `Expect: 100-continue`
/// is answered (with 100 or with 413) so clients like curl do not wait a second before
/// uploading. A single-chunk body — the usual case — is passed on without a copy.
struct RequestAssembly {
    /// What the gate must do after a part.
    enum Action {
        /// Nothing yet (more parts to come, or parts of a refused request ignored).
        case none
        /// Answer `100 Continue` to this head, then keep reading.
        case sendContinue(HTTPRequestHead)
        /// Answer this and close: the body is too large.
        case refuse(HTTPRequestHead, HTTPAnswer)
        /// The request is complete.
        case complete(HTTPRequest)
        /// Parts out of order (cannot come from the decoder): drop the connection.
        case closeConnection
    }

    private enum State {
        case idle
        /// The head arrived; `hasBody` once a body part did.
        case collecting(HTTPRequest, hasBody: Bool)
        /// Refused: ignore parts until the connection closes.
        case refused
    }

    let limit: Int
    private var state: State = .idle

    init(limit: Int) {
        self.limit = limit
    }

    mutating func receive(_ part: HTTPServerRequestPart) -> Action {
        switch (part, state) {
        case (.head(let head), .idle):
            let request = HTTPRequest(head: head)
            if let declared = request.fields.contentLength.flatMap(Int.init), declared > limit {
                return refuse(head)
            }
            state = .collecting(request, hasBody: false)
            if request.fields.expect?.lowercased() == "100-continue" { return .sendContinue(head) }
            return .none
        case (.body(var chunk), .collecting(let request, let hasBody)):
            guard hasBody else {
                if chunk.readableBytes > limit { return refuse(request.head) }
                request.body = chunk  // the usual single chunk: no copy
                state = .collecting(request, hasBody: true)
                return .none
            }
            if request.body.readableBytes + chunk.readableBytes > limit { return refuse(request.head) }
            request.body.writeBuffer(&chunk)
            return .none
        case (.end, .collecting(let request, _)):
            state = .idle
            return .complete(request)
        case (_, .refused):
            return .none
        case (.head, _), (.body, _), (.end, _):
            return .closeConnection
        }
    }

    private mutating func refuse(_ head: HTTPRequestHead) -> Action {
        state = .refused
        return .refuse(head, .text(.payloadTooLarge, "request body larger than \(limit) bytes\n", close: true))
    }
}
