import ManifoldProtocol
import Testing
@testable import ManifoldCore

/// prompts/get and completion/complete: required arguments, local names, "no completions".
@Suite struct PromptAndCompletionTests {
    let provider = FakeProvider(catalog: Catalog(
        resourceTemplates: [template("data://items/{id}")],
        prompts: [prompt("greet", arguments: [("name", true), ("tone", false)]), prompt("plain")]))

    // MARK: prompts/get

    @Test func promptIsServedUnderItsLocalNameWithTheArgumentBytes() throws {
        provider.behavior = .answer(.result(bytes(#"{"messages":[{"role":"user","content":{"type":"text","text":"Hi"}}]}"#)))
        let host = try Harness(provider, prefix: "p")
        let reply = host.request("prompts/get", #"{"name":"p_greet","arguments":{"name":"Ada", "tone":"warm"}}"#, to: host.readySession())
        let call = try #require(provider.invocations.first)
        #expect(call.kind == .getPrompt)
        #expect(call.name == "greet")
        #expect(call.input == #"{"name":"Ada", "tone":"warm"}"#)
        #expect(reply.result?["messages"]?.arrayValue?.count == 1)
    }

    @Test(arguments: [#"{"name":"p_greet"}"#, #"{"name":"p_greet","arguments":{}}"#,
                      #"{"name":"p_greet","arguments":{"tone":"dry"}}"#, #"{"name":"p_greet","arguments":{"name":null}}"#])
    func missingRequiredArgumentIsInvalidParamsNamingIt(params: String) throws {
        let host = try Harness(provider, prefix: "p")
        let reply = host.request("prompts/get", params, to: host.readySession())
        #expect(reply.errorCode == -32602)
        #expect(reply.errorMessage == "Missing required argument 'name' for prompt 'p_greet'")
        #expect(provider.invocations.isEmpty)
    }

    @Test func promptWithoutRequiredArgumentsNeedsNone() throws {
        let host = try Harness(provider)
        host.request("prompts/get", #"{"name":"plain"}"#, to: host.readySession())
        #expect(provider.invocations.map(\.input) == ["{}"])
    }

    @Test func unknownPromptIsInvalidParams() throws {
        let host = try Harness(provider, prefix: "p")
        let reply = host.request("prompts/get", #"{"name":"greet","arguments":{"name":"x"}}"#, to: host.readySession())
        #expect(reply.errorCode == -32602)
        #expect(reply.errorMessage == "Unknown prompt: 'greet'")
    }

    @Test func promptsListShowsExposedNamesAndArguments() throws {
        let host = try Harness(provider, prefix: "p")
        let prompts = try #require(host.request("prompts/list", to: host.readySession()).result?["prompts"]?.arrayValue)
        #expect(prompts.map { $0["name"] } == ["p_greet", "p_plain"])
        #expect(prompts.first?["arguments"]?.arrayValue?.first == ["name": "name", "required": true])
    }

    // MARK: completion/complete

    @Test func completionForAPromptRoutesToTheLocalPromptName() throws {
        provider.behavior = .answer(.result(bytes(#"{"completion":{"values":["Ada","Alan"],"total":2,"hasMore":false}}"#)))
        let host = try Harness(provider, prefix: "p")
        let reply = host.request("completion/complete",
                                 #"{"ref":{"type":"ref/prompt","name":"p_greet"},"argument":{"name":"name","value":"A"}}"#,
                                 to: host.readySession())
        let call = try #require(provider.invocations.first)
        #expect(call.kind == .complete)
        #expect(call.name == "greet")
        let input = json(bytes(call.input))
        #expect(input["ref"] == ["type": "ref/prompt", "name": "greet"])
        #expect(input["argument"] == ["name": "name", "value": "A"])
        #expect(reply.result?["completion"]?["values"] == ["Ada", "Alan"])
    }

    @Test func completionForAResourceTemplateRoutesToTheLocalTemplate() throws {
        let host = try Harness(provider, prefix: "p")
        host.request("completion/complete",
                     #"{"ref":{"type":"ref/resource","uri":"data://p/items/{id}"},"argument":{"name":"id","value":"4"},"context":{"arguments":{}}}"#,
                     to: host.readySession())
        let call = try #require(provider.invocations.first)
        #expect(call.name == "data://items/{id}")
        let input = json(bytes(call.input))
        #expect(input["ref"]?["uri"] == "data://items/{id}")
        #expect(input["context"] == ["arguments": [:]])
    }

    @Test func providerWithoutCompletionsAnswersWithNoValues() throws {
        provider.behavior = .answer(.failure(.methodNotFound("completion/complete")))
        let host = try Harness(provider, prefix: "p")
        let reply = host.request("completion/complete",
                                 #"{"ref":{"type":"ref/prompt","name":"p_greet"},"argument":{"name":"name","value":""}}"#,
                                 to: host.readySession())
        #expect(reply.result == ["completion": ["values": [], "hasMore": false]])
    }

    @Test func otherCompletionFailuresStayErrors() throws {
        provider.behavior = .answer(.failure(.internalError("broken")))
        let host = try Harness(provider, prefix: "p")
        let reply = host.request("completion/complete",
                                 #"{"ref":{"type":"ref/prompt","name":"p_greet"},"argument":{"name":"name","value":""}}"#,
                                 to: host.readySession())
        #expect(reply.errorCode == -32603)
    }

    @Test(arguments: [
        (#"{"argument":{"name":"x","value":""}}"#, "Invalid params: 'ref' must be an object"),
        (#"{"ref":{"type":"ref/prompt","name":"p_greet"}}"#, "Invalid params: 'argument' must be an object with string 'name' and 'value'"),
        (#"{"ref":{"type":"ref/prompt","name":"p_greet"},"argument":{"name":"x"}}"#, "Invalid params: 'argument' must be an object with string 'name' and 'value'"),
        (#"{"ref":{"type":"ref/tool","name":"p_greet"},"argument":{"name":"x","value":""}}"#, "Invalid params: 'ref.type' must be 'ref/prompt' or 'ref/resource'"),
        (#"{"ref":{"type":"ref/prompt","name":"greet"},"argument":{"name":"x","value":""}}"#, "Unknown prompt: 'greet'"),
        (#"{"ref":{"type":"ref/resource","uri":"data://items/{id}"},"argument":{"name":"id","value":""}}"#, "Unknown resource template: 'data://items/{id}'"),
    ])
    func malformedCompletionRequestsAreInvalidParams(params: String, message: String) throws {
        let host = try Harness(provider, prefix: "p")
        let reply = host.request("completion/complete", params, to: host.readySession())
        #expect(reply.errorCode == -32602)
        #expect(reply.errorMessage == message)
        #expect(provider.invocations.isEmpty)
    }
}
