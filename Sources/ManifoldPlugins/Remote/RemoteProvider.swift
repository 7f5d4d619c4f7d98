import Dispatch
import Foundation
import Logging
import ManifoldCore
import ManifoldProtocol
import Synchronization

/// Another MCP server as a provider: one persistent connection (never a process or session
/// per call), initialized once, its lists fetched in parallel (all pages), kept fresh by its
/// list_changed notifications. Calls are forwarded with their argument bytes untouched;
/// progress, logs and sampling / elicitation / roots requests come back to the client request
/// that caused them; cancellation goes to the backend.
///
/// Fail-open: when the backend dies every call in flight fails at once, the provider reports
/// itself failed (its components leave the lists, with list_changed), and it reconnects with
/// exponential backoff; a backend that keeps dying within `crashLoopWindow` is given up.
///
/// Which client request a backend log or server→client request belongs to: Manifold's own
/// runners say so in `_meta["io.manifold/progressToken"]`; for other servers over stdio the
/// oldest call in flight is assumed (the protocol carries no link over stdio).
public final class RemoteProvider: Provider {
    public struct Options: Sendable {
        public var displayName: String
        /// Per-call deadline in seconds (nil: none).
        public var callTimeout: Double?
        /// Deadline for connecting, initializing and listing.
        public var connectTimeout: Double = 15
        public var backoffInitial: Double = 0.1
        public var backoffMax: Double = 30
        /// Give up after this many disconnects within `crashLoopWindow` seconds (nil: never).
        public var crashLoopLimit: Int? = nil
        public var crashLoopWindow: Double = 60

        public init(displayName: String, callTimeout: Double? = nil) {
            self.displayName = displayName
            self.callTimeout = callTimeout
        }
    }

    public let options: Options
    public var displayName: String { options.displayName }
    private let makeTransport: @Sendable () -> any ClientTransport
    private let logger: Logger
    private let queue: DispatchQueue
    private let observers = ObserverList()

    private struct Call {
        var context: any CallContext
        var completion: @Sendable (CallOutcome) -> Void
        var backendID: Int?
    }
    private struct State {
        var health: ProviderHealth = .starting
        var connection: MCPClientConnection?
        var generation = 0
        var catalog = Catalog.empty
        var capabilities: JSONValue = .object([:])
        var calls: [String: Call] = [:]
        /// Progress tokens in order of issue (to find the oldest call in flight).
        var nextToken = 1
        var subscriptions: [String: Int] = [:]
        var failures = 0
        var recentDisconnects: [Date] = []
        var stopped = false
        var readyWaiters: [@Sendable () -> Void] = []
    }
    private let state = Mutex(State())

    public init(options: Options, logger: Logger, transport: @escaping @Sendable () -> any ClientTransport) {
        self.options = options
        self.logger = logger
        self.makeTransport = transport
        self.queue = DispatchQueue(label: "manifold.remote")
    }

    // MARK: Lifecycle

    /// Connects, and waits until the backend is listed (or failed, or `timeout` passed).
    /// Returns the health reached.
    @discardableResult
    public func start(waitingUpTo timeout: Double) -> ProviderHealth {
        let done = DispatchSemaphore(value: 0)
        state.withLock { $0.readyWaiters.append { done.signal() } }
        queue.async { self.connect() }
        _ = done.wait(timeout: .now() + timeout)
        return health
    }

    /// Stops the backend for good.
    public func stop() {
        let connection = state.withLock { s -> MCPClientConnection? in
            s.stopped = true
            s.health = .failed("stopped")
            return s.connection
        }
        connection?.close()
    }

    private func connect() {
        let (generation, stopped) = state.withLock { s -> (Int, Bool) in
            s.generation += 1
            s.health = .starting
            return (s.generation, s.stopped)
        }
        guard !stopped else { return }
        let connection = MCPClientConnection(transport: makeTransport())
        state.withLock { $0.connection = connection }
        do {
            try connection.start(.init(
                notification: { [weak self] in self?.backendNotification($0, generation: generation) },
                request: { [weak self] in self?.backendRequest($0, connection: connection) },
                closed: { [weak self] reason in
                    guard let self else { return }
                    self.queue.async { self.disconnected(reason, generation: generation) }
                }))
        } catch {
            queue.async { self.disconnected("cannot start: \(error)", generation: generation) }
            return
        }
        queue.asyncAfter(deadline: .now() + options.connectTimeout) {
            let stillStarting = self.state.withLock { $0.generation == generation && $0.health == .starting }
            if stillStarting {
                self.logger.error("\(self.displayName): no answer within \(self.options.connectTimeout)s; restarting")
                connection.close()
            }
        }
        let initialize: JSONValue = [
            "protocolVersion": .string(ProtocolVersion.latest.rawValue),
            "capabilities": ["sampling": [:], "elicitation": [:], "roots": ["listChanged": true]],
            "clientInfo": ["name": "manifold", "version": "0.1.0"],
        ]
        connection.request(MCPMethod.initialize, params: initialize.serialized()) { result in
            self.queue.async {
                guard case .success(let bytes) = result else {
                    if case .failure(let error) = result {
                        self.logger.error("\(self.displayName): initialize failed: \(error)")
                        connection.close()
                    }
                    return
                }
                let capabilities = (try? JSONValue.parse(bytes))?["capabilities"] ?? .object([:])
                self.state.withLock { $0.capabilities = capabilities }
                connection.notify(MCPMethod.initialized, params: nil)
                self.fetch(ComponentKind.allCases, connection: connection, generation: generation) {
                    self.becameReady(generation: generation, connection: connection)
                }
            }
        }
    }

    private func becameReady(generation: Int, connection: MCPClientConnection) {
        let (waiters, subscriptions) = state.withLock { s -> ([@Sendable () -> Void], [String]) in
            guard s.generation == generation else { return ([], []) }
            s.health = .ready
            s.failures = 0
            let waiters = s.readyWaiters
            s.readyWaiters = []
            return (waiters, Array(s.subscriptions.keys))
        }
        logger.info("\(displayName) connected")
        for uri in subscriptions { forwardSubscription(MCPMethod.resourcesSubscribe, uri: uri, connection: connection) }
        observers.catalogChanged(self)
        for waiter in waiters { waiter() }
    }

    private func disconnected(_ reason: String, generation: Int) {
        let outcome = state.withLock { s -> (calls: [Call], waiters: [@Sendable () -> Void], delay: Double?)? in
            guard s.generation == generation else { return nil }
            let calls = Array(s.calls.values)
            s.calls = [:]
            s.connection = nil
            let now = Date()
            s.recentDisconnects = s.recentDisconnects.filter { now.timeIntervalSince($0) < options.crashLoopWindow } + [now]
            s.failures += 1
            let waiters = s.readyWaiters
            s.readyWaiters = []
            if s.stopped {
                s.health = .failed("stopped")
                return (calls, waiters, nil)
            }
            if let limit = options.crashLoopLimit, s.recentDisconnects.count > limit {
                s.health = .failed("crash loop: \(s.recentDisconnects.count) failures within \(Int(options.crashLoopWindow))s; last: \(reason)")
                return (calls, waiters, nil)
            }
            s.health = .failed(reason)
            return (calls, waiters, min(options.backoffMax, options.backoffInitial * pow(2, Double(s.failures - 1))))
        }
        guard let outcome else { return }
        logger.error("\(displayName) disconnected: \(reason)")
        for call in outcome.calls {
            call.completion(.failure(.internalError("\(displayName) disconnected: \(reason)")))
        }
        observers.catalogChanged(self)
        for waiter in outcome.waiters { waiter() }
        if let delay = outcome.delay {
            logger.info("\(displayName): reconnecting in \(String(format: "%.1f", delay))s")
            queue.asyncAfter(deadline: .now() + delay) { self.connect() }
        }
    }

    // MARK: Catalog

    /// Fetches the lists of `kinds` in parallel, every page, then installs them.
    private func fetch(_ kinds: [ComponentKind], connection: MCPClientConnection, generation: Int,
                       then done: @escaping @Sendable () -> Void) {
        let capabilities = state.withLock { $0.capabilities }
        let group = DispatchGroup()
        let results = Mutex<[ComponentKind: [Component]]>([:])
        for kind in kinds {
            let capability = kind == .tool ? "tools" : kind == .prompt ? "prompts" : "resources"
            guard capabilities[capability] != nil else {
                results.withLock { $0[kind] = [] }
                continue
            }
            group.enter()
            fetchPages(kind, cursor: nil, accumulated: [], connection: connection) { components in
                results.withLock { $0[kind] = components }
                group.leave()
            }
        }
        group.notify(queue: queue) {
            let fetched = results.withLock { $0 }
            let current = self.state.withLock { s -> Bool in
                guard s.generation == generation else { return false }
                for (kind, components) in fetched { s.catalog[kind] = components }
                return true
            }
            if current { done() }
        }
    }

    private func fetchPages(_ kind: ComponentKind, cursor: String?, accumulated: [Component],
                            connection: MCPClientConnection,
                            done: @escaping @Sendable ([Component]) -> Void) {
        let method: String
        switch kind {
        case .tool: method = MCPMethod.toolsList
        case .resource: method = MCPMethod.resourcesList
        case .resourceTemplate: method = MCPMethod.resourcesTemplatesList
        case .prompt: method = MCPMethod.promptsList
        }
        let params: JSONValue = cursor.map { ["cursor": .string($0)] } ?? .object([:])
        connection.request(method, params: params.serialized()) { result in
            guard case .success(let bytes) = result, let page = (try? JSONValue.parse(bytes))?.objectValue else {
                if case .failure(let error) = result { self.logger.warning("\(self.displayName): \(method) failed: \(error)") }
                done(accumulated)
                return
            }
            var components = accumulated
            for item in page[kind.listField]?.arrayValue ?? [] {
                guard let object = item.objectValue else { continue }
                do {
                    components.append(try Component(kind: kind, listed: object, extraTags: Self.declaredTags(object)))
                } catch {
                    self.logger.warning("\(self.displayName): \(error) — skipped")
                }
            }
            if let next = page["nextCursor"]?.stringValue, !next.isEmpty, next != cursor {
                self.fetchPages(kind, cursor: next, accumulated: components, connection: connection, done: done)
            } else {
                done(components)
            }
        }
    }

    /// Tags a backend declares in `_meta`: FastMCP's `_meta._fastmcp.tags`, or `_meta.tags`.
    static func declaredTags(_ object: JSONObject) -> [String] {
        let meta = object["_meta"]
        let tags = meta?["_fastmcp"]?["tags"]?.arrayValue ?? meta?["tags"]?.arrayValue ?? []
        return tags.compactMap(\.stringValue)
    }

    // MARK: Provider

    public func catalog() -> Catalog { state.withLock { $0.catalog } }
    public var health: ProviderHealth { state.withLock { $0.health } }
    public func addObserver(_ observer: any ProviderObserver) { observers.add(observer) }

    public func invoke(_ request: ProviderRequest, context: any CallContext,
                       completion: @escaping @Sendable (CallOutcome) -> Void) {
        let prepared = state.withLock { s -> (String, MCPClientConnection)? in
            guard s.health == .ready, let connection = s.connection else { return nil }
            let token = "m\(s.generation)-\(s.nextToken)"
            s.nextToken += 1
            s.calls[token] = Call(context: context, completion: completion, backendID: nil)
            return (token, connection)
        }
        guard let (token, connection) = prepared else {
            completion(.failure(.internalError("\(displayName) is not available: \(health)")))
            return
        }
        let (method, params) = Self.message(for: request, progressToken: token, clientMeta: context.meta)
        let id = connection.request(method, params: params) { result in
            guard let call = self.finishCall(token) else { return }
            switch result {
            case .success(let bytes): call.completion(.result(bytes))
            case .failure(let error): call.completion(.failure(error))
            }
        }
        guard let id else { return }
        state.withLock { s in s.calls[token]?.backendID = id }
        context.onCancel {
            guard let call = self.finishCall(token) else { return }
            _ = connection.abandon(id)
            connection.notify(MCPMethod.cancelled, params: ["requestId": .int(id), "reason": "cancelled by the client"])
            call.completion(.cancelled)
        }
        if let timeout = options.callTimeout {
            queue.asyncAfter(deadline: .now() + timeout) {
                guard let call = self.finishCall(token) else { return }
                _ = connection.abandon(id)
                connection.notify(MCPMethod.cancelled, params: ["requestId": .int(id), "reason": "timed out"])
                call.completion(.failure(RPCError(code: .requestTimeout,
                                                  message: "\(self.displayName) did not answer within \(timeout)s")))
            }
        }
    }

    private func finishCall(_ token: String) -> Call? {
        state.withLock { $0.calls.removeValue(forKey: token) }
    }

    /// The backend method and params for a provider request; argument bytes are spliced in.
    /// The client's `_meta` is passed on, with our own progress token in place of the client's.
    static func message(for request: ProviderRequest, progressToken: String, clientMeta: ArraySlice<UInt8>?)
        -> (String, [UInt8])
    {
        var w = JSONWriter(capacity: request.input.count + request.name.utf8.count + 96)
        let method: String
        switch request.kind {
        case .callTool, .getPrompt:
            method = request.kind == .callTool ? MCPMethod.toolsCall : MCPMethod.promptsGet
            w.raw("{\"name\":")
            w.string(request.name)
            w.raw(",\"arguments\":")
            w.raw(request.input)
            var meta = clientMeta.flatMap { try? JSONValue.parse($0) }?.objectValue ?? [:]
            meta["progressToken"] = .string(progressToken)
            w.raw(",\"_meta\":")
            meta.write(to: &w)
            w.raw("}")
        case .readResource:
            method = MCPMethod.resourcesRead
            w.raw("{\"uri\":")
            w.string(request.name)
            w.raw("}")
        case .complete:
            method = MCPMethod.completionComplete
            w.raw(request.input)
        }
        return (method, w.bytes)
    }

    public func subscribe(uri: String) {
        let connection = state.withLock { s -> MCPClientConnection? in
            s.subscriptions[uri, default: 0] += 1
            return s.subscriptions[uri] == 1 && s.health == .ready ? s.connection : nil
        }
        if let connection { forwardSubscription(MCPMethod.resourcesSubscribe, uri: uri, connection: connection) }
    }

    public func unsubscribe(uri: String) {
        let connection = state.withLock { s -> MCPClientConnection? in
            guard let count = s.subscriptions[uri] else { return nil }
            if count > 1 { s.subscriptions[uri] = count - 1; return nil }
            s.subscriptions[uri] = nil
            return s.health == .ready ? s.connection : nil
        }
        if let connection { forwardSubscription(MCPMethod.resourcesUnsubscribe, uri: uri, connection: connection) }
    }

    private func forwardSubscription(_ method: String, uri: String, connection: MCPClientConnection) {
        guard state.withLock({ $0.capabilities["resources"]?["subscribe"]?.boolValue == true }) else { return }
        let params: JSONValue = ["uri": .string(uri)]
        connection.request(method, params: params.serialized()) { _ in }
    }

    // MARK: Messages from the backend

    /// The call a backend message belongs to: by `_meta["io.manifold/progressToken"]` (or a
    /// progress token), else the oldest call in flight.
    private func relatedCall(_ params: JSONValue?) -> (any CallContext)? {
        let token = params?["_meta"]?["io.manifold/progressToken"]?.stringValue ?? params?["progressToken"]?.stringValue
        return state.withLock { s in
            if let token { return s.calls[token]?.context }
            let oldest = s.calls.keys.min { a, b in
                (Int(a.split(separator: "-").last ?? "") ?? 0) < (Int(b.split(separator: "-").last ?? "") ?? 0)
            }
            return oldest.flatMap { s.calls[$0]?.context }
        }
    }

    private func backendNotification(_ envelope: RPCEnvelope, generation: Int) {
        let params = envelope.paramsBytes.flatMap { try? JSONValue.parse($0) }
        switch envelope.method {
        case MCPMethod.progress:
            guard let token = params?["progressToken"]?.stringValue,
                let context = state.withLock({ $0.calls[token]?.context }),
                let progress = params?["progress"]?.doubleValue
            else { return }
            context.progress(progress, total: params?["total"]?.doubleValue, message: params?["message"]?.stringValue)
        case MCPMethod.message:
            let level = params?["level"]?.stringValue.flatMap(LogLevel.init(name:)) ?? .info
            let data = params?["data"] ?? .null
            if let context = relatedCall(params) {
                context.log(level, logger: params?["logger"]?.stringValue, data: data.serialized())
            } else {
                logger.log(level: .info, "\(displayName): [\(level.name)] \(data.jsonText)")
            }
        case MCPMethod.toolsListChanged:
            refetch([.tool], generation: generation)
        case MCPMethod.resourcesListChanged:
            refetch([.resource, .resourceTemplate], generation: generation)
        case MCPMethod.promptsListChanged:
            refetch([.prompt], generation: generation)
        case MCPMethod.resourceUpdated:
            if let uri = params?["uri"]?.stringValue { observers.resourceUpdated(self, uri: uri) }
        default:
            break
        }
    }

    private func refetch(_ kinds: [ComponentKind], generation: Int) {
        queue.async {
            guard let connection = self.state.withLock({ $0.generation == generation ? $0.connection : nil }) else { return }
            self.fetch(kinds, connection: connection, generation: generation) {
                self.observers.catalogChanged(self)
            }
        }
    }

    private func backendRequest(_ envelope: RPCEnvelope, connection: MCPClientConnection) {
        guard let id = envelope.id, let method = envelope.method else { return }
        if method == MCPMethod.ping {
            connection.respond(to: id, .success(Array("{}".utf8)))
            return
        }
        let paramsBytes = envelope.paramsBytes.map(Array.init) ?? Array("{}".utf8)
        let params = try? JSONValue.parse(paramsBytes)
        guard let context = relatedCall(params) else {
            connection.respond(to: id, .failure(RPCError(code: .internalError,
                message: "\(method) is only available while a client request is in progress")))
            return
        }
        let sent = context.request(method: method, params: paramsBytes) { result in
            connection.respond(to: id, result)
        }
        if !sent {
            connection.respond(to: id, .failure(RPCError(code: .methodNotFound,
                message: "the client did not declare the capability for \(method)")))
        }
    }
}
