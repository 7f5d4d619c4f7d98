import ManifoldProtocol
import NIOCore
import NIOEmbedded
import Testing
@testable import ManifoldServer

/// Streamable HTTP through the real pipeline on an `EmbeddedChannel`: raw HTTP/1.1 in, raw
/// HTTP/1.1 out.
@Suite struct StreamableHTTPTests {
    // MARK: Sessions

    @Test func initializeIssuesASessionIdAndAnswersJSON() throws {
        let harness = try HTTPHarness()
        let (session, response) = try harness.initialize()
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        let id = try #require(session)
        #expect(id.utf8.count == 32)
        #expect(response.bodyJSON["result"]?["protocolVersion"]?.stringValue == "2025-11-25")
        #expect(response.bodyJSON["result"]?["serverInfo"]?["name"]?.stringValue == "test-host")
    }

    @Test func aNotificationIsAcceptedWithAnEmptyBody() throws {
        let harness = try HTTPHarness()
        let (session, _) = try harness.initialize()
        let response = try harness.request(headers: [("Mcp-Session-Id", session!)],
                                           body: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        #expect(response.status == 202)
        #expect(response.body.isEmpty)
        #expect(response.header("content-length") == "0")
        // A client's answer to a server request is accepted the same way.
        let answer = try harness.request(headers: [("Mcp-Session-Id", session!)],
                                         body: #"{"jsonrpc":"2.0","id":"manifold-99","result":{}}"#)
        #expect(answer.status == 202)
    }

    @Test func aRequestWithoutASessionIsABadRequest() throws {
        let harness = try HTTPHarness()
        let response = try harness.call("echo", id: 7, session: nil)
        #expect(response.status == 400)
        #expect(response.bodyJSON["error"]?["code"]?.intValue == -32600)
        #expect(response.bodyJSON["id"]?.intValue == 7, "the error answers the request's id when it was read")
    }

    @Test func anUnknownOrDeletedSessionIsNotFound() throws {
        let harness = try HTTPHarness()
        #expect(try harness.call("echo", session: "0123456789abcdef0123456789abcdef").status == 404)
        let (session, _) = try harness.initialize()
        #expect(try harness.call("echo", session: session).status == 200)
        let deleted = try harness.request("DELETE", headers: [("Mcp-Session-Id", session!)])
        #expect(deleted.status == 200)
        #expect(try harness.call("echo", session: session).status == 404)
        #expect(try harness.request("DELETE", headers: [("Mcp-Session-Id", session!)]).status == 404)
        #expect(try harness.request("DELETE").status == 400)
    }

    @Test func aFailedInitializeLeavesNoSession() throws {
        let harness = try HTTPHarness()
        let response = try harness.request(body: #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#)
        #expect(response.status == 200)
        #expect(response.bodyJSON["error"]?["code"]?.intValue == -32602)
        #expect(response.header("mcp-session-id") == nil)
        #expect(harness.state.sessions.count == 0)
    }

    @Test func anUnsupportedProtocolVersionHeaderIsABadRequest() throws {
        let harness = try HTTPHarness()
        let (session, _) = try harness.initialize()
        let bad = try harness.call("echo", session: session, headers: [("MCP-Protocol-Version", "1999-01-01")])
        #expect(bad.status == 400)
        #expect(bad.bodyJSON["error"]?["message"]?.stringValue?.contains("1999-01-01") == true)
        let good = try harness.call("echo", session: session, headers: [("MCP-Protocol-Version", "2025-06-18")])
        #expect(good.status == 200)
        // Absent: the negotiated version is assumed.
        #expect(try harness.call("echo", session: session).status == 200)
    }

    @Test func malformedJSONIsAParseErrorWithStatus400() throws {
        let harness = try HTTPHarness()
        let response = try harness.request(body: #"{"jsonrpc":"2.0","id":1,"method":"#)
        #expect(response.status == 400)
        #expect(response.header("content-type") == "application/json")
        #expect(response.bodyJSON["error"]?["code"]?.intValue == -32700)
        #expect(response.bodyJSON["id"] == .null)
    }

    @Test func contentTypeAndAcceptAreChecked() throws {
        let harness = try HTTPHarness()
        #expect(try harness.request(headers: [("Content-Type", "text/plain")], body: "{}").status == 415)
        #expect(try harness.request(headers: [("Accept", "text/html")], body: "{}").status == 406)
    }

    // MARK: JSON or SSE

    @Test func aCallThatEmitsNothingFirstIsAnsweredWithJSON() throws {
        let harness = try HTTPHarness()
        let (session, _) = try harness.initialize()
        let response = try harness.call("echo", id: 5, session: session)
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        #expect(response.bodyJSON["id"]?.intValue == 5)
        #expect(response.bodyJSON["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue == "echo {}")
    }

    @Test func aCallThatEmitsProgressSwitchesToSSE() throws {
        let harness = try HTTPHarness()
        let (session, _) = try harness.initialize()
        let response = try harness.call("chatty", id: 9, session: session, progressToken: "p1")
        #expect(response.status == 200)
        #expect(response.header("content-type") == "text/event-stream")
        #expect(response.complete, "the stream ends after the response")
        let events = response.events
        // Priming event (2025-11-25): an id and empty data.
        #expect(events[0]["id"] != nil)
        #expect(events[0]["data"] == "")
        let messages = response.messages
        #expect(messages.map { $0["method"]?.stringValue ?? "response" }
                == ["notifications/progress", "notifications/message", "response"])
        #expect(messages[0]["params"]?["progressToken"]?.stringValue == "p1")
        #expect(messages[2]["id"]?.intValue == 9)
        // Every event has an id unique in the session, all on the same stream.
        let ids = events.compactMap { $0["id"] }
        #expect(Set(ids).count == ids.count)
        #expect(Set(ids.map { $0.split(separator: "-")[0] }).count == 1)
        // The connection is free again: keep-alive.
        #expect(try harness.call("echo", session: session).status == 200)
    }

    @Test func olderSessionsGetNoPrimingEvent() throws {
        let harness = try HTTPHarness()
        let (session, _) = try harness.initialize(version: "2025-06-18")
        let response = try harness.call("chatty", session: session, progressToken: "p")
        #expect(response.events.allSatisfy { $0["data"] != "" })
        #expect(response.messages.count == 3)
    }

    @Test func aJSONOnlyClientGetsJSONEvenForChattyCalls() throws {
        let harness = try HTTPHarness()
        let (session, _) = try harness.initialize()
        let response = try harness.call("chatty", id: 3, session: session, progressToken: "p",
                                        headers: [("Accept", "application/json")])
        #expect(response.header("content-type") == "application/json")
        #expect(response.bodyJSON["id"]?.intValue == 3)
    }

    @Test func concurrentPOSTStreamsOnSeparateConnections() throws {
        let harness = try HTTPHarness()
        let (session, _) = try harness.initialize()
        let a = try harness.connect()
        let b = try harness.connect()
        _ = try harness.call("slow", id: 10, session: session, on: a, expectResponse: false)
        _ = try harness.call("slow", id: 11, session: session, on: b, expectResponse: false)
        #expect(harness.provider.heldCount == 2)
        #expect(try harness.call("echo", id: 12, session: session).status == 200, "a third connection is not blocked")
        harness.provider.release()
        #expect(try harness.latest(on: a).bodyJSON["id"]?.intValue == 10)
        #expect(try harness.latest(on: b).bodyJSON["id"]?.intValue == 11)
    }

    // MARK: GET stream and resumability

    @Test func deleteEndsTheSessionAndClosesItsGETStream() throws {
        let harness = try HTTPHarness()
        let (session, _) = try harness.initialize()
        let stream = try harness.connect()
        let opened = try harness.request("GET", headers: [("Mcp-Session-Id", session!), ("Accept", "text/event-stream")],
                                         on: stream)
        #expect(opened.status == 200)
        #expect(opened.header("content-type") == "text/event-stream")
        #expect(!opened.complete)
        #expect(try harness.request("DELETE", headers: [("Mcp-Session-Id", session!)]).status == 200)
        #expect(try harness.latest(on: stream).complete)
    }

    @Test func unsolicitedMessagesReachTheGETStreamAndReplay() throws {
        let harness = try HTTPHarness()
        let (sessionID, _) = try harness.initialize()
        let session = try #require(harness.state.sessions.checkOut(sessionID!))
        let stream = try harness.connect()
        _ = try harness.request("GET", headers: [("Mcp-Session-Id", sessionID!)], on: stream)
        session.streams.send(bytes(#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#))
        let live = try harness.latest(on: stream)
        #expect(live.messages.map { $0["method"]?.stringValue } == ["notifications/tools/list_changed"])
        let firstID = try #require(live.events.last?["id"])
        // The client reconnects elsewhere with Last-Event-ID: later events are replayed.
        session.streams.send(bytes(#"{"jsonrpc":"2.0","method":"notifications/prompts/list_changed"}"#))
        let other = try harness.connect()
        let resumed = try harness.request("GET", headers: [("Mcp-Session-Id", sessionID!), ("Last-Event-ID", firstID)],
                                          on: other)
        #expect(resumed.status == 200)
        #expect(try harness.latest(on: other).messages.map { $0["method"]?.stringValue }
                == ["notifications/prompts/list_changed"])
        // The old connection was displaced (its response ended).
        #expect(try harness.latest(on: stream).complete)
        harness.state.sessions.checkIn(sessionID!)
    }

    @Test func aPOSTStreamCutOffMidwayIsResumedWithLastEventID() throws {
        let harness = try HTTPHarness()
        let (session, _) = try harness.initialize()
        let post = try harness.connect()
        // `stepwise` reports progress, then waits: the answer switches to SSE.
        let started = try harness.call("stepwise", id: 20, session: session, progressToken: "t", on: post)
        #expect(started.header("content-type") == "text/event-stream")
        #expect(!started.complete)
        let progressID = try #require(started.events.last?["id"])
        #expect(started.messages.map { $0["method"]?.stringValue } == ["notifications/progress"])
        // The client loses the connection; the call goes on and its events are recorded.
        try post.close().wait()
        harness.provider.release()
        let resume = try harness.connect()
        let replay = try harness.request("GET", headers: [("Mcp-Session-Id", session!), ("Last-Event-ID", progressID)],
                                         on: resume)
        #expect(replay.status == 200)
        let replayed = try harness.latest(on: resume)
        #expect(replayed.messages.map { $0["method"]?.stringValue ?? "response" } == ["notifications/progress", "response"])
        #expect(replayed.messages.last?["id"]?.intValue == 20)
        #expect(replayed.complete, "the stream had finished: replay, then end")
    }

    @Test func aPOSTStreamResumedWhileLiveContinuesOnTheNewConnection() throws {
        let harness = try HTTPHarness()
        let (session, _) = try harness.initialize()
        let post = try harness.connect()
        let started = try harness.call("stepwise", id: 30, session: session, progressToken: "t", on: post)
        let primingID = try #require(started.events.first?["id"])
        let resume = try harness.connect()
        _ = try harness.request("GET", headers: [("Mcp-Session-Id", session!), ("Last-Event-ID", primingID)], on: resume)
        #expect(try harness.latest(on: resume).messages.count == 1, "the progress event is replayed")
        #expect(try harness.latest(on: post).complete, "the old connection was displaced")
        harness.provider.release()
        let live = try harness.latest(on: resume)
        #expect(live.messages.last?["id"]?.intValue == 30)
        #expect(live.complete)
    }

    @Test func aDisconnectedSSEStreamKeepsRecordingForAResume() throws {
        let harness = try HTTPHarness()
        let (sessionID, _) = try harness.initialize()
        let session = try #require(harness.state.sessions.checkOut(sessionID!))
        defer { harness.state.sessions.checkIn(sessionID!) }
        let stream = try harness.connect()
        _ = try harness.request("GET", headers: [("Mcp-Session-Id", sessionID!)], on: stream)
        let priming = try #require(try harness.latest(on: stream).events.first?["id"])
        try stream.close().wait()
        session.streams.send(bytes(#"{"jsonrpc":"2.0","method":"notifications/resources/list_changed"}"#))
        let back = try harness.connect()
        _ = try harness.request("GET", headers: [("Mcp-Session-Id", sessionID!), ("Last-Event-ID", priming)], on: back)
        #expect(try harness.latest(on: back).messages.map { $0["method"]?.stringValue }
                == ["notifications/resources/list_changed"])
    }

    @Test func badLastEventIDs() throws {
        let harness = try HTTPHarness()
        let (session, _) = try harness.initialize()
        #expect(try harness.request("GET", headers: [("Mcp-Session-Id", session!), ("Last-Event-ID", "junk")]).status == 400)
        #expect(try harness.request("GET", headers: [("Mcp-Session-Id", session!), ("Last-Event-ID", "99-1")]).status == 404)
    }

    @Test func getNeedsSSEAndASession() throws {
        let harness = try HTTPHarness()
        #expect(try harness.request("GET").status == 400)
        #expect(try harness.request("GET", headers: [("Mcp-Session-Id", "nope")]).status == 404)
        let (session, _) = try harness.initialize()
        #expect(try harness.request("GET", headers: [("Mcp-Session-Id", session!), ("Accept", "application/json")]).status == 406)
        #expect(try harness.request("PUT", body: "{}").status == 405)
    }

    // MARK: Stateless

    @Test func statelessRequestsStandAlone() throws {
        let harness = try HTTPHarness(stateless: true)
        // No initialize needed, no session id issued.
        let call = try harness.call("echo", id: 1, session: nil)
        #expect(call.status == 200)
        #expect(call.header("mcp-session-id") == nil)
        #expect(call.bodyJSON["result"] != nil)
        // initialize is still answered (clients that initialize keep working), without an id.
        let (session, initialize) = try harness.initialize(version: "2025-06-18")
        #expect(session == nil)
        #expect(initialize.bodyJSON["result"]?["protocolVersion"]?.stringValue == "2025-06-18")
        #expect(try harness.request(body: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).status == 202)
        // A session id a client sends anyway is ignored.
        #expect(try harness.call("echo", session: "whatever").status == 200)
        #expect(harness.state.sessions.count == 0)
    }

    @Test func statelessHasNoStreamsAndNoSessionsToDelete() throws {
        let harness = try HTTPHarness(stateless: true)
        let get = try harness.request("GET", headers: [("Accept", "text/event-stream")])
        #expect(get.status == 405)
        #expect(get.header("allow")?.contains("POST") == true)
        #expect(try harness.request("DELETE").status == 405)
        #expect(try harness.request("GET", path: "/sse").status == 404, "legacy SSE needs sessions")
    }

    @Test func statelessVersionHeader() throws {
        let harness = try HTTPHarness(stateless: true)
        #expect(try harness.call("echo", session: nil, headers: [("MCP-Protocol-Version", "2030-01-01")]).status == 400)
        #expect(try harness.call("echo", session: nil, headers: [("MCP-Protocol-Version", "2025-03-26")]).status == 200)
    }

    @Test func statelessChattyCallsStreamWithoutIds() throws {
        let harness = try HTTPHarness(stateless: true)
        let response = try harness.call("chatty", id: 4, session: nil, progressToken: "s")
        #expect(response.header("content-type") == "text/event-stream")
        #expect(response.complete)
        #expect(response.events.allSatisfy { $0["id"] == nil }, "nothing to resume without a session")
        #expect(response.messages.last?["id"]?.intValue == 4)
    }

    // MARK: Batches

    @Test func batchesForOlderSessions() throws {
        let harness = try HTTPHarness()
        let (session, _) = try harness.initialize(version: "2025-03-26")
        let response = try harness.request(headers: [("Mcp-Session-Id", session!)], body: """
            [{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/list"}]
            """)
        #expect(response.status == 200)
        #expect(response.bodyJSON.arrayValue?.count == 2)
        let current = try HTTPHarness()
        let (newer, _) = try current.initialize(version: "2025-06-18")
        let refused = try current.request(headers: [("Mcp-Session-Id", newer!)], body: #"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#)
        #expect(refused.bodyJSON["error"]?["code"]?.intValue == -32600)
    }
}
