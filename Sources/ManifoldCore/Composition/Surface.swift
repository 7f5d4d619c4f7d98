import ManifoldProtocol

/// Where an exposed component's requests go: the provider that owns it, the provider's own
/// name (or URI / URI template) for it, and for resources the prefix path the composition put
/// after the scheme (`outer/inner/`), which is removed again on the way in.
public struct Route: Sendable {
    public let provider: any Provider
    public let localName: String
    public let uriPath: String
    /// Tool arguments the composition fixed (merged into every call); nil for most tools.
    public let fixedArguments: FixedArguments?

    public init(provider: any Provider, localName: String, uriPath: String = "", fixedArguments: FixedArguments? = nil) {
        self.provider = provider
        self.localName = localName
        self.uriPath = uriPath
        self.fixedArguments = fixedArguments
    }
}

/// A component as the composition exposes it: its definition under the exposed name, its
/// route, and the chain of mounts it came through (innermost first).
public struct ExposedComponent: Sendable {
    public var component: Component
    public var route: Route
    public var origin: [String]
    /// The parsed exposed URI template (templates only).
    public var template: URITemplate?

    public var name: String { component.key }
    public var originDescription: String { origin.joined(separator: " via ") }
}

/// A component a filter (or a failure) kept out, and why — what `inspect` shows.
public struct RemovedComponent: Sendable {
    public var kind: ComponentKind
    public var name: String
    public var origin: [String]
    public var reason: String
}

/// The composed surface at one moment: every exposed component with its route, lookups by
/// exposed name built once, and what was removed. Immutable; a change builds a new one.
public struct Surface: Sendable {
    public private(set) var components: [ComponentKind: [ExposedComponent]]
    public private(set) var removed: [RemovedComponent]
    /// Providers that are not serving, with their mount label.
    public private(set) var unhealthy: [(label: String, health: ProviderHealth)]
    private var index: [ComponentKind: [String: Int]]

    public init(components: [ComponentKind: [ExposedComponent]], removed: [RemovedComponent],
                unhealthy: [(label: String, health: ProviderHealth)]) {
        var components = components
        for kind in ComponentKind.allCases where kind == .resourceTemplate {
            components[kind] = components[kind, default: []].map { entry in
                var entry = entry
                entry.template = URITemplate(entry.name)
                return entry
            }
        }
        self.components = components
        self.removed = removed
        self.unhealthy = unhealthy
        var index: [ComponentKind: [String: Int]] = [:]
        for (kind, entries) in components {
            var byName: [String: Int] = [:]
            byName.reserveCapacity(entries.count)
            for (i, entry) in entries.enumerated() { byName[entry.name] = i }
            index[kind] = byName
        }
        self.index = index
    }

    public static let empty = Surface(components: [:], removed: [], unhealthy: [])

    public subscript(kind: ComponentKind) -> [ExposedComponent] { components[kind] ?? [] }

    /// The component of `kind` exposed under `name` (URI / URI template for resources).
    public func lookup(_ kind: ComponentKind, _ name: String) -> ExposedComponent? {
        guard let i = index[kind]?[name] else { return nil }
        return components[kind]![i]
    }

    /// The resource a client may read at `uri`: a static resource, or the first template that
    /// matches; with the URI in the provider's own terms.
    public func resolveResource(_ uri: String, where keep: (ExposedComponent) -> Bool = { _ in true })
        -> (entry: ExposedComponent, localURI: String)?
    {
        if let entry = lookup(.resource, uri), keep(entry) {
            return (entry, entry.route.localName)
        }
        for entry in self[.resourceTemplate] where keep(entry) {
            if entry.template?.match(uri) != nil,
                let local = ResourceURI.removing(path: entry.route.uriPath, from: uri)
            {
                return (entry, local)
            }
        }
        return nil
    }
}
