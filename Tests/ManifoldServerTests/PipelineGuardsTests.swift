import ManifoldCore
import ManifoldProtocol
import NIOCore
import NIOEmbedded
import Testing
@testable import ManifoldServer

/// What the pipeline refuses or answers before MCP: Host/Origin, body limit, timeouts, health
/// probes; and the legacy HTTP+SSE transport.
@Suite struct PipelineGuardsTests {
    let initializeBody = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#

    // MARK: Host and Origin

    @Test func anEvilOriginIsForbidden() throws {
        let harness = try HTTPHarness()
        let response = try harness.request(headers: [("Origin", "http://evil.example.com")], body: initializeBody)
        #expect(response.status == 403)
        #expect(response.bodyJSON["error"]?["code"]?.intValue == -32600)
        #expect(harness.state.sessions.count == 0)
        let local = try harness.request(headers: [("Origin", "http://localhost:6274")], body: initializeBody)
        #expect(local.status == 200)
        #expect(local.header("access-control-allow-origin") == "http://localhost:6274")
        #expect(local.header("access-control-expose-headers")?.contains("mcp-session-id") == true)
    }

    @Test func anEvilHostIsMisdirected() throws {
        let harness = try HTTPHarness()
        #expect(try harness.request(headers: [("Host", "evil.example.com")], body: initializeBody).status == 421)
        #expect(try harness.request(headers: [("Host", "evil.example.com:8080")], body: initializeBody).status == 421)
        #expect(try harness.request(headers: [("Host", "localhost:8080")], body: initializeBody).status == 200)
        #expect(try harness.request(headers: [("Host", "[::1]:8080")], body: initializeBody).status == 200)
    }

    @Test func configuredOriginsAndHosts() throws {
        let harness = try HTTPHarness {
            $0.allowedOrigins = ["https://app.example.com"]
            $0.allowedHosts = ["mcp.example.com"]
        }
        #expect(try harness.request(headers: [("Host", "mcp.example.com"), ("Origin", "https://app.example.com")],
                                    body: initializeBody).status == 200)
        #expect(try harness.request(headers: [("Host", "mcp.example.com"), ("Origin", "https://other.example.com")],
                                    body: initializeBody).status == 403)
    }

    @Test func corsPreflightForAnAllowedOrigin() throws {
        let harness = try HTTPHarness()
        let response = try harness.request("OPTIONS", headers: [("Origin", "http://localhost:3000"),
                                                                ("Access-Control-Request-Method", "POST")])
        #expect(response.status == 204)
        #expect(response.header("access-control-allow-headers")?.contains("mcp-session-id") == true)
        #expect(try harness.request("OPTIONS", headers: [("Origin", "http://evil.example.com")]).status == 403)
    }

    // MARK: Limits

    @Test func aDeclaredBodyOverTheLimitIsRefusedAtOnce() throws {
        let harness = try HTTPHarness { $0.maxBodyBytes = 64 }
        let channel = try harness.connect()
        try harness.write("POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
                          on: channel)
        // (On EmbeddedChannel the decoder's 400 for the cut-off request shows up after the close.)
        let response = try #require(try harness.responses(on: channel).first)
        #expect(response.status == 413)
        #expect(response.header("connection") == "close")
        #expect(!channel.isActive, "the rest of the body is not read")
    }

    @Test func aChunkedBodyOverTheLimitIsRefused() throws {
        let harness = try HTTPHarness { $0.maxBodyBytes = 64 }
        let channel = try harness.connect()
        let chunk = String(repeating: "x", count: 50)
        try harness.write("POST /mcp HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n32\r\n\(chunk)\r\n", on: channel)
        #expect(try harness.responses(on: channel).isEmpty, "50 bytes are within the limit")
        try harness.write("32\r\n\(chunk)\r\n", on: channel)
        #expect(try harness.responses(on: channel).first?.status == 413)
    }

    @Test func aBodyAtTheLimitIsServed() throws {
        let body = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
        let harness = try HTTPHarness(stateless: true) { $0.maxBodyBytes = body.utf8.count }
        #expect(try harness.request(body: body).status == 200)
    }

    @Test func expectContinueIsAnswered() throws {
        let harness = try HTTPHarness(stateless: true)
        let body = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
        try harness.write("POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        #expect(try harness.latest().status == 100)
        try harness.write(body)
        #expect(try harness.latest().status == 200)
    }

    // MARK: Timeouts

    @Test func aHalfSentRequestIsTimedOut() throws {
        let harness = try HTTPHarness { $0.headerTimeout = .milliseconds(500) }
        let stalled = try harness.connect()
        let healthy = try harness.connect()
        try harness.write("POST /mcp HTTP/1.1\r\nHost: local", on: stalled)
        stalled.embeddedEventLoop.advanceTime(by: .milliseconds(400))
        #expect(stalled.isActive)
        // Another client is served meanwhile.
        #expect(try harness.request(body: initializeBody, on: healthy).status == 200)
        stalled.embeddedEventLoop.advanceTime(by: .milliseconds(100))
        #expect(try harness.responses(on: stalled).first?.status == 408)
        #expect(!stalled.isActive)
        #expect(healthy.isActive)
    }

    @Test func aStalledBodyIsTimedOut() throws {
        let harness = try HTTPHarness { $0.requestTimeout = .seconds(2) }
        let channel = try harness.connect()
        try harness.write("POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Length: 50\r\n\r\n{\"json", on: channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(try harness.responses(on: channel).first?.status == 408)
        #expect(!channel.isActive)
    }

    @Test func idleKeepAliveConnectionsCloseButSlowCallsDoNot() throws {
        let harness = try HTTPHarness { $0.idleTimeout = .seconds(5) }
        let channel = try harness.connect()
        let (session, _) = try harness.initialize(on: channel)
        _ = try harness.call("slow", id: 3, session: session, on: channel, expectResponse: false)
        channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(channel.isActive, "the server is the one working")
        harness.provider.release()
        #expect(try harness.latest(on: channel).bodyJSON["id"]?.intValue == 3)
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test func sseHeartbeatsKeepStreamsAlive() throws {
        let harness = try HTTPHarness { $0.sseHeartbeat = .seconds(15) }
        let (session, _) = try harness.initialize()
        let stream = try harness.connect()
        _ = try harness.request("GET", headers: [("Mcp-Session-Id", session!)], on: stream)
        stream.embeddedEventLoop.advanceTime(by: .seconds(31))
        #expect(try harness.latest(on: stream).events.filter { $0["comment"] != nil }.count == 2)
        #expect(stream.isActive, "an open SSE stream is not idle")
    }

    // MARK: Health

    @Test func healthz() throws {
        let harness = try HTTPHarness()
        let response = try harness.request("GET", path: "/healthz", headers: [("Host", "10.0.0.5:8080")])
        #expect(response.status == 200, "probes come by IP address: not subject to the Host rule")
        #expect(response.bodyText == "ok\n")
    }

    @Test func readyzNamesFailingMounts() throws {
        let harness = try HTTPHarness()
        let ready = try harness.request("GET", path: "/readyz")
        #expect(ready.status == 200)
        #expect(ready.bodyJSON["ready"] == .bool(true))
        harness.provider.healthState.withLock { $0 = .failed("library missing") }
        harness.composition.rebuild()
        let failing = try harness.request("GET", path: "/readyz")
        #expect(failing.status == 503)
        #expect(failing.bodyJSON["ready"] == .bool(false))
        let entry = failing.bodyJSON["failing"]?.arrayValue?.first
        #expect(entry?["mount"]?.stringValue == "mount 'test'")
        #expect(entry?["health"]?.stringValue == "failed: library missing")
    }

    @Test func unknownPathsAreNotFound() throws {
        let harness = try HTTPHarness()
        #expect(try harness.request("GET", path: "/elsewhere").status == 404)
    }

    // MARK: Shutdown

    @Test func drainingRefusesNewRequests() throws {
        let harness = try HTTPHarness()
        harness.state.draining.store(true, ordering: .relaxed)
        let response = try harness.request(body: initializeBody)
        #expect(response.status == 503)
        #expect(response.header("connection") == "close")
    }

    // MARK: Legacy HTTP+SSE

    @Test func legacySSEAnnouncesTheEndpointAndAnswersOnTheStream() throws {
        let harness = try HTTPHarness()
        let stream = try harness.connect()
        let opened = try harness.request("GET", path: "/sse", headers: [("Accept", "text/event-stream")], on: stream)
        #expect(opened.status == 200)
        let endpoint = try #require(opened.events.first)
        #expect(endpoint["event"] == "endpoint")
        let url = try #require(endpoint["data"])
        #expect(url.hasPrefix("/messages?sessionId="))
        let accepted = try harness.request(path: url, body: initializeBody)
        #expect(accepted.status == 202)
        #expect(accepted.body.isEmpty)
        let result = try harness.latest(on: stream).messages.last
        #expect(result?["id"]?.intValue == 1)
        #expect(result?["result"]?["protocolVersion"]?.stringValue == "2025-06-18")
        // Unknown and missing session ids.
        #expect(try harness.request(path: "/messages?sessionId=nope", body: initializeBody).status == 404)
        #expect(try harness.request(path: "/messages", body: initializeBody).status == 400)
        // Closing the stream ends the session.
        try stream.close().wait()
        #expect(try harness.request(path: url, body: initializeBody).status == 404)
    }

    @Test func legacyPathsSitBesideTheMCPPath() throws {
        let harness = try HTTPHarness { $0.path = "/api/mcp" }
        let stream = try harness.connect()
        let opened = try harness.request("GET", path: "/api/sse", on: stream)
        #expect(opened.events.first?["data"]?.hasPrefix("/api/messages?sessionId=") == true)
        let disabled = try HTTPHarness { $0.legacySSE = false }
        #expect(try disabled.request("GET", path: "/sse").status == 404)
    }
}
