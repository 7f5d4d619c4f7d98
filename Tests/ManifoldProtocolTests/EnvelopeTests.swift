import Testing
@testable import ManifoldProtocol

/// RPCEnvelope.parse: one pass that finds the kind, the id bytes, the method and the ranges of
/// params/result/error — and the JSON-RPC error each malformed message earns.
@Suite struct EnvelopeTests {
    // MARK: Kinds

    @Test func requestHasIdMethodAndParamsRange() throws {
        let message = #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"2"}}"#
        let e = try envelope(message).get()
        #expect(e.kind == .request)
        #expect(e.id == RequestID(1))
        #expect(e.method == "tools/list")
        #expect(e.paramsBytes.map(text) == #"{"cursor":"2"}"#)
        #expect(e.result == nil && e.error == nil)
    }

    @Test func messageWithMethodAndNoIdIsANotification() throws {
        let e = try envelope(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).get()
        #expect(e.kind == .notification)
        #expect(e.id == nil)
        #expect(e.params == nil)
    }

    @Test func messageWithIdAndResultIsAResponse() throws {
        let message = #"{"jsonrpc":"2.0","id":"manifold-1","result":{"role":"assistant"}}"#
        let e = try envelope(message).get()
        #expect(e.kind == .response)
        #expect(e.id == RequestID(string: "manifold-1"))
        #expect(e.result.map { text(e.bytes[$0]) } == #"{"role":"assistant"}"#)
    }

    @Test func messageWithErrorIsAnErrorResponse() throws {
        let e = try envelope(#"{"jsonrpc":"2.0","id":3,"error":{"code":-1,"message":"no"}}"#).get()
        #expect(e.kind == .errorResponse)
        #expect(e.id == RequestID(3))
        #expect(e.error.map { text(e.bytes[$0]) } == #"{"code":-1,"message":"no"}"#)
    }

    @Test func memberOrderDoesNotMatter() throws {
        let e = try envelope(#"{"params":{},"method":"ping","id":9,"jsonrpc":"2.0"}"#).get()
        #expect(e.kind == .request)
        #expect(e.method == "ping")
        #expect(e.id == RequestID(9))
    }

    @Test func unknownMembersAreSkipped() throws {
        let e = try envelope(#"{"jsonrpc":"2.0","x":{"deep":[1,2,{"y":null}]},"id":1,"method":"ping"}"#).get()
        #expect(e.kind == .request)
    }

    // MARK: Ids

    @Test func stringAndNumberIdsWithTheSameDigitsStayDistinct() throws {
        let quoted = try envelope(#"{"jsonrpc":"2.0","id":"1","method":"ping"}"#).get()
        let number = try envelope(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).get()
        #expect(quoted.id != number.id)
        #expect(quoted.id?.raw == bytes(#""1""#))
        #expect(number.id?.raw == bytes("1"))
        #expect(quoted.id?.json == .string("1"))
        #expect(number.id?.json == .number("1"))
    }

    @Test(arguments: [#""1""#, "1", "-7", #""a\u00e9\"b""#, "12345678901234567890", #""""#, "0"])
    func responsesEchoTheIdBytesExactlyAsSent(id: String) throws {
        let e = try envelope(#"{"jsonrpc":"2.0","id": "# + id + #" ,"method":"ping"}"#).get()
        let requestID = try #require(e.id)
        #expect(text(requestID.raw) == id)
        #expect(text(RPCMessage.response(id: requestID, result: bytes("{}"))) == #"{"jsonrpc":"2.0","id":"# + id + #","result":{}}"#)
        #expect(text(RPCMessage.error(.invalidParams("x"), id: requestID)).hasPrefix(#"{"jsonrpc":"2.0","id":"# + id + ","))
    }

    @Test(arguments: ["null", "true", "{}", "[1]"])
    func idsThatAreNotStringsOrNumbersAreInvalidRequests(id: String) {
        let error = envelopeError(#"{"jsonrpc":"2.0","id":"# + id + #","method":"ping"}"#)
        #expect(error?.code == .invalidRequest)
        #expect(error?.message == "Invalid Request: 'id' must be a string or a number")
        #expect(error?.id == nil)
    }

    @Test func requestIDInitializersWriteJSONText() {
        #expect(RequestID(42).raw == bytes("42"))
        #expect(RequestID(string: "a\"b").raw == bytes(#""a\"b""#))
        #expect(RequestID(string: "x").description == #""x""#)
    }

    // MARK: Invalid requests (-32600) and parse errors (-32700)

    @Test func missingJsonrpcIsAnInvalidRequestThatKeepsTheId() {
        let error = envelopeError(#"{"id":5,"method":"ping"}"#)
        #expect(error?.code == .invalidRequest)
        #expect(error?.message == #"Invalid Request: 'jsonrpc' must be "2.0""#)
        #expect(error?.id == RequestID(5))
    }

    @Test(arguments: [#""1.0""#, "2.0", "2", "null", #""2.0 ""#])
    func wrongJsonrpcIsAnInvalidRequest(version: String) {
        let error = envelopeError(#"{"jsonrpc":"# + version + #","id":"x","method":"ping"}"#)
        #expect(error?.code == .invalidRequest)
        #expect(error?.id == RequestID(string: "x"))
    }

    @Test(arguments: ["[1,2]", "42", #""text""#, "null", "true", "[]"])
    func validJSONThatIsNotAnObjectIsAnInvalidRequest(message: String) {
        let error = envelopeError(message)
        #expect(error?.code == .invalidRequest)
        #expect(error?.id == nil)
    }

    @Test(arguments: ["", "   ", "{", #"{"jsonrpc":"2.0","id":1,"method":"ping""#, "{]", "nope", #"{"jsonrpc":"2.0"} trailing"#,
                      #"{"jsonrpc":"2.0","id":1,"method":"ping"}{"jsonrpc":"2.0","id":2,"method":"ping"}"#])
    func invalidJSONIsAParseErrorWithoutAnId(message: String) {
        let error = envelopeError(message)
        #expect(error?.code == .parseError)
        #expect(error?.id == nil)
        #expect(error.map { text(RPCMessage.error($0)) }?.hasPrefix(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"#) == true)
    }

    @Test(arguments: ["1", #""x""#, "true", "null"])
    func paramsThatAreNeitherObjectNorArrayAreInvalidRequests(value: String) {
        let error = envelopeError(#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":"# + value + "}")
        #expect(error?.code == .invalidRequest)
        #expect(error?.message == "Invalid Request: 'params' must be an object or an array")
        #expect(error?.id == RequestID(2))
    }

    @Test func arrayParamsPassTheEnvelopeButNotRequestParams() throws {
        let e = try envelope(#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":[1]}"#).get()
        let error = rpcError { () throws(RPCError) in try RequestParams(e) }
        #expect(error?.code == .invalidParams)
        #expect(error?.message == "Invalid params: 'params' must be an object")
    }

    @Test func methodThatIsNotAStringIsAnInvalidRequest() {
        let error = envelopeError(#"{"jsonrpc":"2.0","id":1,"method":7}"#)
        #expect(error?.code == .invalidRequest)
        #expect(error?.message == "Invalid Request: 'method' must be a string")
    }

    @Test func objectWithNeitherMethodNorResultNorErrorIsAnInvalidRequest() {
        let error = envelopeError(#"{"jsonrpc":"2.0","id":1}"#)
        #expect(error?.code == .invalidRequest)
        #expect(error?.id == RequestID(1))
    }

    /// JSON-RPC 2.0 §5: an error response whose request id could not be read carries
    /// `"id": null`. It is a response, not a request: the server must not answer it.
    @Test func errorResponseWithNullIdIsAResponseNotAnInvalidRequest() {
        let result = envelope(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#)
        #expect(throws: Never.self) { try result.get() }
        #expect((try? result.get())?.kind == .errorResponse)
    }
}
