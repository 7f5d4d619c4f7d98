import ManifoldPlugins
import Testing

/// The pure parts of the HTTP client transports: URLs and the event-stream parser.
@Suite struct HTTPPiecesTests {
    @Test func urlsSplitIntoConnectionAndRequestTarget() throws {
        let target = try HTTPTarget(url: "http://127.0.0.1:8000/mcp?x=1#frag")
        #expect(target == HTTPTarget(host: "127.0.0.1", port: 8000, requestTarget: "/mcp?x=1"))
        #expect(target.hostHeader == "127.0.0.1:8000")
        #expect(try HTTPTarget(url: "http://example.com").requestTarget == "/")
        #expect(try HTTPTarget(url: "http://example.com").port == 80)
        #expect(try HTTPTarget(url: "http://example.com").hostHeader == "example.com")
        #expect(try HTTPTarget(url: "http://[::1]:9000/mcp") == HTTPTarget(host: "::1", port: 9000, requestTarget: "/mcp"))
        #expect(try HTTPTarget(url: "http://user@host:81/a").host == "host")
    }

    @Test func httpsURLsAreSecureWithPort443ByDefault() throws {
        let target = try HTTPTarget(url: "HTTPS://mcp.example.com/mcp")
        #expect(target == HTTPTarget(host: "mcp.example.com", port: 443, requestTarget: "/mcp", secure: true))
        #expect(target.hostHeader == "mcp.example.com")
        #expect(target.origin == "https://mcp.example.com:443")
        #expect(try HTTPTarget(url: "https://127.0.0.1:8443/").hostHeader == "127.0.0.1:8443")
        // Port 80 is not the default of https, nor 443 of http.
        #expect(try HTTPTarget(url: "https://h:80/").hostHeader == "h:80")
        #expect(try HTTPTarget(url: "http://h:443/").hostHeader == "h:443")
        #expect(try HTTPTarget(url: "http://h/").secure == false)
    }

    @Test func nonsenseIsRefusedWithAReason() {
        #expect(throws: ClientTransportError.self) { try HTTPTarget(url: "http://host:99999/") }
        do {
            _ = try HTTPTarget(url: "ftp://host/")
            Issue.record("ftp:// was accepted")
        } catch {
            #expect(error.description.contains("not an http:// or https:// URL"))
        }
    }

    @Test func legacyEndpointReferencesResolve() throws {
        let sse = try HTTPTarget(url: "http://127.0.0.1:8000/api/sse")
        #expect(try sse.resolving("/messages/?session_id=ab") == HTTPTarget(host: "127.0.0.1", port: 8000, requestTarget: "/messages/?session_id=ab"))
        #expect(try sse.resolving("messages?s=1").requestTarget == "/api/messages?s=1")
        #expect(try sse.resolving("http://127.0.0.1:9000/m") == HTTPTarget(host: "127.0.0.1", port: 9000, requestTarget: "/m"))
        // A path keeps the stream's scheme.
        let secure = try HTTPTarget(url: "https://tools.example:8443/sse")
        #expect(try secure.resolving("/messages?s=2") == HTTPTarget(host: "tools.example", port: 8443, requestTarget: "/messages?s=2", secure: true))
    }

    @Test func eventsArriveWhateverTheChunking() {
        let stream = Array("event: endpoint\r\ndata: /messages?x=1\r\n\r\n: a comment\n\nid: 7\ndata: {\"a\":\ndata: 1}\n\ndata: last\r\r".utf8)
        let expected = [
            SSEEvent(event: "endpoint", data: Array("/messages?x=1".utf8)),
            SSEEvent(event: nil, data: Array("{\"a\":\n1}".utf8), id: "7"),
            SSEEvent(event: nil, data: Array("last".utf8), id: "7"),
        ]
        for chunk in [1, 2, 3, 7, stream.count] {
            var parser = SSEParser()
            var events: [SSEEvent] = []
            var index = 0
            while index < stream.count {
                events += parser.feed(stream[index..<min(stream.count, index + chunk)])
                index += chunk
            }
            #expect(events == expected, "chunk size \(chunk)")
        }
    }

    @Test func anEventWithoutDataIsNotDispatched() {
        var parser = SSEParser()
        #expect(parser.feed(Array("event: ping\n\nretry: 100\n\n".utf8)).isEmpty)
        #expect(parser.feed(Array("data:x\n\n".utf8)) == [SSEEvent(data: Array("x".utf8))])
    }
}
