import CManifoldABI
import Dispatch
import ManifoldCore
import ManifoldManifest
import ManifoldProtocol
import ManifoldTestSupport
import Synchronization
import Testing
@testable import ManifoldPlugins

/// The real Math and Bench plugins, loaded and called through the Provider interface.
@Suite struct NativePluginTests {
    let folder = TemporaryFolder()

    func math() throws -> NativePlugin {
        try load(pluginManifest(id: "math", library: "libMath.so", in: folder, tags: ["math"]))
    }

    func bench(tools: Int = 3) throws -> NativePlugin {
        try load(pluginManifest(id: "bench", library: "libBench.so", in: folder, config: ["tools": .int(tools)]))
    }

    // MARK: Catalog

    @Test func mathListsItsComponentsWithListedAndManifestTags() throws {
        let plugin = try math()
        #expect(plugin.displayName == "plugin 'math'")
        #expect(plugin.health == .ready)
        let catalog = plugin.catalog()
        #expect(catalog.tools.map(\.key) == ["add", "multiply", "divide", "sqrt", "hello", "reset_memory"])
        #expect(catalog.tools.first?.tags == ["public", "math"])
        #expect(catalog.tools.last?.tags == ["admin", "math"])
        #expect(catalog.tools.allSatisfy { $0.definition["tags"] == nil })
        #expect(catalog.resources.map(\.key) == ["math://constants"])
        #expect(catalog.resourceTemplates.map(\.key) == ["math://constants/{name}"])
        #expect(catalog.prompts.map(\.key) == ["explain"])
        #expect(catalog.resources.first?.tags == ["public", "math"])
    }

    @Test func listedDefinitionsKeepThePluginsMembersInOrder() throws {
        let add = try #require(try math().catalog().tools.first)
        #expect(add.definition.keys == ["name", "title", "description", "inputSchema", "outputSchema", "annotations"])
        #expect(add.definition["annotations"] == ["readOnlyHint": true, "idempotentHint": true])
        #expect(add.definition["inputSchema"]?["required"] == ["a", "b"])
    }

    @Test func benchConfigDecidesHowManyToolsItLists() throws {
        #expect(try bench().catalog().tools.map(\.key) == ["add", "echo", "wipe"])
        let five = try bench(tools: 5)
        #expect(five.catalog().tools.map(\.key) == ["add", "echo", "wipe", "t0", "t1"])
        #expect(five.catalog().tools.last?.tags == ["public"])
        #expect(five.catalog().resources.map(\.key) == ["data://bench/config"])
        #expect(five.catalog().prompts.map(\.key) == ["greet"])
    }

    // MARK: Calls

    @Test func addAnswersWithTextAndStructuredContent() async throws {
        let outcome = await invoke(try math(), .callTool, "add", #"{"a":2,"b":3}"#)
        #expect(outcome.resultText == #"{"content":[{"type":"text","text":"5"}],"structuredContent":{"result":5}}"#)
    }

    @Test func fractionalResultsKeepTheirDigits() async throws {
        let outcome = await invoke(try math(), .callTool, "divide", #"{"a":1,"b":4}"#)
        #expect(outcome.resultJSON?["structuredContent"]?["result"] == .number("0.25"))
    }

    @Test(arguments: [
        (#"{"a":"two","b":3}"#, "argument 'a' must be a number"),
        (#"{"a":2}"#, "argument 'b' is required"),
        (#"{}"#, "argument 'a' is required"),
    ])
    func wrongArgumentsAreToolErrorsNamingTheArgument(arguments: String, message: String) async throws {
        let outcome = await invoke(try math(), .callTool, "add", arguments)
        #expect(outcome.resultJSON == ["content": [["type": "text", "text": .string(message)]], "isError": true])
    }

    @Test func businessFailureIsAToolErrorTheModelCanActOn() async throws {
        let outcome = await invoke(try math(), .callTool, "divide", #"{"a":1,"b":0}"#)
        #expect(outcome.resultJSON?["isError"] == true)
        #expect(outcome.resultJSON?["content"]?.arrayValue?.first?["text"] == "cannot divide by zero: choose a non-zero 'b'")
    }

    @Test func unknownToolIsInvalidParams() async throws {
        let outcome = await invoke(try math(), .callTool, "pow", #"{"a":2,"b":3}"#)
        #expect(outcome.failure == RPCError(code: .invalidParams, message: "Unknown tool: 'pow'"))
    }

    @Test func resourcesAreReadByTheirURIOrATemplateMatch() async throws {
        let plugin = try math()
        let constants = await invoke(plugin, .readResource, "math://constants")
        #expect(constants.resultJSON?["contents"]?.arrayValue?.first?["uri"] == "math://constants")
        let pi = await invoke(plugin, .readResource, "math://constants/pi")
        #expect(pi.resultJSON == ["contents": [["uri": "math://constants/pi", "mimeType": "text/plain", "text": "3.141592653589793"]]])
        let tau = await invoke(plugin, .readResource, "math://constants/tau")
        #expect(tau.failure == RPCError(code: .resourceNotFound, message: "Resource not found: math://constants/tau",
                                        data: ["uri": "math://constants/tau"]))
    }

    @Test func promptNeedsItsArgumentAndUsesIt() async throws {
        let plugin = try math()
        let missing = await invoke(plugin, .getPrompt, "explain", "{}")
        #expect(missing.failure == RPCError(code: .invalidParams, message: "Invalid arguments for 'explain'"))
        let explained = await invoke(plugin, .getPrompt, "explain", #"{"expression":"2+2"}"#)
        #expect(explained.resultJSON?["messages"]?.arrayValue?.first?["content"]?["text"] == "Explain step by step how to compute 2+2.")
    }

    @Test func completionAnswersWithValues() async throws {
        let outcome = await invoke(try math(), .complete, "math://constants/{name}",
                                   #"{"ref":{"type":"ref/resource","uri":"math://constants/{name}"},"argument":{"name":"name","value":""}}"#)
        #expect(outcome.resultJSON?["completion"]?["values"] == ["pi", "e", "phi"])
    }

    @Test func benchEchoAndFillerToolsAnswer() async throws {
        let plugin = try bench(tools: 5)
        let echo = await invoke(plugin, .callTool, "echo", #"{"text":"h\u00e9 \"q\""}"#)
        #expect(echo.resultJSON?["structuredContent"]?["result"] == .string("hé \"q\""))
        let filler = await invoke(plugin, .callTool, "t1", #"{"x":10}"#)
        #expect(filler.resultJSON?["structuredContent"]?["result"] == 11)
        let beyond = await invoke(plugin, .callTool, "t2", #"{"x":10}"#)
        #expect(beyond.failure?.code == .invalidParams)
    }

    @Test func callWhoseClientAlreadyCancelledNeverReachesThePlugin() async throws {
        let context = RecordingContext()
        context.cancel()
        let outcome = await invoke(try math(), .callTool, "add", #"{"a":1,"b":1}"#, context: context)
        #expect(outcome.isCancelled)
    }

    @Test(.timeLimit(.minutes(2)))
    func concurrentCallsFromManyThreadsEachCompleteExactlyOnce() async throws {
        let plugin = try bench()
        let count = 2_000
        let completions = Locked<[Int]>(Array(repeating: 0, count: count))
        let wrong = Locked<[Int]>([])
        let finished = Locked(0)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.concurrentPerform(iterations: count) { i in
                let input = Array(#"{"a":\#(i),"b":1}"#.utf8)[...]
                plugin.invoke(ProviderRequest(kind: .callTool, name: "add", input: input), context: DetachedCallContext()) { outcome in
                    completions.withLock { $0[i] += 1 }
                    if outcome.resultJSON?["structuredContent"]?["result"]?.intValue != i + 1 { wrong.withLock { $0.append(i) } }
                    let all = finished.withLock { n -> Bool in
                        n += 1
                        return n == count
                    }
                    if all { done.resume() }
                }
            }
        }
        #expect(completions.value.allSatisfy { $0 == 1 })
        #expect(wrong.value.isEmpty)
    }

    // MARK: Changes

    @Test func listChangedRelistsOnTheControlThreadAndTellsEachObserverOnce() throws {
        let plugin = try math()
        let observer = RecordingObserver()
        plugin.addObserver(observer)
        plugin.addObserver(observer)
        plugin.catalogMayHaveChanged(kind: .tool)
        // The control thread runs jobs one at a time in order: once this returns, the relist has.
        sharedRuntime.control.sync {}
        #expect(observer.catalogChanges.value == 1)
        #expect(plugin.catalog().tools.count == 6)
        #expect(plugin.catalog().prompts.map(\.key) == ["explain"])
    }

    @Test func resourceUpdatesReachObserversWithThePluginsURI() throws {
        let plugin = try math()
        let observer = RecordingObserver()
        plugin.addObserver(observer)
        plugin.resourceUpdated(uri: "math://constants")
        #expect(observer.updatedURIs.value == ["math://constants"])
    }

    // MARK: Outcome mapping

    @Test func statusesMapToWhatTheClientReceives() {
        func outcome(_ kind: ProviderRequest.Kind, _ status: manifold_status, _ message: String = "") -> CallOutcome {
            NativePlugin.outcome(kind: kind, status: status, bytes: Array(message.utf8), plugin: "p", request: "thing")
        }
        #expect(outcome(.callTool, MANIFOLD_OK, #"{"content":[]}"#).resultText == #"{"content":[]}"#)
        #expect(outcome(.callTool, MANIFOLD_OK, "{broken").failure == .internalError("plugin 'p' returned invalid JSON for 'thing'"))
        #expect(outcome(.callTool, MANIFOLD_ERR_CANCELLED).isCancelled)
        #expect(outcome(.callTool, MANIFOLD_ERR_NOT_FOUND).failure == .invalidParams("Unknown tool: 'thing'"))
        #expect(outcome(.getPrompt, MANIFOLD_ERR_NOT_FOUND).failure == .invalidParams("Unknown prompt: 'thing'"))
        #expect(outcome(.readResource, MANIFOLD_ERR_NOT_FOUND).failure?.code == .resourceNotFound)
        #expect(outcome(.complete, MANIFOLD_ERR_NOT_FOUND).failure?.code == .methodNotFound)
        #expect(outcome(.callTool, MANIFOLD_ERR_INVALID_ARGUMENTS, "x must be positive").failure == .invalidParams("x must be positive"))
        #expect(outcome(.callTool, MANIFOLD_ERR_INVALID_ARGUMENTS).failure == .invalidParams("Invalid arguments for 'thing'"))
        #expect(outcome(.complete, MANIFOLD_ERR_UNSUPPORTED).failure == .methodNotFound("completion/complete"))
        #expect(outcome(.callTool, MANIFOLD_ERR_INTERNAL, "disk full").failure == .internalError("plugin 'p' failed: disk full"))
        #expect(outcome(.callTool, -42).failure == .internalError("plugin 'p' failed: status -42"))
    }

    // MARK: Through the whole lower stack

    @Test func mathServesAPrefixedToolThroughTheDispatcher() throws {
        let plugin = try math()
        let composition = try HostComposition(tree: CompositionTree(name: "t", mounts: [
            Mount(content: .provider(plugin), prefix: "m", filter: TagFilter(exclude: ["admin"]), label: "plugin 'math'"),
        ]), logger: testLogger)
        let session = Session(id: "s", view: composition.view(filter: .all), outbound: NullOutbound(), preinitialized: .v2025_06_18)
        let dispatcher = Dispatcher(identity: ServerIdentity(name: "t", version: "1"), logger: testLogger)
        let reply = BlockingReply()
        dispatcher.handle(Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"m_add","arguments":{"a":2,"b":3}}}"#.utf8),
                          session: session, reply: reply)
        #expect(reply.wait() == #"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"5"}],"structuredContent":{"result":5}}}"#)
        #expect(composition.surface.lookup(.tool, "m_reset_memory") == nil)
        #expect(composition.surface.lookup(.resourceTemplate, "math://m/constants/{name}") != nil)
    }
}

final class RecordingObserver: ProviderObserver {
    let catalogChanges = Locked(0)
    let updatedURIs = Locked<[String]>([])
    func providerCatalogChanged(_ provider: any Provider) { catalogChanges.withLock { $0 += 1 } }
    func providerResourceUpdated(_ provider: any Provider, uri: String) { updatedURIs.withLock { $0.append(uri) } }
}

final class NullOutbound: OutboundSink {
    func send(_ message: [UInt8]) {}
}

/// A reply sink a synchronous test can wait on (the plugin answers on a pool thread).
final class BlockingReply: ReplySink {
    private let box = ResultBox<String?>()
    func send(_ message: [UInt8]) {}
    func finish(_ response: [UInt8]?) { box.set(response.map { String(decoding: $0, as: UTF8.self) }) }
    func wait() -> String? { box.wait() }
}
