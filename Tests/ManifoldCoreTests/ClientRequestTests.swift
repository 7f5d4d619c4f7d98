import ManifoldProtocol
import Synchronization
import Testing
@testable import ManifoldCore

/// Requests the host sends to the client on a provider's behalf (sampling, elicitation, roots).
@Suite struct ClientRequestTests {
    let provider = FakeProvider(catalog: Catalog(tools: [tool("ask")]))
    static let samplingParams = bytes(#"{"messages":[{"role":"user","content":{"type":"text","text":"2+2?"}}],"maxTokens":5}"#)

    /// Holds the provider's call, sends one client request through its context, returns
    /// whether it was sent and where its answer lands.
    func startAsking(_ host: Harness, session: Session, method: String = "sampling/createMessage",
                     params: [UInt8] = ClientRequestTests.samplingParams) throws
        -> (sent: Bool, reply: RecordingReply, answers: Answers)
    {
        provider.behavior = .hold
        let reply = host.request("tools/call", #"{"name":"ask"}"#, id: "10", to: session)
        let context = try #require(provider.invocations.last?.context)
        let answers = Answers()
        let sent = context.request(method: method, params: params) { answers.append($0) }
        return (sent, reply, answers)
    }

    @Test func samplingRequestGoesOutOnTheCallsStreamAndTheAnswerResolvesTheCallback() throws {
        let host = try Harness(provider)
        let session = host.readySession(capabilities: #"{"sampling":{}}"#)
        let (sent, reply, answers) = try startAsking(host, session: session)
        #expect(sent)
        #expect(reply.sentText == [#"{"jsonrpc":"2.0","id":"manifold-1","method":"sampling/createMessage","params":"#
            + text(Self.samplingParams) + "}"])
        #expect(answers.all.isEmpty)

        let response = host.send(#"{"jsonrpc":"2.0","id":"manifold-1","result":{"role":"assistant","content":{"type":"text","text":"4"}}}"#,
                                 to: session)
        #expect(response.finishCount == 1)
        #expect(response.responseBytes == nil)
        #expect(answers.texts == [#"{"role":"assistant","content":{"type":"text","text":"4"}}"#])

        // A second answer with the same id resolves nothing.
        host.send(#"{"jsonrpc":"2.0","id":"manifold-1","result":{}}"#, to: session)
        #expect(answers.all.count == 1)
        // The provider's own call is still its to finish.
        #expect(!reply.isFinished)
        provider.finish(0, with: textResult("4"))
        #expect(reply.result != nil)
    }

    @Test func clientErrorAnswerReachesTheCallbackAsAFailure() throws {
        let host = try Harness(provider)
        let session = host.readySession(capabilities: #"{"sampling":{}}"#)
        let (_, _, answers) = try startAsking(host, session: session)
        host.send(#"{"jsonrpc":"2.0","id":"manifold-1","error":{"code":-1,"message":"User rejected sampling","data":{"x":1}}}"#, to: session)
        let answer = try #require(answers.all.first)
        guard case .failure(let error) = answer else {
            Issue.record("expected a failure, got \(answer)")
            return
        }
        #expect(error.code.rawValue == -1)
        #expect(error.message == "User rejected sampling")
        #expect(error.data == ["x": 1])
    }

    @Test func requestIsRefusedWhenTheClientDidNotDeclareTheCapability() throws {
        let host = try Harness(provider)
        let session = host.readySession(capabilities: #"{"roots":{"listChanged":true}}"#)
        let (sent, reply, answers) = try startAsking(host, session: session)
        #expect(!sent)
        #expect(reply.sent.isEmpty)
        #expect(answers.all.isEmpty)
        // roots was declared, so roots/list may go out.
        let context = try #require(provider.invocations.first?.context)
        #expect(context.request(method: "roots/list", params: bytes("{}")) { _ in })
        #expect(reply.sent.map { $0["method"] } == ["roots/list"])
    }

    @Test(arguments: [("elicitation/create", "elicitation"), ("roots/list", "roots"), ("sampling/createMessage", "sampling")])
    func eachMethodNeedsItsOwnCapability(method: String, capability: String) throws {
        let host = try Harness(provider)
        let without = host.readySession(capabilities: "{}")
        #expect(try startAsking(host, session: without, method: method, params: bytes("{}")).sent == false)
        let with = host.readySession(capabilities: #"{""# + capability + #"":{}}"#)
        #expect(try startAsking(host, session: with, method: method, params: bytes("{}")).sent == true)
    }

    @Test func unknownMethodsAndInvalidParamsAreNotSent() throws {
        let host = try Harness(provider)
        let session = host.readySession(capabilities: #"{"sampling":{},"elicitation":{},"roots":{}}"#)
        #expect(try startAsking(host, session: session, method: "tools/call", params: bytes("{}")).sent == false)
        #expect(try startAsking(host, session: session, params: bytes("{not json")).sent == false)
    }

    @Test func requestAfterTheCallFinishedIsNotSent() throws {
        let host = try Harness(provider)
        let session = host.readySession(capabilities: #"{"sampling":{}}"#)
        let reply = host.request("tools/call", #"{"name":"ask"}"#, to: session)
        let context = try #require(provider.invocations.first?.context)
        #expect(reply.isFinished)
        #expect(!context.request(method: "sampling/createMessage", params: Self.samplingParams) { _ in })
        #expect(reply.sent.isEmpty)
    }

    @Test func eachServerRequestGetsItsOwnIdAndAnswersAreMatchedById() throws {
        let host = try Harness(provider)
        let session = host.readySession(capabilities: #"{"sampling":{}}"#)
        let (_, reply, first) = try startAsking(host, session: session)
        let context = try #require(provider.invocations.first?.context)
        let second = Answers()
        #expect(context.request(method: "sampling/createMessage", params: Self.samplingParams) { second.append($0) })
        #expect(reply.sent.map { $0["id"] } == ["manifold-1", "manifold-2"])
        // A numeric id 2 is not the string id "manifold-2".
        host.send(#"{"jsonrpc":"2.0","id":2,"result":{"n":0}}"#, to: session)
        host.send(#"{"jsonrpc":"2.0","id":"manifold-2","result":{"n":2}}"#, to: session)
        host.send(#"{"jsonrpc":"2.0","id":"manifold-1","result":{"n":1}}"#, to: session)
        #expect(first.texts == [#"{"n":1}"#])
        #expect(second.texts == [#"{"n":2}"#])
    }

    @Test func closingTheSessionFailsPendingRequests() throws {
        let host = try Harness(provider)
        let session = host.readySession(capabilities: #"{"sampling":{}}"#)
        let (_, _, answers) = try startAsking(host, session: session)
        session.close()
        guard case .failure(let error)? = answers.all.first else {
            Issue.record("pending request was not failed: \(answers.all)")
            return
        }
        #expect(error.code == .internalError)
        #expect(error.message == "session closed")
    }

    @Test func relatedMessagesCarryTheProgressTokenWhenTheSessionTagsThem() throws {
        let host = try Harness(provider)
        let session = Session(id: "runner", view: host.composition.view(filter: .all), outbound: RecordingOutbound(),
                              preinitialized: .v2025_06_18, clientCapabilities: ["sampling": [:]], tagsRelatedMessages: true)
        provider.behavior = .hold
        let reply = host.request("tools/call", #"{"name":"ask","_meta":{"progressToken":"pt"}}"#, to: session)
        let context = try #require(provider.invocations.first?.context)
        context.log(.info, logger: nil, data: bytes(#""hi""#))
        #expect(context.request(method: "sampling/createMessage", params: bytes(#"{"maxTokens":1}"#)) { _ in })
        #expect(reply.sent.map { $0["params"]?["_meta"]?["io.manifold/progressToken"] } == ["pt", "pt"])
        #expect(reply.sent.last?["params"]?["maxTokens"] == 1)
    }
}

/// Collects the answers a client request's callback receives.
final class Answers: Sendable {
    private let results = Mutex<[Result<[UInt8], RPCError>]>([])
    func append(_ result: Result<[UInt8], RPCError>) { results.withLock { $0.append(result) } }
    var all: [Result<[UInt8], RPCError>] { results.withLock { $0 } }
    var texts: [String] { all.compactMap { try? $0.get() }.map { text($0) } }
}
