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
            var name = name
            name.withUTF8 { name in
                switch name.count {
                case 4 where Self.matches(name, "host"): if host == nil { host = value }
                case 6 where Self.matches(name, "accept"): if accept == nil { accept = value }
                case 6 where Self.matches(name, "origin"): if origin == nil { origin = value }
                case 6 where Self.matches(name, "expect"): if expect == nil { expect = value }
                case 12 where Self.matches(name, "content-type"): if contentType == nil { contentType = value }
                case 13 where Self.matches(name, "last-event-id"): if lastEventID == nil { lastEventID = value }
                case 14 where Self.matches(name, "content-length"): if contentLength == nil { contentLength = value }
                case 14 where Self.matches(name, "mcp-session-id"): if sessionID == nil { sessionID = value }
                case 20 where Self.matches(name, "mcp-protocol-version"): if protocolVersion == nil { protocolVersion = value }
                default: break
                }
            }
        }
    }

    /// Whether `name` equals `lowercase` ignoring ASCII case (the caller checked the lengths).
    /// Eight bytes at a time: OR-ing 0x20 into every byte folds `A-Z` to `a-z` and leaves the
    /// other bytes of the names compared here (`a-z`, `-`) as they are; no byte a header name
    /// may contain folds onto one of those unless it is the same letter in upper case.
    @inline(__always)
    private static func matches(_ name: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        let count = name.count
        let actual = UnsafeRawPointer(name.baseAddress!)
        let expected = UnsafeRawPointer(lowercase.utf8Start)
        var offset = 0
        while offset + 8 <= count {
            let word = actual.loadUnaligned(fromByteOffset: offset, as: UInt64.self) | 0x2020_2020_2020_2020
            if word != expected.loadUnaligned(fromByteOffset: offset, as: UInt64.self) { return false }
            offset += 8
        }
        while offset < count {
            if actual.load(fromByteOffset: offset, as: UInt8.self) | 0x20 != expected.load(fromByteOffset: offset, as: UInt8.self) {
                return false
            }
            offset += 1
        }
        return true
    }
}
