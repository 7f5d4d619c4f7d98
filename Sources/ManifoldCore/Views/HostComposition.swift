import Dispatch
import Logging
import Synchronization

/// The running composition: the tree, the current surface, and the live views endpoints serve.
/// It observes every provider; when one changes (a plugin's list, a remote server's
/// list_changed, a provider failing or recovering) it rebuilds the surface off the request
/// path and updates each view, whose sessions then tell their clients.
public final class HostComposition: ProviderObserver, Sendable {
    public let pageSize: Int
    private let logger: Logger
    private struct State {
        var tree: CompositionTree
        var composer: Composer
        var surface: Surface
        var views: [ViewKey: LiveView]
        /// Views of one endpoint each, whose filter may change (`dedicatedView`).
        var dedicated: [LiveView] = []
        var rebuildHandlers: [@Sendable (Surface) -> Void] = []
    }
    /// Views are shared by everyone asking for the same filter and presentation.
    private struct ViewKey: Hashable {
        var filter: TagFilter
        var tagsInMeta: Bool
    }
    private let state: Mutex<State>
    private let rebuilds = DispatchQueue(label: "manifold.composition")
    private static let onRebuildQueue = DispatchSpecificKey<Bool>()

    /// Builds the surface strictly: collisions and invalid names are errors here.
    public init(tree: CompositionTree, pageSize: Int = 500, logger: Logger) throws(CompositionError) {
        self.pageSize = pageSize
        self.logger = logger
        var composer = Composer()
        let surface = try composer.build(tree, strict: true)
        self.state = Mutex(State(tree: tree, composer: composer, surface: surface, views: [:]))
        rebuilds.setSpecific(key: Self.onRebuildQueue, value: true)
        for provider in tree.providers { provider.addObserver(self) }
    }

    /// The tree being served (replaced by `replace(tree:)`).
    public var tree: CompositionTree { state.withLock { $0.tree } }

    public var surface: Surface { state.withLock { $0.surface } }

    /// Installs a new tree (a host manifest reload, a drop-in plugin appearing or going;
    /// docs/RELOAD.md): observes its providers, rebuilds non-strictly (a collision drops the
    /// component and is logged, the host keeps serving) and updates every view, whose sessions
    /// get `list_changed` only for lists whose pages differ. Providers that are in both trees are
    /// the same objects, so their calls in flight are untouched; `import` mounts keep their
    /// snapshots when the same mount is still there.
    public func replace(tree: CompositionTree) {
        for provider in tree.providers { provider.addObserver(self) }
        state.withLock { $0.tree = tree }
        // On the rebuild queue, so this rebuild and those triggered by providers apply in order.
        rebuilds.sync { rebuild() }
    }

    /// Runs `handler` with the new surface after every rebuild (on the rebuilding thread), e.g.
    /// to publish the live state `inspect --live` shows.
    public func onRebuild(_ handler: @escaping @Sendable (Surface) -> Void) {
        state.withLock { $0.rebuildHandlers.append(handler) }
    }

    /// The live view for a filter (shared by everyone who asks for the same filter).
    public func view(filter: TagFilter, tagsInMeta: Bool = false) -> LiveView {
        state.withLock { s in
            let key = ViewKey(filter: filter, tagsInMeta: tagsInMeta)
            if let existing = s.views[key] { return existing }
            let view = LiveView(surface: s.surface, filter: filter, pageSize: pageSize, tagsInMeta: tagsInMeta)
            s.views[key] = view
            return view
        }
    }

    /// A view of its own for one endpoint (not shared with other filters' sessions), whose filter
    /// `LiveView.retarget(to:)` can change while sessions use it: a host manifest reload that
    /// changes the endpoint's filter applies it to the sessions already open (docs/RELOAD.md).
    public func dedicatedView(filter: TagFilter, tagsInMeta: Bool = false) -> LiveView {
        state.withLock { s in
            let view = LiveView(surface: s.surface, filter: filter, pageSize: pageSize, tagsInMeta: tagsInMeta,
                                retargeter: { [weak self] view, filter in self?.retarget(view, to: filter) })
            s.dedicated.append(view)
            return view
        }
    }

    /// Applies a dedicated view's new filter on the rebuild queue (in order with rebuilds).
    private func retarget(_ view: LiveView, to filter: TagFilter) {
        let apply = { view.apply(filter: filter, surface: self.surface, pageSize: self.pageSize) }
        if DispatchQueue.getSpecific(key: Self.onRebuildQueue) == true { apply() } else { rebuilds.sync(execute: apply) }
    }

    /// Rebuilds now, on the caller's thread (tests, reload).
    public func rebuild() {
        let (surface, views, handlers) = state.withLock { s -> (Surface, [LiveView], [@Sendable (Surface) -> Void]) in
            do {
                s.surface = try s.composer.build(s.tree, strict: false)
            } catch {
                logger.error("composition rebuild failed: \(error)")
            }
            return (s.surface, Array(s.views.values) + s.dedicated, s.rebuildHandlers)
        }
        for problem in surface.removed where problem.reason.contains("exposed twice") || problem.reason.contains("does not match ^") {
            logger.warning("\(problem.kind) '\(problem.name)' dropped: \(problem.reason)")
        }
        for view in views { view.update(surface: surface, pageSize: pageSize) }
        for handler in handlers { handler(surface) }
    }

    public func providerCatalogChanged(_ provider: any Provider) {
        rebuilds.async { self.rebuild() }
    }

    public func providerResourceUpdated(_ provider: any Provider, uri: String) {
        let (surface, views) = state.withLock { s in (s.surface, Array(s.views.values) + s.dedicated) }
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
