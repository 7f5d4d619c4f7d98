import Synchronization

/// Told when what a view shows changes. Sessions implement it to notify their clients.
public protocol ViewListener: AnyObject, Sendable {
    /// The lists of these kinds changed (only kinds whose pages actually differ).
    func viewListChanged(_ kinds: Set<ComponentKind>)
    /// A visible resource changed; `uri` is the exposed URI.
    func viewResourceUpdated(_ uri: String)
}

/// A view that follows the composition: `current` is always the latest `SurfaceView` for this
/// filter, and listeners hear what changed. One per distinct filter, shared by every session
/// that uses it.
public final class LiveView: Sendable {
    public let filter: TagFilter
    private struct State {
        var view: SurfaceView
        var listeners: [WeakListener]
    }
    private struct WeakListener {
        weak var listener: (any ViewListener)?
    }
    private let state: Mutex<State>

    public let tagsInMeta: Bool

    init(surface: Surface, filter: TagFilter, pageSize: Int, tagsInMeta: Bool = false) {
        self.filter = filter
        self.tagsInMeta = tagsInMeta
        self.state = Mutex(State(view: SurfaceView(surface: surface, filter: filter, pageSize: pageSize,
                                                   tagsInMeta: tagsInMeta), listeners: []))
    }

    /// The latest view. Requests read it once and use that snapshot throughout.
    public var current: SurfaceView { state.withLock { $0.view } }

    public func addListener(_ listener: any ViewListener) {
        state.withLock { s in
            s.listeners.removeAll { $0.listener == nil }
            s.listeners.append(WeakListener(listener: listener))
        }
    }

    public func removeListener(_ listener: any ViewListener) {
        state.withLock { s in s.listeners.removeAll { $0.listener == nil || $0.listener === listener } }
    }

    private var listeners: [any ViewListener] {
        state.withLock { $0.listeners.compactMap(\.listener) }
    }

    /// Installs the view of a new surface and tells listeners which lists changed.
    func update(surface: Surface, pageSize: Int) {
        let next = SurfaceView(surface: surface, filter: filter, pageSize: pageSize, tagsInMeta: tagsInMeta)
        let previous = state.withLock { s in
            let old = s.view
            s.view = next
            return old
        }
        let changed = Set(ComponentKind.allCases.filter { previous.pageBytes($0) != next.pageBytes($0) })
        guard !changed.isEmpty else { return }
        for listener in listeners { listener.viewListChanged(changed) }
    }

    func resourceUpdated(_ uri: String, tags: Set<String>) {
        guard filter.keeps(tags) else { return }
        for listener in listeners { listener.viewResourceUpdated(uri) }
    }
}
