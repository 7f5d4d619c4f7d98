import Synchronization

/// The observers of one provider, held weakly, each once. Providers embed one and call
/// `catalogChanged` / `resourceUpdated` from any thread.
public final class ObserverList: Sendable {
    private struct Weak {
        weak var observer: (any ProviderObserver)?
    }
    private let observers = Mutex<[Weak]>([])

    public init() {}

    public func add(_ observer: any ProviderObserver) {
        observers.withLock { list in
            list.removeAll { $0.observer == nil }
            if !list.contains(where: { $0.observer === observer }) { list.append(Weak(observer: observer)) }
        }
    }

    public var all: [any ProviderObserver] { observers.withLock { $0.compactMap(\.observer) } }

    public func catalogChanged(_ provider: any Provider) {
        for observer in all { observer.providerCatalogChanged(provider) }
    }

    public func resourceUpdated(_ provider: any Provider, uri: String) {
        for observer in all { observer.providerResourceUpdated(provider, uri: uri) }
    }
}
