import ManifoldCore
import ManifoldProtocol

/// Stands in for a mount whose source could not be loaded: it offers nothing, says why in
/// `inspect` and `/readyz`, and the rest of the host keeps serving.
public final class FailedProvider: Provider {
    public let displayName: String
    public let reason: String

    public init(displayName: String, reason: String) {
        self.displayName = displayName
        self.reason = reason
    }

    public func catalog() -> Catalog { .empty }
    public var health: ProviderHealth { .failed(reason) }
    public func addObserver(_ observer: any ProviderObserver) {}

    public func invoke(_ request: ProviderRequest, context: any CallContext,
                       completion: @escaping @Sendable (CallOutcome) -> Void) {
        completion(.failure(.internalError("\(displayName) is not available: \(reason)")))
    }
}
