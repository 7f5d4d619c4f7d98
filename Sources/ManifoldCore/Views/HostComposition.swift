import Dispatch
import Logging
import Synchronization

/// The running composition: the tree, the current surface, and the live views endpoints serve.
/// It observes every provider; when one changes (a plugin's list, a remote server's
/// list_changed, a provider failing or recovering) it rebuilds the surface off the request
/// path and updates each view, whose sessions then tell their clients.
public final class HostComposition: ProviderObserver, Sendable {
    public let tree: CompositionTree
    public let pageSize: Int
    private let logger: Logger
    private struct State {
        var composer: Composer
        var surface: Surface
        var views: [TagFilter: LiveView]
    }
    private let state: Mutex<State>
    private let rebuilds = DispatchQueue(label: "manifold.composition")

    /// Builds the surface strictly: collisions and invalid names are errors here.
    public init(tree: CompositionTree, pageSize: Int = 500, logger: Logger) throws(CompositionError) {
        self.tree = tree
        self.pageSize = pageSize
        self.logger = logger
        var composer = Composer()
        let surface = try composer.build(tree, strict: true)
        self.state = Mutex(State(composer: composer, surface: surface, views: [:]))
        for provider in tree.providers { provider.addObserver(self) }
    }

    public var surface: Surface { state.withLock { $0.surface } }

    /// The live view for a filter (shared by everyone who asks for the same filter).
    public func view(filter: TagFilter) -> LiveView {
        state.withLock { s in
            if let existing = s.views[filter] { return existing }
            let view = LiveView(surface: s.surface, filter: filter, pageSize: pageSize)
            s.views[filter] = view
            return view
        }
    }

    /// Rebuilds now, on the caller's thread (tests, reload).
    public func rebuild() {
        let (surface, views) = state.withLock { s -> (Surface, [LiveView]) in
            do {
                s.surface = try s.composer.build(tree, strict: false)
            } catch {
                logger.error("composition rebuild failed: \(error)")
            }
            return (s.surface, Array(s.views.values))
        }
        for problem in surface.removed where problem.reason.contains("exposed twice") || problem.reason.contains("does not match ^") {
            logger.warning("\(problem.kind) '\(problem.name)' dropped: \(problem.reason)")
        }
        for view in views { view.update(surface: surface, pageSize: pageSize) }
    }

    public func providerCatalogChanged(_ provider: any Provider) {
        rebuilds.async { self.rebuild() }
    }

    public func providerResourceUpdated(_ provider: any Provider, uri: String) {
        let (surface, views) = state.withLock { s in (s.surface, Array(s.views.values)) }
        var exposed: [(uri: String, tags: Set<String>)] = []
        for entry in surface[.resource] where entry.route.provider === provider && entry.route.localName == uri {
            exposed.append((entry.name, entry.component.tags))
        }
        if exposed.isEmpty {
            for entry in surface[.resourceTemplate] where entry.route.provider === provider {
                guard URITemplate(entry.route.localName).match(uri) != nil else { continue }
                let path = String(entry.route.uriPath.dropLast())
                let exposedURI = path.isEmpty ? uri : ResourceURI.adding(prefix: path, to: uri)
                if !exposed.contains(where: { $0.uri == exposedURI }) { exposed.append((exposedURI, entry.component.tags)) }
            }
        }
        for (uri, tags) in exposed {
            for view in views { view.resourceUpdated(uri, tags: tags) }
        }
    }
}
