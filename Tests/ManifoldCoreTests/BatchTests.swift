import ManifoldProtocol
import Testing
@testable import ManifoldCore

/// JSON-RPC batches: served before 2025-06-18, refused from it on.
@Suite struct BatchTests {
    let provider = FakeProvider(catalog: Catalog(tools: [tool("add")]))

    @Test func sessionAt20250326GetsOneArrayOfResponses() throws {
        let host = try Harness(provider)
        let session = host.readySession(version: "2025-03-26")
        let reply = host.send("""
            [{"jsonrpc":"2.0","id":1,"method":"ping"},
             {"jsonrpc":"2.0","method":"notifications/whatever"},
             {"jsonrpc":"2.0","id":"two","method":"tools/call","params":{"name":"add","arguments":{"a":1}}}]
            """, to: session)
        #expect(reply.finishCount == 1)
        let responses = try #require(reply.response?.arrayValue)
        #expect(responses.count == 2)
        #expect(responses.first == ["jsonrpc": "2.0", "id": 1, "result": [:]])
        #expect(responses.last?["id"] == "two")
        #expect(responses.last?["result"]?["content"] != nil)
        #expect(provider.invocations.map(\.input) == [#"{"a":1}"#])
    }

    @Test(arguments: ["2025-06-18", "2025-11-25"])
    func sessionFrom20250618GetsInvalidRequest(version: String) throws {
        let host = try Harness(provider)
        let session = host.readySession(version: version)
        let reply = host.send(#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, to: session)
        #expect(reply.errorCode == -32600)
        #expect(reply.response?["id"] == .null)
        #expect(reply.errorMessage == "Invalid Request: JSON-RPC batches are not supported by protocol version \(version)")
    }

    @Test func batchBeforeInitializeIsRefused() throws {
        let host = try Harness(provider)
        let reply = host.send(#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, to: host.newSession())
        #expect(reply.errorCode == -32600)
    }

    @Test func batchOfNotificationsOnlyGetsNoResponse() throws {
        let host = try Harness(provider)
        let reply = host.send(#"[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]"#, to: host.readySession(version: "2025-03-26"))
        #expect(reply.finishCount == 1)
        #expect(reply.responseBytes == nil)
    }

    @Test func emptyBatchIsAnInvalidRequest() throws {
        let host = try Harness(provider)
        let reply = host.send(" [ ] ", to: host.readySession(version: "2025-03-26"))
        #expect(reply.errorCode == -32600)
        #expect(reply.errorMessage == "Invalid Request: empty batch")
    }

    @Test func initializeInsideABatchIsRefusedAndTheRestIsServed() throws {
        let host = try Harness(provider)
        let reply = host.send("[" + initialize(version: "2025-03-26", id: "5") + #",{"jsonrpc":"2.0","id":6,"method":"ping"}]"#,
                              to: host.readySession(version: "2025-03-26"))
        let responses = try #require(reply.response?.arrayValue)
        #expect(responses.map { $0["id"] } == [5, 6])
        #expect(responses.first?["error"]?["code"] == -32600)
        #expect(responses.last?["result"] == [:])
    }

    @Test func invalidElementsGetTheirOwnErrors() throws {
        let host = try Harness(provider)
        let reply = host.send(#"[1, {"jsonrpc":"2.0","id":2,"method":"nope"}]"#, to: host.readySession(version: "2025-03-26"))
        let responses = try #require(reply.response?.arrayValue)
        #expect(responses.map { $0["error"]?["code"] } == [-32600, -32601])
        #expect(responses.map { $0["id"] } == [.null, 2])
    }

    @Test func responsesOfHeldCallsArriveWhenTheLastOneFinishes() throws {
        provider.behavior = .hold
        let host = try Harness(provider)
        let reply = host.send(#"[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add"}},{"jsonrpc":"2.0","id":2,"method":"ping"}]"#,
                              to: host.readySession(version: "2025-03-26"))
        #expect(!reply.isFinished)
        provider.finish(0, with: textResult("done"))
        #expect(reply.finishCount == 1)
        #expect(reply.response?.arrayValue?.compactMap { $0["id"]?.intValue }.sorted() == [1, 2])
    }

    @Test func truncatedBatchIsAParseError() throws {
        let host = try Harness(provider)
        let reply = host.send(#"[{"jsonrpc":"2.0","id":1,"method":"ping"}"#, to: host.readySession(version: "2025-03-26"))
        #expect(reply.errorCode == -32700)
    }

    /// Batches that are not valid JSON must be refused as a whole with -32700, like any other
    /// message that is not JSON; the batch reader accepts a missing comma, a trailing comma and
    /// trailing garbage.
    @Test(arguments: [
        #"[{"jsonrpc":"2.0","id":1,"method":"ping"} {"jsonrpc":"2.0","id":2,"method":"ping"}]"#,
        #"[{"jsonrpc":"2.0","id":1,"method":"ping"},]"#,
        #"[{"jsonrpc":"2.0","id":1,"method":"ping"}] trailing"#,
    ])
    func malformedBatchJSONIsAParseError(message: String) throws {
        let host = try Harness(provider)
        let reply = host.send(message, to: host.readySession(version: "2025-03-26"))
        #expect(reply.errorCode == -32700, "\(reply.responseText ?? "no response")")
    }
}
