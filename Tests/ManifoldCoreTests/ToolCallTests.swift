import ManifoldProtocol
import Synchronization
import Testing
@testable import ManifoldCore

/// tools/list and tools/call end to end: routing, argument bytes, errors, cancellation,
/// progress and logging.
@Suite struct ToolCallTests {
    let provider = FakeProvider(catalog: Catalog(tools: [tool("add", tags: ["public"]), tool("wipe", tags: ["admin"])]))

    // MARK: Listing

    @Test func toolsListShowsExposedNamesPageByPage() throws {
        let many = FakeProvider(catalog: Catalog(tools: ["a", "b", "c"].map { tool($0) }))
        let host = try Harness(many, prefix: "m", pageSize: 2)
        let session = host.readySession()
        let first = host.request("tools/list", to: session)
        #expect(first.result?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["m_a", "m_b"])
        let cursor = try #require(first.result?["nextCursor"]?.stringValue)
        let second = host.request("tools/list", #"{"cursor":""# + cursor + #""}"#, to: session)
        #expect(second.result?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["m_c"])
        #expect(second.result?["nextCursor"] == nil)
    }

    @Test func toolsListWithABadCursorIsInvalidParams() throws {
        let host = try Harness(provider)
        let reply = host.request("tools/list", #"{"cursor":"bogus"}"#, to: host.readySession())
        #expect(reply.errorCode == -32602)
        #expect(reply.errorMessage == "Invalid cursor: 'bogus'")
    }

    @Test func toolsListDoesNotLeakTags() throws {
        let host = try Harness(provider)
        let reply = host.request("tools/list", to: host.readySession())
        let tools = try #require(reply.result?["tools"]?.arrayValue)
        #expect(tools.allSatisfy { $0["tags"] == nil })
    }

    @Test func filteredToolsAreAbsentFromTheListAndCannotBeCalled() throws {
        let host = try Harness(provider)
        let session = host.readySession(filter: TagFilter(exclude: ["admin"]))
        let list = host.request("tools/list", to: session)
        #expect(list.result?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["add"])
        let call = host.request("tools/call", #"{"name":"wipe","arguments":{}}"#, to: session)
        #expect(call.errorCode == -32602)
        #expect(call.errorMessage == "Unknown tool: 'wipe'")
        #expect(provider.invocations.isEmpty)
    }

    // MARK: Calling

    @Test func toolsCallForwardsArgumentBytesUntouchedUnderTheLocalName() throws {
        let host = try Harness(provider, prefix: "math")
        let arguments = #"{ "a" : 2.50,"b":[1,  {"c":"\u00e9"}] , "z":12345678901234567890 }"#
        host.request("tools/call", #"{"name":"math_add","arguments":"# + arguments + "}", to: host.readySession())
        let call = try #require(provider.invocations.first)
        #expect(call.kind == .callTool)
        #expect(call.name == "add")
        #expect(call.input == arguments)
    }

    @Test func providerResultBytesAreSplicedIntoTheResponse() throws {
        let result = #"{"content":[{"type":"text","text":"5"}],"structuredContent":{"result":5.0e0}}"#
        provider.behavior = .answer(.result(bytes(result)))
        let host = try Harness(provider)
        let reply = host.request("tools/call", #"{"name":"add","arguments":{"a":2,"b":3}}"#, id: #""call-7""#, to: host.readySession())
        #expect(reply.responseText == #"{"jsonrpc":"2.0","id":"call-7","result":"# + result + "}")
    }

    @Test func missingArgumentsAreForwardedAsAnEmptyObject() throws {
        let host = try Harness(provider)
        let session = host.readySession()
        host.request("tools/call", #"{"name":"add"}"#, to: session)
        host.request("tools/call", #"{"name":"add","arguments":null}"#, to: session)
        #expect(provider.invocations.map(\.input) == ["{}", "{}"])
    }

    @Test(arguments: [#""text""#, "[1,2]", "42", "true"])
    func argumentsThatAreNotAnObjectAreInvalidParams(arguments: String) throws {
        let host = try Harness(provider)
        let reply = host.request("tools/call", #"{"name":"add","arguments":"# + arguments + "}", to: host.readySession())
        #expect(reply.errorCode == -32602)
        #expect(reply.errorMessage == "Invalid params: 'arguments' must be an object")
        #expect(provider.invocations.isEmpty)
    }

    @Test func unknownToolIsInvalidParams() throws {
        let host = try Harness(provider, prefix: "math")
        let session = host.readySession()
        let reply = host.request("tools/call", #"{"name":"add","arguments":{}}"#, id: "4", to: session)
        #expect(reply.errorCode == -32602)
        #expect(reply.errorMessage == "Unknown tool: 'add'")
        #expect(reply.response?["id"] == 4)
    }

    @Test func toolNameMustBeAString() throws {
        let host = try Harness(provider)
        let session = host.readySession()
        #expect(host.request("tools/call", #"{"name":5}"#, to: session).errorMessage == "Invalid params: 'name' must be a string")
        #expect(host.request("tools/call", #"{}"#, to: session).errorMessage == "Invalid params: missing required 'name'")
    }

    @Test func providerFailureBecomesAJSONRPCError() throws {
        provider.behavior = .answer(.failure(RPCError(code: .internalError, message: "plugin 'fake' failed: boom", data: ["why": "boom"])))
        let host = try Harness(provider)
        let reply = host.request("tools/call", #"{"name":"add"}"#, id: "12", to: host.readySession())
        #expect(reply.response == [
            "jsonrpc": "2.0", "id": 12,
            "error": ["code": -32603, "message": "plugin 'fake' failed: boom", "data": ["why": "boom"]],
        ])
    }

    @Test func requestMetaReachesTheProviderUntouched() throws {
        provider.behavior = .hold
        let host = try Harness(provider)
        let session = host.readySession()
        let meta = #"{ "progressToken" : 5, "vendor.example/trace":{"id":"abc"} }"#
        host.request("tools/call", #"{"name":"add","_meta":"# + meta + "}", to: session)
        host.request("tools/call", #"{"name":"add"}"#, id: "2", to: session)
        #expect(provider.invocations.map { $0.context.meta.map(text) } == [meta, nil])
    }

    @Test func callsAnsweredLaterAreRespondedOnceWhenTheProviderCompletes() throws {
        provider.behavior = .hold
        let host = try Harness(provider)
        let reply = host.request("tools/call", #"{"name":"add"}"#, id: "1", to: host.readySession())
        #expect(!reply.isFinished)
        provider.finish(0, with: textResult("late"))
        provider.finish(0, with: textResult("twice"))
        #expect(reply.finishCount == 1)
        #expect(reply.result?["content"]?.arrayValue?.first?["text"] == "late")
    }

    // MARK: Cancellation

    @Test func cancelledCallRunsTheProvidersHookAndSendsNoResponse() throws {
        let hookRan = Flag()
        provider.behavior = .hold
        let host = try Harness(provider)
        let session = host.readySession()
        let reply = host.request("tools/call", #"{"name":"add","_meta":{"progressToken":"p"}}"#, id: "7", to: session)
        let context = try #require(provider.invocations.first?.context)
        context.onCancel { hookRan.set() }
        #expect(!context.isCancelled)

        let cancel = host.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"user"}}"#, to: session)
        #expect(cancel.responseBytes == nil)
        #expect(hookRan.isSet)
        #expect(context.isCancelled)

        // The provider still completes (as the ABI requires); nothing reaches the client.
        context.progress(1, total: nil, message: nil)
        provider.finish(0, with: textResult("too late"))
        #expect(reply.finishCount == 1)
        #expect(reply.responseBytes == nil)
        #expect(reply.sent.isEmpty)
    }

    @Test func onCancelRegisteredAfterCancellationRunsAtOnce() throws {
        provider.behavior = .hold
        let host = try Harness(provider)
        let session = host.readySession()
        host.request("tools/call", #"{"name":"add"}"#, id: "7", to: session)
        host.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}"#, to: session)
        let ran = Flag()
        provider.invocations.first?.context.onCancel { ran.set() }
        #expect(ran.isSet)
    }

    @Test func cancellationOfUnknownIdsIsIgnored() throws {
        provider.behavior = .hold
        let host = try Harness(provider)
        let session = host.readySession()
        let reply = host.request("tools/call", #"{"name":"add"}"#, id: "7", to: session)
        // A string "7" is another id than the number 7; 99 was never sent.
        for requestId in [#""7""#, "99", "null"] {
            let cancel = host.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"# + requestId + "}}", to: session)
            #expect(cancel.responseBytes == nil)
        }
        host.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{}}"#, to: session)
        #expect(provider.invocations.first?.context.isCancelled == false)
        provider.finish(0, with: textResult("done"))
        #expect(reply.result?["content"] != nil)
    }

    @Test func cancellingAFinishedCallChangesNothing() throws {
        let host = try Harness(provider)
        let session = host.readySession()
        let reply = host.request("tools/call", #"{"name":"add"}"#, id: "7", to: session)
        host.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}"#, to: session)
        #expect(reply.finishCount == 1)
        #expect(reply.result != nil)
        #expect(provider.invocations.first?.context.isCancelled == false)
    }

    @Test func closingTheSessionCancelsItsCallsInFlight() throws {
        provider.behavior = .hold
        let host = try Harness(provider)
        let session = host.readySession()
        let reply = host.request("tools/call", #"{"name":"add"}"#, id: "1", to: session)
        session.close()
        #expect(session.phase == .closed)
        #expect(provider.invocations.first?.context.isCancelled == true)
        provider.finish(0, with: .cancelled)
        #expect(reply.finishCount == 1)
        #expect(reply.responseBytes == nil)
    }

    // MARK: Progress

    @Test func progressIsSentOnlyWhenIncreasingAndOnlyWhileTheCallIsLive() throws {
        provider.behavior = .hold
        let host = try Harness(provider)
        let reply = host.request("tools/call", #"{"name":"add","_meta":{"progressToken":"tok"}}"#, to: host.readySession())
        let context = try #require(provider.invocations.first?.context)
        context.progress(1, total: 10, message: "first")
        context.progress(1, total: 10, message: "same value")
        context.progress(0.5, total: 10, message: "backwards")
        context.progress(2.5, total: nil, message: "")
        provider.finish(0, with: textResult("done"))
        context.progress(3, total: 10, message: "after the response")
        #expect(reply.sentText == [
            #"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"tok","progress":1,"total":10,"message":"first"}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"tok","progress":2.5}}"#,
        ])
        #expect(reply.finishCount == 1)
    }

    @Test func progressTokenIsEchoedInItsOwnType() throws {
        provider.behavior = .script { _, context in
            context.progress(1, total: nil, message: nil)
            return textResult("ok")
        }
        let host = try Harness(provider)
        let reply = host.request("tools/call", #"{"name":"add","_meta":{"progressToken":42}}"#, to: host.readySession())
        #expect(reply.sent.first?["params"]?["progressToken"] == 42)
    }

    @Test func noProgressIsSentWithoutAToken() throws {
        provider.behavior = .script { _, context in
            context.progress(1, total: 2, message: "half")
            context.progress(2, total: 2, message: "all")
            return textResult("ok")
        }
        let host = try Harness(provider)
        let reply = host.request("tools/call", #"{"name":"add"}"#, to: host.readySession())
        #expect(reply.sent.isEmpty)
        #expect(reply.result != nil)
    }

    /// MCP's `progress` and `total` are numbers; a value JSON cannot carry (NaN, ±infinity)
    /// must not go out as `null`.
    @Test func nonFiniteProgressIsNotSent() throws {
        provider.behavior = .script { _, context in
            context.progress(.nan, total: nil, message: nil)
            context.progress(.infinity, total: nil, message: nil)
            context.progress(1, total: .infinity, message: nil)
            return textResult("ok")
        }
        let host = try Harness(provider)
        let reply = host.request("tools/call", #"{"name":"add","_meta":{"progressToken":"t"}}"#, to: host.readySession())
        #expect(reply.sentText.allSatisfy { !$0.contains(":null") }, "\(reply.sentText)")
    }

    // MARK: Logging

    @Test func logsBelowTheClientsLevelAreDropped() throws {
        provider.behavior = .script { _, context in
            for level in LogLevel.allCases { context.log(level, logger: "fake", data: bytes(#""at \#(level.name)""#)) }
            return textResult("ok")
        }
        let host = try Harness(provider)
        let session = host.readySession()
        let set = host.request("logging/setLevel", #"{"level":"error"}"#, id: "2", to: session)
        #expect(set.responseText == #"{"jsonrpc":"2.0","id":2,"result":{}}"#)
        let reply = host.request("tools/call", #"{"name":"add"}"#, to: session)
        #expect(reply.sent.map { $0["params"]?["level"]?.stringValue ?? "?" } == ["error", "critical", "alert", "emergency"])
        #expect(reply.sentText.first == #"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"error","logger":"fake","data":"at error"}}"#)
    }

    @Test func everyLevelPassesUntilTheClientSetsOne() throws {
        provider.behavior = .script { _, context in
            context.log(.debug, logger: nil, data: bytes(#"{"detail":[1,2]}"#))
            return textResult("ok")
        }
        let host = try Harness(provider)
        let reply = host.request("tools/call", #"{"name":"add"}"#, to: host.readySession())
        #expect(reply.sentText == [#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"debug","data":{"detail":[1,2]}}}"#])
    }

    @Test func logDataThatIsNotJSONIsDropped() throws {
        provider.behavior = .script { _, context in
            context.log(.error, logger: "x", data: bytes("not json"))
            return textResult("ok")
        }
        let host = try Harness(provider)
        #expect(host.request("tools/call", #"{"name":"add"}"#, to: host.readySession()).sent.isEmpty)
    }

    @Test func logsAfterTheResponseAreDropped() throws {
        provider.behavior = .hold
        let host = try Harness(provider)
        let reply = host.request("tools/call", #"{"name":"add"}"#, to: host.readySession())
        provider.finish(0, with: textResult("done"))
        provider.invocations[0].context.log(.emergency, logger: nil, data: bytes(#""late""#))
        #expect(reply.sent.isEmpty)
    }

    @Test(arguments: [#"{"level":"verbose"}"#, #"{"level":"Warning"}"#, #"{"level":3}"#, "{}"])
    func badLogLevelIsInvalidParams(params: String) throws {
        let host = try Harness(provider)
        let reply = host.request("logging/setLevel", params, to: host.readySession())
        #expect(reply.errorCode == -32602)
    }
}

/// A thread-safe one-way flag.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
