import NIOCore
import NIOHTTP1

/// One complete HTTP request as the handlers behind `RequestBodyCollector` see it: the head,
/// the whole body, and what earlier steps learned about it.
///
/// A class, not a struct: it travels through several handlers inside `NIOAny`, and each hop
/// would copy (and retain every field of) a struct; a reference is one retain
/// (BENCHMARKS.md). Only the authentication step writes to it, before the handlers behind it
/// see it; the handlers in front never keep it.
final class HTTPRequest {
    let head: HTTPRequestHead
    let body: ByteBuffer
    /// Who the authentication step says sent the request, and its slice of the endpoint
    /// (nil: anonymous / pass-through).
    var principal: HTTPPrincipal?

    init(head: HTTPRequestHead, body: ByteBuffer, principal: HTTPPrincipal? = nil) {
        self.head = head
        self.body = body
        self.principal = principal
    }

    /// The path without the query string.
    var path: Substring {
        let uri = head.uri
        // Bytes, not Characters: this runs for every request (BENCHMARKS.md).
        if let q = uri.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) { return uri[..<q] }
        return uri[...]
    }

    /// A query parameter's (percent-decoded) value.
    func query(_ name: String) -> String? {
        guard let q = head.uri.firstIndex(of: "?") else { return nil }
        for pair in head.uri[head.uri.index(after: q)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts[0] == name[...] {
                return parts.count > 1 ? String(parts[1]).removingPercentEncodingLeniently : ""
            }
        }
        return nil
    }
}

extension String {
    /// `%XX` escapes decoded (invalid escapes kept as they are); `+` stays `+`.
    var removingPercentEncodingLeniently: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var utf8 = Array(self.utf8)[...]
        while let c = utf8.popFirst() {
            if c == UInt8(ascii: "%"), utf8.count >= 2,
                let hi = hexDigit(utf8[utf8.startIndex]), let lo = hexDigit(utf8[utf8.startIndex + 1])
            {
                bytes.append(hi << 4 | lo)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private func hexDigit(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}

/// Writing simple, complete responses (errors, health, 202) from any handler of the pipeline.
enum HTTPResponder {
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

    /// A plain-text response.
    static func text(context: ChannelHandlerContext, version: HTTPVersion, status: HTTPResponseStatus,
                     _ text: String, headers: HTTPHeaders = HTTPHeaders(), keepAlive: Bool = true, close: Bool = false) {
        respond(context: context, version: version, status: status, contentType: "text/plain; charset=utf-8",
                body: Array(text.utf8), headers: headers, keepAlive: keepAlive, close: close)
    }
}
