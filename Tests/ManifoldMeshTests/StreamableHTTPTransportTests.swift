import Foundation
import ManifoldPlugins
import NIOHTTP1
import Synchronization
import Testing

/// The Streamable HTTP client transport against a scripted server: the session id from the
/// initialize answer and the negotiated version on every later request, JSON and SSE answers
/// (with the request they belong to), 202, the GET stream refused with 405, DELETE at close,
/// and the reasons it closes with.
@Suite(.serialized) struct StreamableHTTPTransportTests {
    /// Collects what the transport delivers; waits with deadlines (never sleeps).
    final class Inbox: Sendable {
        let messages = Mutex<[(String, Int?)]>([])
        let closed = Mutex<String?>(nil)

        func wait(for count: Int, timeout: Double = 10) -> [(String, Int?)] {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let current = messages.withLock { $0 }
                if current.count >= count { return current }
                usleep(2000)
            }
            return messages.withLock { $0 }
        }

        func waitClosed(timeout: Double = 10) -> String? {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let reason = closed.withLock({ $0 }) { return reason }
                usleep(2000)
            }
            return nil
        }
    }

    func start(_ transport: any ClientTransport) throws -> Inbox {
        let inbox = Inbox()
        try transport.start(onMessage: { bytes, related in
            inbox.messages.withLock { $0.append((String(decoding: bytes, as: UTF8.self), related)) }
        }, onClose: { reason in inbox.closed.withLock { $0 = reason } })
        return inbox
    }

    static func script(_ request: FakeHTTPServer.Request) -> FakeHTTPServer.Response {
        switch request.method {
        case .GET: return .init(status: .methodNotAllowed)
        case .DELETE: return .init(status: .ok)
        default: break
        }
        if request.body.contains("\"initialize\"") {
            return .init(status: .ok, headers: [("Content-Type", "application/json"), ("Mcp-Session-Id", "session-1")],
                         body: #"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{}}}"#)
        }
        if request.body.contains("\"tools/call\"") {
            let events = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"t\",\"progress\":1}}\n\n"
                + "data: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[]}}\n\n"
            return .init(status: .ok, headers: [("Content-Type", "text/event-stream")], body: events)
        }
        if request.body.contains("\"fail\"") {
            return .init(status: .internalServerError, headers: [("Content-Type", "text/plain")], body: "boom\nmore")
        }
        return .init(status: .accepted)
    }

    @Test func aSessionFromInitializeToDelete() throws {
        let server = try FakeHTTPServer(respond: Self.script)
        defer { server.stop() }
        let transport = StreamableHTTPClientTransport(configuration: HTTPClientConfiguration(
            url: "http://127.0.0.1:\(server.port)/mcp", headers: ["X-Team": "tools"]))
        let inbox = try start(transport)

        transport.send(Array(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#.utf8), requestID: 1)
        #expect(inbox.wait(for: 1).first?.1 == 1)
        transport.negotiated(protocolVersion: "2025-06-18")
        transport.send(Array(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8), requestID: nil)
        transport.send(Array(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x"}}"#.utf8), requestID: 2)
        let messages = inbox.wait(for: 3)
        #expect(messages.count == 3)
        #expect(messages[1].0.contains("notifications/progress") && messages[1].1 == 2)
        #expect(messages[2].0.contains(#""id":2"#) && messages[2].1 == 2)

        let initialize = server.requests[0]
        #expect(initialize.method == .POST && initialize.uri == "/mcp")
        #expect(initialize.headers["Accept"].first == "application/json, text/event-stream")
        #expect(initialize.headers["Content-Type"].first == "application/json")
        #expect(initialize.headers["X-Team"].first == "tools")
        #expect(initialize.headers["Mcp-Session-Id"].isEmpty)
        let later = server.requests.filter { $0.method == .POST }.dropFirst()
        #expect(later.count == 2)
        for request in later {
            #expect(request.headers["Mcp-Session-Id"].first == "session-1")
            #expect(request.headers["MCP-Protocol-Version"].first == "2025-06-18")
        }
        // The GET stream was tried once and refused (405): nothing more. It goes out on its own
        // connection once the session is initialized, so it may land after the calls' answers.
        let requests = server.requests(until: { $0.contains { $0.method == .GET } })
        #expect(requests.filter { $0.method == .GET }.count == 1)
        #expect(requests.first { $0.method == .GET }?.headers["Accept"].first == "text/event-stream")

        transport.close()
        #expect(inbox.waitClosed() == "closed")
        let delete = server.requests.last
        #expect(delete?.method == .DELETE)
        #expect(delete?.headers["Mcp-Session-Id"].first == "session-1")
    }

    @Test func anHTTPErrorAnswersTheRequestWithAnError() throws {
        let server = try FakeHTTPServer(respond: Self.script)
        defer { server.stop() }
        let transport = StreamableHTTPClientTransport(configuration: HTTPClientConfiguration(url: "http://127.0.0.1:\(server.port)/mcp"))
        let inbox = try start(transport)
        transport.send(Array(#"{"jsonrpc":"2.0","id":7,"method":"fail"}"#.utf8), requestID: 7)
        let message = try #require(inbox.wait(for: 1).first)
        #expect(message.0 == #"{"jsonrpc":"2.0","id":7,"error":{"code":-32603,"message":"HTTP 500 Internal Server Error: boom"}}"#)
        #expect(message.1 == 7)
        transport.close()
    }

    @Test func anEndedSessionClosesTheTransport() throws {
        let server = try FakeHTTPServer { request in
            request.body.contains("initialize")
                ? Self.script(request)
                : .init(status: .notFound, body: "no such session")
        }
        defer { server.stop() }
        let transport = StreamableHTTPClientTransport(configuration: HTTPClientConfiguration(url: "http://127.0.0.1:\(server.port)/mcp"))
        let inbox = try start(transport)
        transport.send(Array(#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#.utf8), requestID: 1)
        _ = inbox.wait(for: 1)
        transport.send(Array(#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#.utf8), requestID: 2)
        #expect(inbox.waitClosed() == "the server ended the session (HTTP 404)")
    }

    @Test func nobodyListeningClosesWithTheReason() throws {
        let server = try FakeHTTPServer { _ in .init(status: .ok) }
        let port = server.port
        server.stop()
        let transport = StreamableHTTPClientTransport(configuration: HTTPClientConfiguration(url: "http://127.0.0.1:\(port)/mcp"))
        let inbox = try start(transport)
        transport.send(Array(#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#.utf8), requestID: 1)
        let reason = try #require(inbox.waitClosed())
        #expect(reason.hasPrefix("cannot connect to 127.0.0.1:\(port): "), "\(reason)")
    }

    @Test func aMissingBearerTokenVariableStopsTheStart() {
        let transport = StreamableHTTPClientTransport(configuration: HTTPClientConfiguration(
            url: "http://127.0.0.1:1/mcp", bearerTokenEnv: "MANIFOLD_MESH_TEST_UNSET_TOKEN"))
        #expect(throws: ClientTransportError.self) { _ = try start(transport) }
    }
}
