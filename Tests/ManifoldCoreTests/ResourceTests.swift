import ManifoldProtocol
import Testing
@testable import ManifoldCore

/// resources/read, subscriptions and resource updates, through a prefixed mount.
@Suite struct ResourceTests {
    let provider = FakeProvider(catalog: Catalog(
        resources: [resource("data://config", tags: ["public"]), resource("data://secret", tags: ["admin"])],
        resourceTemplates: [template("data://items/{id}", tags: ["public"])]))

    init() {
        // Answers a read with one content item for the URI it was asked for, plus a related one.
        provider.behavior = .script { request, _ in
            guard request.kind == .readResource else { return .failure(.internalError("unexpected")) }
            if request.name.hasSuffix("/missing") {
                return .failure(RPCError(code: .resourceNotFound, message: "no such item", data: ["uri": .string(request.name)]))
            }
            let contents: JSONValue = ["contents": [
                ["uri": .string(request.name), "mimeType": "text/plain", "text": "value"],
                ["uri": .string(request.name + "/child"), "text": "child"],
            ]]
            return .result(contents.serialized())
        }
    }

    @Test func readingAPrefixedStaticResourceAsksTheProviderForItsOwnURIAndRewritesContentsBack() throws {
        let host = try Harness(provider, prefix: "p")
        let reply = host.request("resources/read", #"{"uri":"data://p/config"}"#, to: host.readySession())
        let call = try #require(provider.invocations.first)
        #expect(call.kind == .readResource)
        #expect(call.name == "data://config")
        #expect(call.input == "{}")
        let contents = try #require(reply.result?["contents"]?.arrayValue)
        #expect(contents.map { $0["uri"] } == ["data://p/config", "data://p/config/child"])
        #expect(contents.first?["text"] == "value")
    }

    @Test func readingAURIThatMatchesAPrefixedTemplateMapsItToTheProvidersURI() throws {
        let host = try Harness(provider, prefix: "p")
        let reply = host.request("resources/read", #"{"uri":"data://p/items/42"}"#, to: host.readySession())
        #expect(provider.invocations.first?.name == "data://items/42")
        #expect(reply.result?["contents"]?.arrayValue?.map { $0["uri"] } == ["data://p/items/42", "data://p/items/42/child"])
    }

    @Test func readingWithoutAPrefixPassesTheResultThroughUntouched() throws {
        provider.behavior = .answer(.result(bytes(#"{"contents":[ {"uri":"data://config","text":"1.50"} ]}"#)))
        let host = try Harness(provider)
        let reply = host.request("resources/read", #"{"uri":"data://config"}"#, id: "1", to: host.readySession())
        #expect(reply.responseText == #"{"jsonrpc":"2.0","id":1,"result":{"contents":[ {"uri":"data://config","text":"1.50"} ]}}"#)
    }

    @Test func unknownURIIsResourceNotFoundWithTheURIInData() throws {
        let host = try Harness(provider, prefix: "p")
        let reply = host.request("resources/read", #"{"uri":"data://p/nothing/here"}"#, id: "3", to: host.readySession())
        #expect(reply.response == [
            "jsonrpc": "2.0", "id": 3,
            "error": ["code": -32002, "message": "Resource not found: data://p/nothing/here", "data": ["uri": "data://p/nothing/here"]],
        ])
        #expect(provider.invocations.isEmpty)
    }

    @Test func providerNotFindingATemplateMatchIsResourceNotFoundUnderTheExposedURI() throws {
        let host = try Harness(provider, prefix: "p")
        let reply = host.request("resources/read", #"{"uri":"data://p/items/missing"}"#, to: host.readySession())
        #expect(provider.invocations.first?.name == "data://items/missing")
        #expect(reply.errorCode == -32002)
        #expect(reply.error?["data"]?["uri"] == "data://p/items/missing")
    }

    @Test func resourcesHiddenByTheFilterAreNotFound() throws {
        let host = try Harness(provider, prefix: "p")
        let reply = host.request("resources/read", #"{"uri":"data://p/secret"}"#, to: host.readySession(filter: TagFilter(exclude: ["admin"])))
        #expect(reply.errorCode == -32002)
        #expect(provider.invocations.isEmpty)
    }

    @Test func readWithoutAURIIsInvalidParams() throws {
        let host = try Harness(provider)
        #expect(host.request("resources/read", "{}", to: host.readySession()).errorCode == -32602)
    }

    @Test func listsShowPrefixedResourcesAndTemplates() throws {
        let host = try Harness(provider, prefix: "p")
        let session = host.readySession()
        let resources = host.request("resources/list", to: session).result?["resources"]?.arrayValue
        #expect(resources?.map { $0["uri"] } == ["data://p/config", "data://p/secret"])
        let templates = host.request("resources/templates/list", to: session).result?["resourceTemplates"]?.arrayValue
        #expect(templates?.map { $0["uriTemplate"] } == ["data://p/items/{id}"])
    }

    // MARK: Subscriptions

    @Test func resourceUpdatesReachOnlySubscribedSessions() throws {
        let host = try Harness(provider, prefix: "p")
        let subscribedOut = RecordingOutbound()
        let otherOut = RecordingOutbound()
        let subscribed = host.readySession(outbound: subscribedOut)
        _ = host.readySession(outbound: otherOut)
        let reply = host.request("resources/subscribe", #"{"uri":"data://p/config"}"#, id: "1", to: subscribed)
        #expect(reply.responseText == #"{"jsonrpc":"2.0","id":1,"result":{}}"#)
        #expect(provider.subscriptions == ["data://config"])

        provider.updateResource("data://config")
        provider.updateResource("data://secret")
        #expect(subscribedOut.all == [["jsonrpc": "2.0", "method": "notifications/resources/updated", "params": ["uri": "data://p/config"]]])
        #expect(otherOut.all.isEmpty)
    }

    @Test func updatesOfTemplateResourcesUseTheExposedURI() throws {
        let host = try Harness(provider, prefix: "p")
        let out = RecordingOutbound()
        let session = host.readySession(outbound: out)
        host.request("resources/subscribe", #"{"uri":"data://p/items/7"}"#, to: session)
        #expect(provider.subscriptions == ["data://items/7"])
        provider.updateResource("data://items/8")
        provider.updateResource("data://items/7")
        #expect(out.all.map { $0["params"]?["uri"] } == ["data://p/items/7"])
    }

    @Test func unsubscribeStopsUpdatesAndReleasesTheProviderSubscription() throws {
        let host = try Harness(provider, prefix: "p")
        let out = RecordingOutbound()
        let session = host.readySession(outbound: out)
        host.request("resources/subscribe", #"{"uri":"data://p/config"}"#, to: session)
        host.request("resources/subscribe", #"{"uri":"data://p/config"}"#, to: session)
        let reply = host.request("resources/unsubscribe", #"{"uri":"data://p/config"}"#, to: session)
        #expect(reply.result == [:])
        provider.updateResource("data://config")
        #expect(out.all.isEmpty)
        #expect(provider.subscriptions == ["data://config"])
        #expect(provider.unsubscriptions == ["data://config"])
    }

    @Test func subscribingToAnUnknownURIIsResourceNotFound() throws {
        let host = try Harness(provider, prefix: "p")
        let reply = host.request("resources/subscribe", #"{"uri":"data://p/none/such"}"#, to: host.readySession())
        #expect(reply.errorCode == -32002)
        #expect(reply.error?["data"]?["uri"] == "data://p/none/such")
        #expect(provider.subscriptions.isEmpty)
    }

    @Test func closingASessionReleasesItsSubscriptions() throws {
        let host = try Harness(provider, prefix: "p")
        let session = host.readySession()
        host.request("resources/subscribe", #"{"uri":"data://p/items/1"}"#, to: session)
        session.close()
        #expect(provider.unsubscriptions == ["data://items/1"])
    }

    /// Provider subscriptions are counted, one `unsubscribe` per `subscribe` (Provider.swift);
    /// a resource leaving the list must not leave the provider's count up forever.
    @Test func subscriptionsOfAResourceThatLeftTheListAreStillReleased() throws {
        let host = try Harness(provider, prefix: "p")
        let session = host.readySession()
        host.request("resources/subscribe", #"{"uri":"data://p/config"}"#, to: session)
        provider.setCatalog(Catalog(resourceTemplates: [template("data://items/{id}")]), notify: false)
        host.composition.rebuild()
        session.close()
        #expect(provider.unsubscriptions == ["data://config"])
    }

    @Test func updatesOfResourcesTheViewFiltersOutAreNotSent() throws {
        let host = try Harness(provider, prefix: "p")
        let everythingOut = RecordingOutbound()
        let publicOut = RecordingOutbound()
        let everything = host.readySession(outbound: everythingOut)
        let publicOnly = host.readySession(filter: TagFilter(include: ["public"]), outbound: publicOut)
        host.request("resources/subscribe", #"{"uri":"data://p/secret"}"#, to: everything)
        #expect(host.request("resources/subscribe", #"{"uri":"data://p/secret"}"#, to: publicOnly).errorCode == -32002)
        provider.updateResource("data://secret")
        #expect(everythingOut.all.count == 1)
        #expect(publicOut.all.isEmpty)
    }

    @Test func updatesBeforeTheSessionIsReadyAreNotSent() throws {
        let host = try Harness(provider, prefix: "p")
        let out = RecordingOutbound()
        let session = host.newSession(outbound: out)
        host.send(initialize(version: "2025-06-18"), to: session)
        host.request("resources/subscribe", #"{"uri":"data://p/config"}"#, to: session)
        provider.updateResource("data://config")
        #expect(out.all.isEmpty)
    }

    /// The same provider mounted twice: a subscriber of the second mount's template URI must
    /// hear about updates as well as one of the first.
    @Test func templateUpdatesReachEveryMountOfTheSameProvider() throws {
        let host = try Harness(CompositionTree(name: "t", mounts: [
            Mount(content: .provider(provider), prefix: "a", label: "A"),
            Mount(content: .provider(provider), prefix: "b", label: "B"),
        ]))
        let out = RecordingOutbound()
        let session = host.readySession(outbound: out)
        host.request("resources/subscribe", #"{"uri":"data://a/items/1"}"#, to: session)
        host.request("resources/subscribe", #"{"uri":"data://b/items/1"}"#, to: session)
        host.request("resources/subscribe", #"{"uri":"data://b/config"}"#, to: session)
        provider.updateResource("data://config")
        #expect(out.all.map { $0["params"]?["uri"] } == ["data://b/config"])
        provider.updateResource("data://items/1")
        #expect(out.all.map { $0["params"]?["uri"] } == ["data://b/config", "data://a/items/1", "data://b/items/1"])
    }
}
