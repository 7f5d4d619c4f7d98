import Dispatch
import Logging
import ManifoldCore
import Synchronization

/// A provider that can be finished for good: a native plugin instance (its `shutdown` runs on
/// the control thread), a runner or remote server (its process is stopped).
public protocol RetirableProvider: Provider {
    /// Called once, after the last call that reached the provider completed.
    func retire()
}

extension NativePlugin: RetirableProvider {
    /// Shuts the instance down once its own count of calls in flight is zero too (a call made
    /// on the instance directly, not through the reloadable wrapper, also holds it), or logs and
    /// leaves it alone after 10 s.
    public func retire() {
        callsInFlight.whenIdle(deadline: 10) { drained in
            DispatchQueue.global().async {
                if drained {
                    self.shutdown()
                } else {
                    self.logger.warning("\(self.displayName): calls still in flight 10s after retirement; shutdown skipped")
                }
            }
        }
    }
}

extension RemoteProvider: RetirableProvider {
    public func retire() { stop() }
}

/// A plugin as the composition sees it across reloads (docs/RELOAD.md, decision 2): one
/// `Provider` object that stays in the tree while the instance behind it is replaced.
///
/// `replace(with:)` installs a new instance side by side: from that moment every new call goes
/// to the new instance, calls already accepted finish in the old one, and the old one is shut
/// down once they have (or, after `drainDeadline` seconds without draining, left alone: its
/// shutdown is skipped and logged — never pulled from under a running call). Observers hear a
/// catalog change, so the composition rebuilds and clients get `list_changed` where lists differ.
///
/// Calls are counted per instance here, under the same lock as the swap, so no call can slip
/// into an instance after it was found idle.
public final class ReloadableProvider: Provider, ProviderObserver {
    /// One instance and the calls that went to it.
    final class Slot: Sendable {
        let provider: any Provider
        let calls = InFlightCounter()
        init(_ provider: any Provider) { self.provider = provider }
    }

    private struct State {
        var slot: Slot
        var reloads = 0
        var lastError: String?
        var subscriptions: [String: Int] = [:]
        var retired = false
    }
    private let state: Mutex<State>
    private let observers = ObserverList()
    private let logger: Logger
    /// Seconds a replaced instance gets to finish its calls before its shutdown is skipped.
    public let drainDeadline: Double

    public init(_ initial: any Provider, drainDeadline: Double = 10, logger: Logger) {
        self.state = Mutex(State(slot: Slot(initial)))
        self.drainDeadline = drainDeadline
        self.logger = logger
        initial.addObserver(self)
    }

    /// The instance new calls go to.
    public var current: any Provider { state.withLock { $0.slot.provider } }

    /// How many times an instance was replaced.
    public var reloads: Int { state.withLock { $0.reloads } }

    /// Why the last reload attempt failed (the previous instance kept serving), if it did.
    public var lastError: String? { state.withLock { $0.lastError } }

    /// Calls in flight in the current instance.
    public var callsInFlight: Int { state.withLock { $0.slot.calls.count } }

    /// Records a failed reload: the current instance keeps serving.
    public func reloadFailed(_ reason: String) {
        state.withLock { $0.lastError = reason }
    }

    /// Installs `next` for new calls and retires the previous instance once its calls are done
    /// (`drained` is told whether they finished before the deadline; for tests and logs).
    public func replace(with next: any Provider, drained: (@Sendable (Bool) -> Void)? = nil) {
        next.addObserver(self)
        let (old, subscriptions) = state.withLock { s -> (Slot, [String: Int]) in
            let old = s.slot
            s.slot = Slot(next)
            s.reloads += 1
            s.lastError = nil
            return (old, s.subscriptions)
        }
        for (uri, count) in subscriptions {
            for _ in 0..<count { next.subscribe(uri: uri) }
        }
        logger.info("\(next.displayName) reloaded; the previous instance drains (\(old.calls.count) call(s) in flight)")
        observers.catalogChanged(self)
        Self.retire(old, deadline: drainDeadline, logger: logger, drained: drained)
    }

    /// Takes the provider out of service for good (its mount was removed): the current instance
    /// drains and is shut down like a replaced one. Calls arriving afterwards fail.
    public func retire(drained: (@Sendable (Bool) -> Void)? = nil) {
        let slot = state.withLock { s -> Slot? in
            if s.retired { return nil }
            s.retired = true
            return s.slot
        }
        guard let slot else { return }
        Self.retire(slot, deadline: drainDeadline, logger: logger, drained: drained)
    }

    private static func retire(_ slot: Slot, deadline: Double, logger: Logger, drained: (@Sendable (Bool) -> Void)?) {
        slot.calls.whenIdle(deadline: deadline) { done in
            // Off the completing thread: a shutdown waits for the control thread, which may be
            // the thread that just completed the last call.
            DispatchQueue.global().async {
                if done {
                    (slot.provider as? RetirableProvider)?.retire()
                } else {
                    logger.warning("\(slot.provider.displayName): \(slot.calls.count) call(s) still in flight after \(deadline)s; the retired instance is left running without shutdown")
                }
                drained?(done)
            }
        }
    }

    // MARK: Provider

    public var displayName: String { current.displayName }

    public func catalog() -> Catalog {
        state.withLock { $0.retired ? Catalog.empty : $0.slot.provider.catalog() }
    }

    public var health: ProviderHealth {
        let (provider, retired) = state.withLock { ($0.slot.provider, $0.retired) }
        return retired ? .failed("unmounted") : provider.health
    }

    public func addObserver(_ observer: any ProviderObserver) { observers.add(observer) }

    public func invoke(_ request: ProviderRequest, context: any CallContext,
                       completion: @escaping @Sendable (CallOutcome) -> Void) {
        let slot = state.withLock { s -> Slot? in
            if s.retired { return nil }
            s.slot.calls.enter()
            return s.slot
        }
        guard let slot else {
            completion(.failure(.internalError("\(displayName) was unmounted")))
            return
        }
        slot.provider.invoke(request, context: context) { outcome in
            completion(outcome)
            slot.calls.leave()
        }
    }

    public func subscribe(uri: String) {
        let provider = state.withLock { s -> any Provider in
            s.subscriptions[uri, default: 0] += 1
            return s.slot.provider
        }
        provider.subscribe(uri: uri)
    }

    public func unsubscribe(uri: String) {
        let provider = state.withLock { s -> (any Provider)? in
            guard let count = s.subscriptions[uri] else { return nil }
            s.subscriptions[uri] = count > 1 ? count - 1 : nil
            return s.slot.provider
        }
        provider?.unsubscribe(uri: uri)
    }

    // MARK: ProviderObserver (the current instance's changes, re-announced as ours)

    public func providerCatalogChanged(_ provider: any Provider) {
        guard provider === current else { return }
        observers.catalogChanged(self)
    }

    public func providerResourceUpdated(_ provider: any Provider, uri: String) {
        guard provider === current else { return }
        observers.resourceUpdated(self, uri: uri)
    }
}
