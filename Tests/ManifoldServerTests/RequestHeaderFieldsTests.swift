import NIOHTTP1
import Testing
@testable import ManifoldServer

/// The one-pass header read behaves like `HTTPHeaders.first(name:)` for every header it keeps.
@Suite struct RequestHeaderFieldsTests {
    @Test func namesMatchIgnoringCaseAndTheFirstOccurrenceWins() {
        let headers = HTTPHeaders([
            ("HOST", "localhost:8080"), ("Content-Type", "application/json"), ("aCCEPT", "text/event-stream"),
            ("Mcp-Session-Id", "abc"), ("MCP-Protocol-Version", "2025-06-18"), ("Last-Event-ID", "7"),
            ("Origin", "http://localhost:3000"), ("Expect", "100-continue"), ("Content-Length", "12"),
            ("mcp-session-id", "second"), ("Host", "other"),
        ])
        let fields = RequestHeaderFields(headers)
        for (name, value) in [("host", fields.host), ("content-type", fields.contentType), ("accept", fields.accept),
                              ("mcp-session-id", fields.sessionID), ("mcp-protocol-version", fields.protocolVersion),
                              ("last-event-id", fields.lastEventID), ("origin", fields.origin), ("expect", fields.expect),
                              ("content-length", fields.contentLength)] {
            #expect(value == headers.first(name: name), "\(name)")
            #expect(value != nil, "\(name)")
        }
    }

    @Test func lookalikeNamesOfTheSameLengthAreNotTaken() {
        let fields = RequestHeaderFields(HTTPHeaders([("hosT", "a"), ("hose", "b"), ("originx", "c"), ("accepts", "d"),
                                                      ("mcp-session-ix", "e"), ("content-lengtH", "9")]))
        #expect(fields.host == "a")
        #expect(fields.origin == nil)
        #expect(fields.accept == nil)
        #expect(fields.sessionID == nil)
        #expect(fields.contentLength == "9")
    }
}
