import NIOHTTP1

/// The request headers the HTTP layer acts on, read in one pass over the head when the
/// request is assembled (instead of one `HTTPHeaders.first(name:)` scan per header per step —
/// a measurable share of the hot path, BENCHMARKS.md). As with `first(name:)`, the first
/// occurrence of a header wins; names compare case-insensitively.
struct RequestHeaderFields {
    var contentLength: String?
    var expect: String?
    var host: String?
    var origin: String?
    var contentType: String?
    var accept: String?
    var sessionID: String?
    var protocolVersion: String?
    var lastEventID: String?

    init(_ headers: HTTPHeaders) {
        for (name, value) in headers {
            let utf8 = name.utf8
            switch utf8.count {
            case 4 where Self.matches(utf8, "host"): if host == nil { host = value }
            case 6 where Self.matches(utf8, "accept"): if accept == nil { accept = value }
            case 6 where Self.matches(utf8, "origin"): if origin == nil { origin = value }
            case 6 where Self.matches(utf8, "expect"): if expect == nil { expect = value }
            case 12 where Self.matches(utf8, "content-type"): if contentType == nil { contentType = value }
            case 13 where Self.matches(utf8, "last-event-id"): if lastEventID == nil { lastEventID = value }
            case 14 where Self.matches(utf8, "content-length"): if contentLength == nil { contentLength = value }
            case 14 where Self.matches(utf8, "mcp-session-id"): if sessionID == nil { sessionID = value }
            case 20 where Self.matches(utf8, "mcp-protocol-version"): if protocolVersion == nil { protocolVersion = value }
            default: break
            }
        }
    }

    /// Whether `name` equals `lowercase` ignoring ASCII case (same lengths assumed).
    private static func matches(_ name: String.UTF8View, _ lowercase: StaticString) -> Bool {
        lowercase.withUTF8Buffer { expected in
            var i = 0
            for byte in name {
                let folded = byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
                if folded != expected[i] { return false }
                i += 1
            }
            return i == expected.count
        }
    }
}
