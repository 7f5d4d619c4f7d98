import NIOCore
import NIOHTTP1

/// One complete HTTP request as `RequestGate` assembles it and `StreamableHTTPHandler` serves
/// it: the head, the whole body, and what earlier steps learned about it.
///
/// A class, not a struct: the assembly state holds it while its body arrives and it crosses to
/// the MCP handler inside `NIOAny`, where a struct would be copied with a retain of every field
/// (BENCHMARKS.md). Only `RequestAssembly` (the body) and the authentication step (the
/// principal) write to it, before the MCP handler sees it.
final class HTTPRequest {
    let head: HTTPRequestHead
    /// The whole body (filled in by `RequestAssembly` as its parts arrive).
    var body: ByteBuffer
    /// The headers the HTTP layer acts on, read once.
    let fields: RequestHeaderFields
    /// Who the authentication step says sent the request, and its slice of the endpoint
    /// (nil: anonymous / pass-through).
    var principal: HTTPPrincipal?

    /// A request whose head arrived; its body is empty until `RequestAssembly` fills it in.
    init(head: HTTPRequestHead) {
        self.head = head
        self.body = ByteBuffer()
        self.fields = RequestHeaderFields(head.headers)
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
