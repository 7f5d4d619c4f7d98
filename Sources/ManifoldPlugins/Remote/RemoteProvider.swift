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
public final class RemoteProvider: Provider, RemoteStatusReporting {
    public struct Options: Sendable {
        public var displayName: String
        /// What the backend is, for `inspect`: the command line, or the URL.
        public var endpoint: String = ""
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
        /// Order of issue (to find the oldest call in flight).
        var sequence: Int
    }
    private struct State {
        var health: ProviderHealth = .starting
        var connection: MCPClientConnection?
        var generation = 0
        var catalog = Catalog.empty
        var capabilities: JSONValue = .object([:])
        var calls: [String: Call] = [:]
        /// Backend request id → progress token of the call (messages an HTTP backend sends on
        /// a request's own stream name that request).
        var tokensByBackendID: [Int: String] = [:]
        var nextToken = 1
        /// "m<generation>-", computed once per connection.
        var tokenPrefix = "m0-"
        /// Why we closed the connection ourselves (initialize failed, no answer in time): the
        /// reason reported instead of the transport's own.
        var closeReason: String?
        /// When the next connection attempt starts (while failing).
        var retryAt: Date?
        var attempts = 0
        var subscriptions: [String: Int] = [:]
        var failures = 0
        var recentDisconnects: [Date] = []
        var stopped = false
        var gaveUp = false
        /// The reason of the last disconnect.
        var lastFailure: String?
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
        let settled = startInBackground()
        return settled(timeout)
    }

    /// Starts connecting without waiting; the returned function waits until the first attempt
    /// settled (listed, or failed) or `timeout` seconds passed, and returns the health then.
    /// Lets an assembler start many backends at once and wait for all of them together.
    public func startInBackground() -> @Sendable (_ timeout: Double) -> ProviderHealth {
        let done = DispatchSemaphore(value: 0)
        // The health when the first attempt settled (by the time someone asks, a failed backend
        // may already be starting again).
        let settled = Mutex<ProviderHealth?>(nil)
        state.withLock { $0.readyWaiters.append {
            settled.withLock { $0 = self.health }
            done.signal()
        } }
        queue.async { self.connect() }
        return { timeout in
            _ = done.wait(timeout: .now() + max(0, timeout))
            return settled.withLock { $0 } ?? self.health
        }
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
            s.tokenPrefix = "m\(s.generation)-"
            s.health = .starting
            s.closeReason = nil
            s.retryAt = nil
            s.attempts += 1
            return (s.generation, s.stopped)
        }
        guard !stopped else { return }
        let connection = MCPClientConnection(transport: makeTransport())
        state.withLock { $0.connection = connection }
        do {
            try connection.start(.init(
                notification: { [weak self] in self?.backendNotification($0, related: $1, generation: generation) },
                request: { [weak self] in self?.backendRequest($0, related: $1, connection: connection) },
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
                self.close(connection, generation: generation,
                           reason: "no answer to initialize within \(Self.seconds(self.options.connectTimeout))")
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
                    // A closed transport reports its own reason; otherwise the backend refused.
                    if case .failure(let error) = result, !connection.isClosed {
                        self.close(connection, generation: generation, reason: "initialize failed: \(error.message)")
                    }
                    return
                }
                let answer = try? JSONValue.parse(bytes)
                self.state.withLock { $0.capabilities = answer?["capabilities"] ?? .object([:]) }
                connection.negotiated(protocolVersion: answer?["protocolVersion"]?.stringValue ?? ProtocolVersion.latest.rawValue)
                connection.notify(MCPMethod.initialized, params: nil)
                self.fetch(ComponentKind.allCases, connection: connection, generation: generation) {
                    self.becameReady(generation: generation, connection: connection)
                }
            }
        }
    }

    /// Closes a connection on purpose, with the reason to report for it.
    private func close(_ connection: MCPClientConnection, generation: Int, reason: String) {
        state.withLock { s in if s.generation == generation, s.closeReason == nil { s.closeReason = reason } }
        connection.close()
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

    private func disconnected(_ transportReason: String, generation: Int) {
        let outcome = state.withLock { s -> (calls: [Call], waiters: [@Sendable () -> Void], delay: Double?, reason: String)? in
            guard s.generation == generation else { return nil }
            let reason = s.closeReason ?? transportReason
            if !s.stopped { s.lastFailure = reason }
            let calls = Array(s.calls.values)
            s.calls = [:]
            s.tokensByBackendID = [:]
            s.connection = nil
            let now = Date()
            s.recentDisconnects = s.recentDisconnects.filter { now.timeIntervalSince($0) < options.crashLoopWindow } + [now]
            s.failures += 1
            let waiters = s.readyWaiters
            s.readyWaiters = []
            if s.stopped {
                s.health = .failed("stopped")
                return (calls, waiters, nil, reason)
            }
            if let limit = options.crashLoopLimit, s.recentDisconnects.count > limit {
                s.gaveUp = true
                s.health = .failed("crash loop: \(s.recentDisconnects.count) failures within \(Int(options.crashLoopWindow))s; last: \(reason)")
                return (calls, waiters, nil, reason)
            }
            s.health = .failed(reason)
            // Exponential in the failures in a row, or in the recent crashes when each restart
            // succeeds and then crashes again (a crash on every call).
            let exponent = max(s.failures, s.recentDisconnects.count) - 1
            let delay = min(options.backoffMax, options.backoffInitial * pow(2, Double(exponent)))
            s.retryAt = Date(timeIntervalSinceNow: delay)
            return (calls, waiters, delay, reason)
        }
        guard let outcome else { return }
        let reason = outcome.reason
        // A process killed by a signal crashed: say so, with the signal (e.g. "… crashed: 'manifold'
        // was killed by signal 11 (SIGSEGV)"); the calls it held are lost, the others are unaffected.
        logger.error("\(displayName) \(reason.contains("killed by signal") ? "crashed" : "disconnected"): \(reason)")
        for call in outcome.calls { call.completion(.failure(lost(reason))) }
        observers.catalogChanged(self)
        for waiter in outcome.waiters { waiter() }
        if let delay = outcome.delay {
            logger.info("\(displayName): reconnecting in \(Self.seconds(delay))")
            queue.asyncAfter(deadline: .now() + delay) { self.connect() }
        }
    }

    static func seconds(_ value: Double) -> String { String(format: "%.1fs", value) }

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
                    var object = object
                    let tags = Self.takeDeclaredTags(&object)
                    components.append(try Component(kind: kind, listed: object, extraTags: tags))
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
    /// Tags a backend declares in `_meta`: a Manifold runner's `io.manifold/tags` (removed from
    /// the definition: it is transport, not content), FastMCP's `_fastmcp.tags`, or `tags`.
    static func takeDeclaredTags(_ object: inout JSONObject) -> [String] {
        guard var meta = object["_meta"]?.objectValue else { return [] }
        if let manifold = meta[SurfaceView.tagsMetaKey]?.arrayValue {
            meta[SurfaceView.tagsMetaKey] = nil
            object["_meta"] = meta.isEmpty ? nil : .object(meta)
            return manifold.compactMap(\.stringValue)
        }
        // FastMCP 3.x/4.x write `_meta.fastmcp.tags`, 2.x `_meta._fastmcp.tags`.
        let tags = meta["fastmcp"]?["tags"]?.arrayValue ?? meta["_fastmcp"]?["tags"]?.arrayValue
            ?? meta["tags"]?.arrayValue ?? []
        return tags.compactMap(\.stringValue)
    }

    // MARK: Provider

    public func catalog() -> Catalog { state.withLock { $0.catalog } }

    /// The connection state for `inspect`.
    public var remoteStatus: RemoteStatus {
        state.withLock { s in
            var status = RemoteStatus(state: .starting, attempts: s.attempts, failures: s.failures, endpoint: options.endpoint)
            switch s.health {
            case .ready:
                status.state = .connected
            case .starting:
                // Once it failed, a backend stays "failing" through its reconnection attempts
                // until it is listed again.
                status.state = s.failures > 0 ? .failing : .starting
                status.reason = s.lastFailure
            case .failed(let reason):
                status.reason = s.lastFailure ?? reason
                if s.stopped {
                    status.state = .stopped
                } else if s.gaveUp {
                    status.state = .givenUp
                    status.reason = reason
                } else {
                    status.state = .failing
                    status.retryIn = s.retryAt.map { $0.timeIntervalSinceNow }
                }
            }
            return status
        }
    }

    public var health: ProviderHealth { state.withLock { $0.health } }
    public func addObserver(_ observer: any ProviderObserver) { observers.add(observer) }

    public func invoke(_ request: ProviderRequest, context: any CallContext,
                       completion: @escaping @Sendable (CallOutcome) -> Void) {
        let prepared = state.withLock { s -> (String, MCPClientConnection)? in
            guard s.health == .ready, let connection = s.connection else { return nil }
            let sequence = s.nextToken
            s.nextToken += 1
            let token = s.tokenPrefix + String(sequence)
            s.calls[token] = Call(context: context, completion: completion, backendID: nil, sequence: sequence)
            return (token, connection)
        }
        guard let (token, connection) = prepared else {
            completion(.failure(.internalError("\(displayName) is not available: \(health)")))
            return
        }
        let id = connection.request(Self.method(for: request.kind), paramsSize: request.input.count + request.name.utf8.count + 64,
                                    writeParams: { Self.writeParams(for: request, progressToken: token, clientMeta: context.meta, into: &$0) }) { result in
            guard let call = self.finishCall(token) else { return }
            switch result {
            case .success(let bytes): call.completion(.result(bytes))
            case .failure(let error):
                let prefix = "backend disconnected: "
                if error.message.hasPrefix(prefix) {
                    call.completion(.failure(self.lost(String(error.message.dropFirst(prefix.count)))))
                } else {
                    call.completion(.failure(error))
                }
            }
        }
        guard let id else { return }
        let live = state.withLock { s -> Bool in
            guard s.calls[token] != nil else { return false }
            s.calls[token]?.backendID = id
            s.tokensByBackendID[id] = token
            return true
        }
        guard live else { return }
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

    /// The error of a call that was in flight when the backend went away: names the provider and,
    /// for a process killed by a signal, says it crashed and which signal.
    private func lost(_ reason: String) -> RPCError {
        let what = reason.contains("killed by signal") ? "crashed" : "disconnected"
        return .internalError("\(displayName) \(what): \(reason); the call was lost")
    }

    private func finishCall(_ token: String) -> Call? {
        state.withLock { s in
            guard let call = s.calls.removeValue(forKey: token) else { return nil }
            if let id = call.backendID { s.tokensByBackendID[id] = nil }
            return call
        }
    }

    private static let progressTokenKey: Set<String> = ["progressToken"]

    static func method(for kind: ProviderRequest.Kind) -> String {
        switch kind {
        case .callTool: return MCPMethod.toolsCall
        case .getPrompt: return MCPMethod.promptsGet
        case .readResource: return MCPMethod.resourcesRead
        case .complete: return MCPMethod.completionComplete
        }
    }

    /// The backend method and params for a provider request (tests).
    static func message(for request: ProviderRequest, progressToken: String, clientMeta: ArraySlice<UInt8>?)
        -> (String, [UInt8])
    {
        var w = JSONWriter(capacity: request.input.count + 96)
        writeParams(for: request, progressToken: progressToken, clientMeta: clientMeta, into: &w)
        return (method(for: request.kind), w.bytes)
    }

    /// Writes the backend params for a provider request straight into the outgoing message: the
    /// argument bytes are spliced in as they came; the client's `_meta` is passed on, with our own
    /// progress token in place of the client's (without a client `_meta`, nothing is parsed).
    static func writeParams(for request: ProviderRequest, progressToken: String, clientMeta: ArraySlice<UInt8>?,
                            into w: inout JSONWriter) {
        switch request.kind {
        case .callTool, .getPrompt:
            w.raw("{\"name\":")
            w.string(request.name)
            w.raw(",\"arguments\":")
            w.raw(request.input)
            w.raw(",\"_meta\":")
            if let clientMeta {
                // The client's members as they are, its progress token replaced by ours.
                var token = JSONWriter(capacity: progressToken.utf8.count + 20)
                token.raw("\"progressToken\":")
                token.string(progressToken)
                w.raw(FixedArguments.splice(clientMeta, dropping: Self.progressTokenKey, appending: token.bytes))
            } else {
                w.raw("{\"progressToken\":")
                w.string(progressToken)
                w.raw("}")
            }
            w.raw("}")
        case .readResource:
            w.raw("{\"uri\":")
            w.string(request.name)
            w.raw("}")
        case .complete:
            w.raw(request.input)
        }
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

    /// The call a backend message belongs to: the request whose stream it came on (HTTP), else
    /// `_meta["io.manifold/progressToken"]` (or a progress token), else the oldest call in flight
    /// (stdio carries no link).
    private func relatedCall(_ params: JSONValue?, related: Int?) -> (any CallContext)? {
        let token = params?["_meta"]?["io.manifold/progressToken"]?.stringValue ?? params?["progressToken"]?.stringValue
        return state.withLock { s in
            if let related, let token = s.tokensByBackendID[related], let call = s.calls[token] { return call.context }
            if let token { return s.calls[token]?.context }
            return s.calls.values.min { $0.sequence < $1.sequence }?.context
        }
    }

    private func backendNotification(_ envelope: RPCEnvelope, related: Int?, generation: Int) {
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
            if let context = relatedCall(params, related: related) {
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

    private func backendRequest(_ envelope: RPCEnvelope, related: Int?, connection: MCPClientConnection) {
        guard let id = envelope.id, let method = envelope.method else { return }
        if method == MCPMethod.ping {
            connection.respond(to: id, .success(Array("{}".utf8)))
            return
        }
        let paramsBytes = envelope.paramsBytes.map(Array.init) ?? Array("{}".utf8)
        let params = try? JSONValue.parse(paramsBytes)
        guard let context = relatedCall(params, related: related) else {
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
