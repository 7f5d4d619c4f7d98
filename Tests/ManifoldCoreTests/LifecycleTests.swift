import ManifoldProtocol
import Testing
@testable import ManifoldCore

/// initialize, the handshake gate, ping, and malformed messages — through the Dispatcher.
@Suite struct LifecycleTests {
    let provider = FakeProvider(catalog: Catalog(tools: [tool("add")]))

    @Test func initializeEchoesASupportedVersionAndDescribesTheServer() throws {
        let host = try Harness(provider)
        let session = host.newSession()
        let reply = host.send(initialize(version: "2025-03-26", id: #""init-1""#), to: session)
        let response = try #require(reply.response)
        #expect(response["id"] == "init-1")
        let result = try #require(response["result"])
        #expect(result["protocolVersion"] == "2025-03-26")
        #expect(result["capabilities"] == [
            "tools": ["listChanged": true],
            "resources": ["subscribe": true, "listChanged": true],
            "prompts": ["listChanged": true],
            "logging": [:],
            "completions": [:],
        ])
        #expect(result["serverInfo"] == ["name": "manifold-test", "version": "9.9.9", "title": "Manifold Test"])
        #expect(result["instructions"] == "Use the tools.")
        #expect(session.protocolVersion == .v2025_03_26)
        #expect(session.phase == .initializing)
        #expect(session.clientInfo["name"] == "tests")
    }

    @Test func initializeAnswersAnUnsupportedVersionWithTheLatest() throws {
        let host = try Harness(provider)
        let session = host.newSession()
        let reply = host.send(initialize(version: "2099-12-31"), to: session)
        #expect(reply.result?["protocolVersion"] == .string(ProtocolVersion.latest.rawValue))
        #expect(reply.error == nil)
        #expect(session.protocolVersion == .latest)
    }

    @Test func serverInfoOmitsWhatTheIdentityDoesNotSay() throws {
        let host = try Harness(CompositionTree(name: "t", mounts: []), identity: ServerIdentity(name: "bare", version: "1"))
        let reply = host.send(initialize(version: "2025-06-18"), to: host.newSession())
        #expect(reply.result?["serverInfo"] == ["name": "bare", "version": "1"])
        #expect(reply.result?.objectValue?.keys == ["protocolVersion", "capabilities", "serverInfo"])
    }

    @Test func initializeWithoutAProtocolVersionIsInvalidParams() throws {
        let host = try Harness(provider)
        let session = host.newSession()
        let reply = host.request("initialize", #"{"capabilities":{}}"#, to: session)
        #expect(reply.errorCode == -32602)
        #expect(reply.errorMessage == "Invalid params: missing required 'protocolVersion'")
        #expect(session.phase == .new)
    }

    @Test func initializeWithNonObjectCapabilitiesIsInvalidParams() throws {
        let host = try Harness(provider)
        let reply = host.request("initialize", #"{"protocolVersion":"2025-06-18","capabilities":[]}"#, to: host.newSession())
        #expect(reply.errorCode == -32602)
    }

    @Test func secondInitializeIsRefused() throws {
        let host = try Harness(provider)
        let session = host.readySession()
        let reply = host.send(initialize(version: "2025-03-26", id: "5"), to: session)
        #expect(reply.errorCode == -32600)
        #expect(reply.response?["id"] == 5)
        #expect(session.protocolVersion == .v2025_06_18)
        #expect(session.phase == .ready)
    }

    @Test func initializedNotificationMakesTheSessionReadyAndGetsNoResponse() throws {
        let host = try Harness(provider)
        let session = host.newSession()
        host.send(initialize(version: "2025-06-18"), to: session)
        let reply = host.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, to: session)
        #expect(reply.finishCount == 1)
        #expect(reply.responseBytes == nil)
        #expect(session.phase == .ready)
    }

    @Test func initializedBeforeInitializeChangesNothing() throws {
        let host = try Harness(provider)
        let session = host.newSession()
        host.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, to: session)
        #expect(session.phase == .new)
    }

    // MARK: Before initialize

    @Test func pingIsAnsweredBeforeInitialize() throws {
        let host = try Harness(provider)
        let reply = host.request("ping", id: #""p""#, to: host.newSession())
        #expect(reply.responseText == #"{"jsonrpc":"2.0","id":"p","result":{}}"#)
    }

    @Test(arguments: ["tools/list", "tools/call", "resources/list", "prompts/list", "logging/setLevel"])
    func requestsBeforeInitializeAreRefused(method: String) throws {
        let host = try Harness(provider)
        let reply = host.request(method, #"{"name":"add"}"#, id: "3", to: host.newSession())
        #expect(reply.errorCode == -32600)
        #expect(reply.errorMessage == "Server not initialized: send 'initialize' first")
        #expect(reply.response?["id"] == 3)
        #expect(provider.invocations.isEmpty)
    }

    @Test func unknownMethodBeforeInitializeIsMethodNotFound() throws {
        let host = try Harness(provider)
        let reply = host.request("server/discover", id: "1", to: host.newSession())
        #expect(reply.errorCode == -32601)
        #expect(reply.errorMessage == "Method not found: server/discover")
    }

    @Test func unknownMethodAfterInitializeIsMethodNotFound() throws {
        let host = try Harness(provider)
        let reply = host.request("tools/frobnicate", id: "1", to: host.readySession())
        #expect(reply.errorCode == -32601)
    }

    @Test func pingWorksAtAnyTime() throws {
        let host = try Harness(provider)
        let reply = host.request("ping", id: "9", to: host.readySession())
        #expect(reply.responseText == #"{"jsonrpc":"2.0","id":9,"result":{}}"#)
    }

    // MARK: Malformed messages

    @Test func invalidJSONIsAnsweredWithParseErrorAndNullId() throws {
        let host = try Harness(provider)
        let reply = host.send(#"{"jsonrpc":"2.0","id":1,"method":"ping""#, to: host.readySession())
        #expect(reply.errorCode == -32700)
        #expect(reply.response?["id"] == .null)
    }

    @Test func invalidRequestEchoesTheIdItCouldRead() throws {
        let host = try Harness(provider)
        let reply = host.send(#"{"jsonrpc":"1.0","id":"abc","method":"ping"}"#, to: host.readySession())
        #expect(reply.errorCode == -32600)
        #expect(reply.response?["id"] == "abc")
    }

    @Test func unknownNotificationIsIgnoredSilently() throws {
        let host = try Harness(provider)
        let reply = host.send(#"{"jsonrpc":"2.0","method":"notifications/whatever","params":{}}"#, to: host.readySession())
        #expect(reply.finishCount == 1)
        #expect(reply.responseBytes == nil)
        #expect(reply.sent.isEmpty)
    }

    @Test func everyMessageFinishesItsReplyExactlyOnce() throws {
        let host = try Harness(provider)
        let session = host.readySession()
        for message in [#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, "garbage", #"{"jsonrpc":"2.0","method":"x"}"#,
                        #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add"}}"#,
                        #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope"}}"#] {
            #expect(host.send(message, to: session).finishCount == 1, "\(message)")
        }
    }

    @Test func statelessSessionServesWithoutAHandshake() throws {
        let host = try Harness(provider)
        let session = Session(id: "stateless", view: host.composition.view(filter: .all), outbound: RecordingOutbound(),
                              preinitialized: .v2025_06_18)
        #expect(session.phase == .ready)
        let reply = host.request("tools/call", #"{"name":"add","arguments":{}}"#, to: session)
        #expect(reply.result?["content"] != nil)
    }
}
