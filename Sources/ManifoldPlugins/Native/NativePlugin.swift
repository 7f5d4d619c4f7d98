import CManifoldABI
import Logging
import ManifoldCore
import ManifoldManifest
import ManifoldProtocol
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The threads native plugins run on: a pool for calls and one control thread for lifecycle
/// (entry, init, list, shutdown), as the ABI header promises. Shared by every native plugin of
/// a host.
public final class NativeRuntime: Sendable {
    public let pool: WorkerPool
    public let control: WorkerPool

    public init(threads: Int = NativeRuntime.defaultThreads) {
        pool = WorkerPool(name: "manifold.plugins", threads: threads)
        control = WorkerPool(name: "manifold.control", threads: 1)
    }

    /// Enough threads that a few blocking plugins do not starve the rest.
    public static var defaultThreads: Int {
        max(4, 2 * System.coreCount)
    }
}

/// A loaded native plugin, serving as a `Provider`: requests become `call`s on the worker pool
/// (serialized per plugin unless it declared concurrent calls), the catalog is refreshed on the
/// control thread when the plugin says its lists changed.
public final class NativePlugin: Provider, @unchecked Sendable {
    public let manifest: PluginManifest
    /// The library file the manifest names (the source of the content-addressed copy).
    public let libraryPath: String
    /// What was loaded: the source's SHA-256 and the content-addressed copy that was dlopen'ed.
    public let image: LibraryImage
    /// Calls accepted by `invoke` and not yet completed (a retired instance is shut down only
    /// once this is zero; docs/RELOAD.md).
    public let callsInFlight = InFlightCounter()
    public var displayName: String { "plugin '\(manifest.id)'" }
    let logger: Logger
    private let descriptor: UnsafePointer<manifold_plugin_v1>
    private let runtime: NativeRuntime
    private let lane: SerialLane?
    /// Calls run inline on the endpoint thread that received them (`EndpointThread`): the plugin
    /// declared them non-blocking and concurrent, and has not broken that promise yet.
    private let runsInline: Atomic<Bool>
    /// Consecutive inline calls over `inlineBudget`.
    private let inlineOverruns = Atomic<Int>(0)
    /// Wall time an inline call should stay under. Wall time counts preemption too, so only
    /// `inlineOverrunLimit` overruns in a row — or one call over `inlineHardLimit` — send the
    /// instance's later calls back to the pool: a plugin that blocks overruns every time, a
    /// busy machine only now and then.
    static let inlineBudgetNanoseconds = 10_000_000
    static let inlineOverrunLimit = 3
    static let inlineHardLimitNanoseconds = 100_000_000
    /// Set once on the control thread by `initialize`, before the plugin is published to any
    /// other thread; read-only afterwards (the reason for `@unchecked Sendable`).
    private var instance: UnsafeMutableRawPointer?
    private var handle: HandleRegistry<NativePlugin>.Token = 0

    /// The cache whose copy of the library this instance uses (released at shutdown, so the
    /// copy can be pruned once no instance uses it).
    private let cache: LibraryCache?
    /// The `dlopen` handle, only for a pure-C plugin that declared itself unloadable: closed
    /// after its shutdown (`unload`). Nil for every other image (pinned, never closed).
    private let closableLibrary: UnsafeMutableRawPointer?

    private struct State {
        var catalog = Catalog.empty
        var recentWarnings: [String] = []
        var shutDown = false
        var unloaded = false
    }
    private let state = Mutex(State())
    private let observers = ObserverList()

    init(manifest: PluginManifest, libraryPath: String, image: LibraryImage, descriptor: UnsafePointer<manifold_plugin_v1>,
         runtime: NativeRuntime, logger: Logger, cache: LibraryCache? = nil, unloadable: UnsafeMutableRawPointer? = nil) {
        self.cache = cache
        self.closableLibrary = unloadable
        self.manifest = manifest
        self.libraryPath = libraryPath
        self.image = image
        self.descriptor = descriptor
        self.runtime = runtime
        self.logger = logger
        let concurrent = descriptor.pointee.flags & UInt32(MANIFOLD_PLUGIN_FLAG_CONCURRENT_CALLS) != 0
        self.lane = concurrent ? nil : SerialLane(pool: runtime.pool)
        let nonblocking = descriptor.pointee.flags & UInt32(MANIFOLD_PLUGIN_FLAG_NONBLOCKING_CALLS) != 0
        self.runsInline = Atomic(concurrent && nonblocking)
    }

    /// Control thread: runs the plugin's init, then lists its components.
    func initialize() throws(PluginLoadError) {
        let token = HostServices.plugins.insert(self)
        self.handle = token
        var instance: UnsafeMutableRawPointer?
        let config = manifest.config.serialized()
        HostServices.entryLog.withLock { $0.removeAll() }
        let status = withManifoldBytes("", config[...]) { _, configBytes in
            descriptor.pointee.`init`!(HandleRegistry<NativePlugin>.handle(token), configBytes, &instance)
        }
        guard status == MANIFOLD_OK else {
            _ = HostServices.plugins.remove(token: token)
            let warnings = (state.withLock { $0.recentWarnings } + HostServices.entryLog.withLock { $0 })
                .joined(separator: "; ")
            throw PluginLoadError(pluginID: manifest.id, library: libraryPath,
                                  reason: .initFailed(status: status, log: warnings))
        }
        self.instance = instance
        var catalog = Catalog.empty
        for kind in ComponentKind.allCases { catalog[kind] = list(kind) }
        state.withLock { $0.catalog = catalog }
    }

    // MARK: Provider

    public func catalog() -> Catalog { state.withLock { $0.catalog } }

    public var health: ProviderHealth { .ready }

    public func addObserver(_ observer: any ProviderObserver) { observers.add(observer) }

    public func invoke(_ request: ProviderRequest, context: any CallContext,
                       completion: @escaping @Sendable (CallOutcome) -> Void) {
        let kind = request.kind
        let name = manifest.id
        let inFlight = callsInFlight
        inFlight.enter()
        let call = NativeCall(context: context) { status, bytes in
            completion(Self.outcome(kind: kind, status: status, bytes: bytes, plugin: name, request: request.name))
            inFlight.leave()
        }
        let token = HostServices.calls.insert(call)
        if descriptor.pointee.cancel != nil {
            context.onCancel { self.cancel(token) }
        }
        if lane == nil && runsInline.load(ordering: .relaxed) && EndpointThread.isCurrent {
            performInline(request, token: token, context: context)
            return
        }
        let job: WorkerPool.Job = { self.perform(request, token: token, context: context) }
        if let lane { lane.submit(job) } else { runtime.pool.submit(job) }
    }

    /// Endpoint thread: a call the plugin declared non-blocking, run where the request arrived
    /// (no hand-off to the pool and back). Timed: a plugin whose calls overrun the budget gets
    /// its later calls sent back to the pool.
    private func performInline(_ request: ProviderRequest, token: HandleRegistry<NativeCall>.Token, context: any CallContext) {
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        perform(request, token: token, context: context)
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &end)
        let elapsed = (end.tv_sec - start.tv_sec) * 1_000_000_000 + (end.tv_nsec - start.tv_nsec)
        guard elapsed > Self.inlineBudgetNanoseconds else {
            if inlineOverruns.load(ordering: .relaxed) != 0 { inlineOverruns.store(0, ordering: .relaxed) }
            return
        }
        let overruns = inlineOverruns.wrappingAdd(1, ordering: .relaxed).newValue
        if overruns >= Self.inlineOverrunLimit || elapsed > Self.inlineHardLimitNanoseconds,
            runsInline.exchange(false, ordering: .relaxed)
        {
            logger.warning("\(displayName): calls declared non-blocking take too long on an I/O thread (the last: \(elapsed / 1_000_000) ms); they run on the plugin thread pool from now on")
        }
    }

    /// Pool thread: one `call` into the plugin.
    private func perform(_ request: ProviderRequest, token: HandleRegistry<NativeCall>.Token, context: any CallContext) {
        if context.isCancelled {
            HostServices.calls.remove(token: token)?.finish(status: MANIFOLD_ERR_CANCELLED, bytes: [])
            return
        }
        let status = withManifoldBytes(request.name, request.input) { name, input in
            descriptor.pointee.call!(instance, HandleRegistry<NativeCall>.handle(token),
                                     manifold_kind(rawValue: UInt32(request.kind.rawValue)), name, input)
        }
        switch status {
        case MANIFOLD_PENDING:
            return
        case MANIFOLD_OK:
            // Completed inside, as promised; if not, that is a plugin bug the client should hear of.
            HostServices.calls.remove(token: token)?.finish(
                status: MANIFOLD_ERR_INTERNAL, bytes: Array("returned OK without completing the call".utf8))
        default:
            HostServices.calls.remove(token: token)?.finish(status: status, bytes: [])
        }
    }

    /// Any thread: the client cancelled a call that may still be in the plugin.
    private func cancel(_ token: HandleRegistry<NativeCall>.Token) {
        guard HostServices.calls.lookup(token: token) != nil else { return }
        descriptor.pointee.cancel?(instance, HandleRegistry<NativeCall>.handle(token))
    }

    /// Maps an ABI status and result to what the client receives.
    static func outcome(kind: ProviderRequest.Kind, status: manifold_status, bytes: [UInt8], plugin: String,
                        request: String) -> CallOutcome {
        // The bytes are a message only when the status is an error (decoded then, not per call).
        var message: String { String(decoding: bytes, as: UTF8.self) }
        switch status {
        case MANIFOLD_OK:
            guard bytes.withUnsafeBytes({ JSONValue.isValid($0) }) else {
                return .failure(.internalError("plugin '\(plugin)' returned invalid JSON for '\(request)'"))
            }
            return .result(bytes)
        case MANIFOLD_ERR_CANCELLED:
            return .cancelled
        case MANIFOLD_ERR_NOT_FOUND:
            switch kind {
            case .callTool: return .failure(.invalidParams("Unknown tool: '\(request)'"))
            case .getPrompt: return .failure(.invalidParams("Unknown prompt: '\(request)'"))
            case .readResource:
                return .failure(RPCError(code: .resourceNotFound, message: "Resource not found: \(request)",
                                         data: ["uri": .string(request)]))
            case .complete: return .failure(.methodNotFound("completion/complete"))
            }
        case MANIFOLD_ERR_INVALID_ARGUMENTS:
            return .failure(.invalidParams(message.isEmpty ? "Invalid arguments for '\(request)'" : message))
        case MANIFOLD_ERR_UNSUPPORTED:
            return .failure(.methodNotFound(kind == .complete ? "completion/complete" : "\(kind)"))
        default:
            let why = message.isEmpty ? "status \(status)" : message
            return .failure(.internalError("plugin '\(plugin)' failed: \(why)"))
        }
    }

    // MARK: Catalog

    /// Control thread: asks the plugin for its components of one kind.
    private func list(_ kind: ComponentKind) -> [Component] {
        let box = ResultBox<(manifold_status, [UInt8])>()
        let call = NativeCall(context: nil) { status, bytes in box.set((status, bytes)) }
        let token = HostServices.calls.insert(call)
        let status = descriptor.pointee.list!(instance, manifold_kind(rawValue: UInt32(kind.rawValue)),
                                              HandleRegistry<NativeCall>.handle(token))
        if HostServices.calls.remove(token: token) != nil {
            // Not completed: unsupported kinds are simply empty.
            if status != MANIFOLD_ERR_UNSUPPORTED && status != MANIFOLD_OK {
                logger.warning("list of \(kind)s failed with status \(status)")
            }
            return []
        }
        let (listStatus, bytes) = box.wait()
        guard listStatus == MANIFOLD_OK else {
            if listStatus != MANIFOLD_ERR_UNSUPPORTED {
                logger.warning("list of \(kind)s failed: \(String(decoding: bytes, as: UTF8.self))")
            }
            return []
        }
        let (components, problems) = Catalog.decode(kind: kind, listJSON: bytes, extraTags: manifest.tags)
        for problem in problems { logger.warning("\(problem) — skipped") }
        return components
    }

    /// The plugin said a list changed: list again on the control thread, then tell observers.
    func catalogMayHaveChanged(kind: ComponentKind?) {
        runtime.control.submit {
            guard !self.isShutDown else { return }
            let kinds = kind.map { [$0] } ?? ComponentKind.allCases
            var catalog = self.catalog()
            for kind in kinds { catalog[kind] = self.list(kind) }
            self.state.withLock { $0.catalog = catalog }
            self.observers.catalogChanged(self)
        }
    }

    // MARK: Retirement

    /// Whether `shutdown` ran (the instance must not be called again).
    public var isShutDown: Bool { state.withLock { $0.shutDown } }

    /// Whether the image may be closed after shutdown: a pure-C plugin that declared
    /// `MANIFOLD_PLUGIN_FLAG_UNLOADABLE` (DESIGN.md §3). Never a Swift image.
    public var isUnloadable: Bool { closableLibrary != nil }

    /// Whether this instance's `dlopen` handle was closed (after its shutdown; only when
    /// `isUnloadable`). The image is unmapped once no other instance holds it open.
    public var isUnloaded: Bool { state.withLock { $0.unloaded } }

    /// Control thread, after the plugin's shutdown (or a failed init): closes the handle of an
    /// unloadable image, once. Nothing of the plugin may run afterwards — no call is in flight
    /// and its host handle is gone, so late host-service calls are ignored.
    func unload() {
        guard let library = closableLibrary else { return }
        let first = state.withLock { s -> Bool in
            if s.unloaded { return false }
            s.unloaded = true
            return true
        }
        guard first else { return }
        if dlclose(library) != 0 {
            logger.warning("\(displayName): dlclose failed: \(dlerror().map { String(cString: $0) } ?? "unknown error")")
        } else {
            logger.debug("\(displayName): unloadable image closed", metadata: ["library": "\(image.loadPath)"])
        }
    }

    /// Runs the plugin's `shutdown` on the control thread, once, and forgets its handle (so late
    /// host-service calls from it are ignored); then closes an unloadable pure-C image
    /// (`unload`) and releases the instance's content-addressed copy, which the cache deletes
    /// once no instance uses it (docs/RELOAD.md). Only for an instance no call can reach any
    /// more and with no call in flight: with calls in flight it refuses and returns false.
    @discardableResult
    public func shutdown() -> Bool {
        guard callsInFlight.count == 0 else {
            logger.warning("\(displayName): shutdown skipped, \(callsInFlight.count) call(s) still in flight")
            return false
        }
        let handle = self.handle
        let instance = self.instance.map { UInt(bitPattern: $0) }
        let descriptor = UInt(bitPattern: self.descriptor)
        let done = runtime.control.sync {
            let first = self.state.withLock { s -> Bool in
                if s.shutDown { return false }
                s.shutDown = true
                return true
            }
            guard first else { return false }
            let d = UnsafePointer<manifold_plugin_v1>(bitPattern: descriptor)!
            d.pointee.shutdown?(instance.flatMap { UnsafeMutableRawPointer(bitPattern: $0) })
            _ = HostServices.plugins.remove(token: handle)
            self.unload()
            return true
        }
        if done { cache?.release(image) }
        return done
    }

    func resourceUpdated(uri: String) {
        observers.resourceUpdated(self, uri: uri)
    }

    /// Remembers warnings the plugin logs (for load errors).
    func noteWarning(_ message: String) {
        state.withLock { s in
            s.recentWarnings.append(message)
            if s.recentWarnings.count > 8 { s.recentWarnings.removeFirst() }
        }
    }
}

/// One call into a plugin, from `call` (or `list`) until `host->complete`.
final class NativeCall: Sendable {
    let context: (any CallContext)?
    private let onFinish: @Sendable (manifold_status, [UInt8]) -> Void
    /// A stable copy of the request's `_meta` for `host->call_meta`, made on first use and
    /// freed with the call (the plugin may only use it while the call is in flight).
    private let metaCopy = Mutex<UnsafeMutableBufferPointer<CChar>?>(nil)

    init(context: (any CallContext)?, onFinish: @escaping @Sendable (manifold_status, [UInt8]) -> Void) {
        self.context = context
        self.onFinish = onFinish
    }

    deinit {
        metaCopy.withLock { $0?.deallocate() }
    }

    func finish(status: manifold_status, bytes: [UInt8]) { onFinish(status, bytes) }

    var metaView: manifold_bytes? {
        guard let meta = context?.meta, !meta.isEmpty else { return nil }
        let buffer = metaCopy.withLock { copy -> UnsafeMutableBufferPointer<CChar> in
            if let copy { return copy }
            let made = UnsafeMutableBufferPointer<CChar>.allocate(capacity: meta.count)
            _ = made.initialize(from: meta.lazy.map { CChar(bitPattern: $0) })
            copy = made
            return made
        }
        return manifold_bytes(ptr: UnsafePointer(buffer.baseAddress), len: buffer.count)
    }
}
