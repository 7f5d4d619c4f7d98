import ManifoldProtocol
import Testing
@testable import ManifoldCore

/// list_changed: a provider's change → HostComposition rebuild (async) → views → sessions.
@Suite struct ListChangedTests {
    let provider = FakeProvider(catalog: Catalog(tools: [tool("a")], resources: [resource("data://r")], prompts: [prompt("p")]))

    @Test func providerChangeReachesAReadySessionAsToolsListChanged() async throws {
        let host = try Harness(provider, prefix: "m")
        let out = RecordingOutbound()
        let session = host.readySession(outbound: out)
        provider.setCatalog(Catalog(tools: [tool("a"), tool("b")], resources: [resource("data://r")], prompts: [prompt("p")]))
        #expect(await eventually { !out.all.isEmpty })
        #expect(out.all == [["jsonrpc": "2.0", "method": "notifications/tools/list_changed"]])
        // And the session's next list shows the change.
        let names = host.request("tools/list", to: session).result?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["m_a", "m_b"])
    }

    @Test func onlyTheKindsThatChangedAreAnnounced() async throws {
        let host = try Harness(provider)
        let out = RecordingOutbound()
        _ = host.readySession(outbound: out)
        provider.setCatalog(Catalog(tools: [tool("a")], resources: [resource("data://r"), resource("data://s")], prompts: []))
        #expect(await eventually { out.methods.count >= 2 })
        #expect(Set(out.methods) == ["notifications/resources/list_changed", "notifications/prompts/list_changed"])
        #expect(out.methods.count == 2)
    }

    @Test func sessionThatHasNotSentInitializedHearsNothing() async throws {
        let host = try Harness(provider)
        // Listeners are told in the order they joined the view: once the ready session (joined
        // second) has heard, the initializing one (joined first) has been told too.
        let waitingOut = RecordingOutbound()
        let waiting = host.newSession(outbound: waitingOut)
        host.send(initialize(version: "2025-06-18"), to: waiting)
        let newOut = RecordingOutbound()
        _ = host.newSession(outbound: newOut)
        let readyOut = RecordingOutbound()
        _ = host.readySession(outbound: readyOut)

        provider.setCatalog(Catalog(tools: [tool("a"), tool("z")], resources: [resource("data://r")], prompts: [prompt("p")]))
        #expect(await eventually { !readyOut.all.isEmpty })
        #expect(waiting.phase == .initializing)
        #expect(waitingOut.all.isEmpty)
        #expect(newOut.all.isEmpty)
    }

    @Test func changesInvisibleToTheSessionsFilterAreNotAnnounced() throws {
        let tagged = FakeProvider(catalog: Catalog(tools: [tool("pub", tags: ["public"])]))
        let host = try Harness(tagged)
        let publicOut = RecordingOutbound()
        _ = host.readySession(filter: TagFilter(include: ["public"]), outbound: publicOut)
        let allOut = RecordingOutbound()
        _ = host.readySession(outbound: allOut)
        tagged.setCatalog(Catalog(tools: [tool("pub", tags: ["public"]), tool("adm", tags: ["admin"])]), notify: false)
        host.composition.rebuild()
        #expect(allOut.methods == ["notifications/tools/list_changed"])
        #expect(publicOut.all.isEmpty)
    }

    @Test func failingProviderDisappearsWithAListChangedAndTheRestKeepsServing() async throws {
        let healthy = FakeProvider("healthy", catalog: Catalog(tools: [tool("ok")]))
        let host = try Harness(CompositionTree(name: "t", mounts: [
            Mount(content: .provider(provider), prefix: "flaky", label: "F"),
            Mount(content: .provider(healthy), prefix: "good", label: "G"),
        ]))
        let out = RecordingOutbound()
        let session = host.readySession(outbound: out)
        provider.setHealth(.failed("crashed"))
        #expect(await eventually { out.methods.contains("notifications/tools/list_changed") })
        let names = host.request("tools/list", to: session).result?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["good_ok"])
        #expect(host.request("tools/call", #"{"name":"flaky_a"}"#, to: session).errorCode == -32602)
        #expect(host.request("tools/call", #"{"name":"good_ok"}"#, to: session).result != nil)
        #expect(host.composition.surface.unhealthy.map(\.label) == ["F"])
    }

    @Test func closedSessionHearsNothing() async throws {
        let host = try Harness(provider)
        let closedOut = RecordingOutbound()
        let closed = host.readySession(outbound: closedOut)
        closed.close()
        let openOut = RecordingOutbound()
        _ = host.readySession(outbound: openOut)
        provider.setCatalog(Catalog(tools: [tool("x")], resources: [resource("data://r")], prompts: [prompt("p")]))
        #expect(await eventually { !openOut.all.isEmpty })
        #expect(closedOut.all.isEmpty)
    }
}
