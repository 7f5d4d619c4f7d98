import ManifoldProtocol

/// A source of components: a native plugin, an ffi library, a remote MCP server, an isolated
/// runner. The composition reads its catalog and routes requests to it; the provider tells its
/// observers when its catalog or a resource changes.
///
/// Implementations must be thread-safe: `invoke` is called from endpoint threads and must not
/// block them (run plugin code on a dedicated pool); `completion` may be called from any thread,
/// exactly once.
public protocol Provider: AnyObject, Sendable {
    /// Names the provider in logs, errors and `inspect`: "plugin 'math'".
    var displayName: String { get }

    /// The current catalog. Cheap: providers keep it cached and refresh it when they change.
    func catalog() -> Catalog

    /// Whether the provider can serve right now, and if not, why.
    var health: ProviderHealth { get }

    /// Serves one request. `request.name` is the provider's own name or URI.
    func invoke(_ request: ProviderRequest, context: any CallContext,
                completion: @escaping @Sendable (CallOutcome) -> Void)

    /// Registers an observer of catalog and resource changes. Providers hold observers weakly
    /// or for their whole life; registering the same observer twice has no extra effect.
    func addObserver(_ observer: any ProviderObserver)

    /// A client subscribed to one of the provider's resources (its own URI). Providers that
    /// only report updates of subscribed resources (remote servers) forward it; calls are
    /// counted, one `unsubscribe` per `subscribe`.
    func subscribe(uri: String)

    /// The matching end of `subscribe(uri:)`.
    func unsubscribe(uri: String)
}

extension Provider {
    /// Providers that report every update need no subscriptions.
    public func subscribe(uri: String) {}
    public func unsubscribe(uri: String) {}
}

/// Receives a provider's changes. Called from any thread.
public protocol ProviderObserver: AnyObject, Sendable {
    /// The provider's catalog (or health) changed; read `catalog()` again.
    func providerCatalogChanged(_ provider: any Provider)
    /// A resource of the provider (its own URI) changed.
    func providerResourceUpdated(_ provider: any Provider, uri: String)
}

/// Whether a provider is serving.
public enum ProviderHealth: Sendable, Equatable, CustomStringConvertible {
    case ready
    /// Not serving: its components are absent from the lists until it recovers.
    case failed(String)
    /// Starting or reconnecting.
    case starting

    public var isReady: Bool { self == .ready }

    public var description: String {
        switch self {
        case .ready: return "ready"
        case .failed(let reason): return "failed: \(reason)"
        case .starting: return "starting"
        }
    }
}

/// One request to a provider, in the provider's own names.
public struct ProviderRequest: Sendable {
    public enum Kind: Int, Sendable {
        /// `tools/call`: name = tool name, input = the arguments object.
        case callTool = 1
        /// `resources/read`: name = resource URI, input = `{}`.
        case readResource = 2
        /// `prompts/get`: name = prompt name, input = the arguments object.
        case getPrompt = 4
        /// `completion/complete`: name = prompt name or template URI, input = the params object.
        case complete = 5
    }

    public var kind: Kind
    public var name: String
    /// JSON bytes, usually a slice of the client's message (never re-encoded).
    public var input: ArraySlice<UInt8>

    public init(kind: Kind, name: String, input: ArraySlice<UInt8>) {
        self.kind = kind
        self.name = name
        self.input = input
    }
}

/// How a provider request ended.
public enum CallOutcome: Sendable {
    /// The result object, as JSON bytes.
    case result([UInt8])
    /// A protocol-level failure, sent as a JSON-RPC error.
    case failure(RPCError)
    /// The client cancelled; nothing is sent.
    case cancelled
}
