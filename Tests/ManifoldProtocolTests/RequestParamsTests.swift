import Testing
@testable import ManifoldProtocol

/// RequestParams: the top-level members of `params` as byte ranges, decoded only on demand.
@Suite struct RequestParamsTests {
    static let call = #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a": 2,  "b" : [1, 2.50, "\u00e9"]} ,"_meta":{"progressToken":"tok-1"}}}"#

    @Test func argumentsAreTheExactInputBytesWithoutDecoding() throws {
        let p = try params(Self.call)
        #expect(p.raw("arguments").map(text) == #"{"a": 2,  "b" : [1, 2.50, "\u00e9"]}"#)
        #expect(try p.object("arguments").map(text) == #"{"a": 2,  "b" : [1, 2.50, "\u00e9"]}"#)
        // The slice indexes into the original message bytes: nothing was copied or re-encoded.
        let range = try #require(p.range("arguments"))
        #expect(Array(bytes(Self.call)[range]) == Array(try #require(p.raw("arguments"))))
    }

    @Test func membersAreListedInOrderOfAppearance() throws {
        let p = try params(Self.call)
        #expect(p.members.map(\.key) == ["name", "arguments", "_meta"])
        #expect(p.has("name"))
        #expect(!p.has("cursor"))
        #expect(p.firstByte("arguments") == UInt8(ascii: "{"))
        #expect(p.firstByte("missing") == nil)
    }

    @Test func stringMembersDecodeEscapes() throws {
        let p = try params(#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"data://x/\u00e9\n"}}"#)
        #expect(try p.string("uri") == "data://x/é\n")
        #expect(try p.requiredString("uri") == "data://x/é\n")
    }

    @Test func progressTokenKeepsStringQuotesAndIntegerText() throws {
        #expect(try params(Self.call).progressToken == bytes(#""tok-1""#))
        let numeric = try params(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"other":[1],"progressToken": 42 }}}"#)
        #expect(numeric.progressToken == bytes("42"))
    }

    @Test(arguments: [
        #"{"name":"x"}"#,
        #"{"_meta":{}}"#,
        #"{"_meta":{"progressToken":null}}"#,
        #"{"_meta":"tok"}"#,
        #"{"_meta":null}"#,
    ])
    func progressTokenIsAbsentWithoutAUsableMetaToken(paramsJSON: String) throws {
        let p = try params(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"# + paramsJSON + "}")
        #expect(p.progressToken == nil)
    }

    @Test func wrongTypeForAStringMemberIsInvalidParamsNamingTheKey() throws {
        let p = try params(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":42}}"#)
        let error = rpcError { () throws(RPCError) in try p.string("name") }
        #expect(error?.code == .invalidParams)
        #expect(error?.message == "Invalid params: 'name' must be a string")
    }

    @Test func wrongTypeForAnObjectMemberIsInvalidParamsNamingTheKey() throws {
        let p = try params(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":[1,2]}}"#)
        let error = rpcError { () throws(RPCError) in try p.object("arguments") }
        #expect(error?.code == .invalidParams)
        #expect(error?.message == "Invalid params: 'arguments' must be an object")
    }

    @Test func missingRequiredStringIsInvalidParamsNamingTheKey() throws {
        let p = try params(#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{}}"#)
        let error = rpcError { () throws(RPCError) in try p.requiredString("uri") }
        #expect(error?.code == .invalidParams)
        #expect(error?.message == "Invalid params: missing required 'uri'")
    }

    @Test func nullCountsAsAbsent() throws {
        let p = try params(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"cursor":null,"arguments":null}}"#)
        #expect(try p.string("cursor") == nil)
        #expect(try p.object("arguments") == nil)
        #expect(rpcError { () throws(RPCError) in try p.requiredString("cursor") }?.code == .invalidParams)
    }

    @Test func requestWithoutParamsReadsAsAnEmptyObject() throws {
        let p = try params(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        #expect(p.members.isEmpty)
        #expect(try p.string("cursor") == nil)
        #expect(p.tree == [:])
    }

    @Test func treeAndValueParseOnDemand() throws {
        let p = try params(Self.call)
        #expect(p.tree.keys == ["name", "arguments", "_meta"])
        #expect(p.value("arguments")?["b"] == [1, .number("2.50"), "é"])
        #expect(p.value("missing") == nil)
    }
}

/// Version negotiation and the batch rule.
@Suite struct ProtocolVersionTests {
    @Test(arguments: ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"])
    func supportedVersionIsEchoed(version: String) {
        #expect(ProtocolVersion.negotiate(version).rawValue == version)
        #expect(ProtocolVersion(rawValue: version).isSupported)
    }

    @Test(arguments: ["2099-01-01", "2024-10-07", "", "latest", "2025-06-18 "])
    func unsupportedVersionIsAnsweredWithTheLatest(version: String) {
        #expect(ProtocolVersion.negotiate(version) == .latest)
        #expect(ProtocolVersion.latest == .v2025_11_25)
    }

    @Test func missingVersionIsAnsweredWithTheLatest() {
        #expect(ProtocolVersion.negotiate(nil) == .latest)
    }

    @Test func batchesAreAllowedOnlyBefore20250618() {
        #expect(ProtocolVersion.v2024_11_05.allowsBatches)
        #expect(ProtocolVersion.v2025_03_26.allowsBatches)
        #expect(!ProtocolVersion.v2025_06_18.allowsBatches)
        #expect(!ProtocolVersion.v2025_11_25.allowsBatches)
    }

    @Test func supportedVersionsAreListedOldestFirst() {
        #expect(ProtocolVersion.supported == ProtocolVersion.supported.sorted())
        #expect(ProtocolVersion.supported.last == .latest)
    }
}

/// Log levels: names, order and ABI values.
@Suite struct LogLevelTests {
    @Test func levelsReadByNameAndOrderBySeverity() {
        let names = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
        #expect(LogLevel.allCases.map(\.name) == names)
        #expect(names.compactMap(LogLevel.init(name:)) == LogLevel.allCases)
        #expect(LogLevel.allCases == LogLevel.allCases.sorted())
        #expect(LogLevel.allCases.map(\.rawValue) == Array(0...7))
        #expect(LogLevel.warning > .info)
    }

    @Test(arguments: ["Warning", "warn", "fatal", "", "trace"])
    func unknownLevelNamesAreRefused(name: String) {
        #expect(LogLevel(name: name) == nil)
    }
}

/// Outgoing message builders.
@Suite struct RPCMessageTests {
    @Test func responseSplicesTheResultBytesUntouched() {
        let result = #"{"content":[ {"type":"text","text":"5"} ],"n":1.50}"#
        #expect(text(RPCMessage.response(id: RequestID(3), result: bytes(result)))
            == #"{"jsonrpc":"2.0","id":3,"result":"# + result + "}")
    }

    @Test func errorCarriesCodeEscapedMessageAndData() throws {
        let error = RPCError(code: .resourceNotFound, message: "Resource not found: \"x\"\n", data: ["uri": "x"])
        let frame = RPCMessage.error(error, id: RequestID(string: "r"))
        #expect(text(frame) == #"{"jsonrpc":"2.0","id":"r","error":{"code":-32002,"message":"Resource not found: \"x\"\n","data":{"uri":"x"}}}"#)
        #expect(try JSONValue.parse(frame)["error"]?["message"] == .string("Resource not found: \"x\"\n"))
    }

    @Test func errorUsesItsOwnIdWhenNoneIsGivenAndNullWithoutAny() {
        let withID = RPCError(code: .invalidRequest, message: "m", id: RequestID(8))
        #expect(text(RPCMessage.error(withID)).hasPrefix(#"{"jsonrpc":"2.0","id":8,"#))
        #expect(text(RPCMessage.error(.internalError("m"))).hasPrefix(#"{"jsonrpc":"2.0","id":null,"#))
    }

    @Test func notificationOmitsParamsWhenThereAreNone() {
        #expect(text(RPCMessage.notification(method: "notifications/tools/list_changed", params: nil))
            == #"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#)
        #expect(text(RPCMessage.notification(method: "notifications/resources/updated", params: ["uri": "a://b"]))
            == #"{"jsonrpc":"2.0","method":"notifications/resources/updated","params":{"uri":"a://b"}}"#)
    }

    @Test func serverRequestCarriesIdMethodAndRawParams() {
        #expect(text(RPCMessage.request(id: RequestID(string: "manifold-1"), method: "roots/list", params: bytes("{}")))
            == #"{"jsonrpc":"2.0","id":"manifold-1","method":"roots/list","params":{}}"#)
    }

    @Test func errorCodesMatchJSONRPCAndMCP() {
        #expect(RPCError.Code.parseError.rawValue == -32700)
        #expect(RPCError.Code.invalidRequest.rawValue == -32600)
        #expect(RPCError.Code.methodNotFound.rawValue == -32601)
        #expect(RPCError.Code.invalidParams.rawValue == -32602)
        #expect(RPCError.Code.internalError.rawValue == -32603)
        #expect(RPCError.Code.resourceNotFound.rawValue == -32002)
        #expect(RPCError.methodNotFound("x/y").message == "Method not found: x/y")
    }
}
