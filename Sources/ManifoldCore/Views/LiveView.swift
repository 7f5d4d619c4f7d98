import Synchronization

/// Told when what a view shows changes. Sessions implement it to notify their clients.
public protocol ViewListener: AnyObject, Sendable {
    /// The lists of these kinds changed (only kinds whose pages actually differ).
    func viewListChanged(_ kinds: Set<ComponentKind>)
    /// A visible resource changed; `uri` is the exposed URI.
    func viewResourceUpdated(_ uri: String)
}

/// A view that follows the composition: `current` is always the latest `SurfaceView` for this
/// filter, and listeners hear what changed. Shared by every session that uses it: one per
/// distinct filter (`HostComposition.view(filter:)`), or one per endpoint when the endpoint's
/// filter may change while it serves (`HostComposition.dedicatedView(filter:)`, `retarget(to:)`).
public final class LiveView: Sendable {
    /// The tag filter the view applies (changed only by `retarget(to:)`).
    public var filter: TagFilter { state.withLock { $0.filter } }
    private struct State {
        var filter: TagFilter
        var view: SurfaceView
        var listeners: [WeakListener]
        var retargetHandlers: [@Sendable (TagFilter) -> Void] = []
    }
    private struct WeakListener {
        weak var listener: (any ViewListener)?
    }
    private let state: Mutex<State>

    public let tagsInMeta: Bool
    /// Set for a dedicated view: asks its composition to apply a new filter (on its rebuild queue).
    private let retargeter: (@Sendable (LiveView, TagFilter) -> Void)?

    init(surface: Surface, filter: TagFilter, pageSize: Int, tagsInMeta: Bool = false,
         retargeter: (@Sendable (LiveView, TagFilter) -> Void)? = nil) {
        self.tagsInMeta = tagsInMeta
        self.retargeter = retargeter
        self.state = Mutex(State(filter: filter, view: SurfaceView(surface: surface, filter: filter, pageSize: pageSize,
                                                                   tagsInMeta: tagsInMeta), listeners: []))
    }

    /// Whether `retarget(to:)` can change this view's filter (a dedicated view).
    public var isRetargetable: Bool { retargeter != nil }

    /// Applies another filter to this view and every session using it: their lists change at
    /// once, listeners hear `viewListChanged` for the kinds whose pages differ, and the
    /// `onRetarget` handlers run (all before this returns). Only for a dedicated view — a shared
    /// one is also other filters' sessions' view; returns false and changes nothing then.
    @discardableResult
    public func retarget(to filter: TagFilter) -> Bool {
        guard let retargeter else { return false }
        retargeter(self, filter)
        return true
    }

    /// Runs `handler` with the new filter after each `retarget(to:)` (views derived from this
    /// one, such as a bearer token's scoped slice, follow it).
    public func onRetarget(_ handler: @escaping @Sendable (TagFilter) -> Void) {
        state.withLock { $0.retargetHandlers.append(handler) }
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
        install(surface: surface, pageSize: pageSize, filter: nil)
    }

    /// Composition's rebuild queue: installs `filter` and the view of `surface` through it, tells
    /// listeners which lists changed, then the retarget handlers.
    func apply(filter: TagFilter, surface: Surface, pageSize: Int) {
        install(surface: surface, pageSize: pageSize, filter: filter)
        for handler in state.withLock({ $0.retargetHandlers }) { handler(filter) }
    }

    /// `filter` nil: keep the current one (recomputed if a retarget changed it meanwhile, so a
    /// view is never installed through a filter that was just replaced).
    private func install(surface: Surface, pageSize: Int, filter newFilter: TagFilter?) {
        var filter = newFilter ?? self.filter
        var next = SurfaceView(surface: surface, filter: filter, pageSize: pageSize, tagsInMeta: tagsInMeta)
        var previous: SurfaceView?
        while previous == nil {
            previous = state.withLock { s -> SurfaceView? in
                if newFilter == nil, s.filter != filter { return nil }
                let old = s.view
                s.filter = filter
                s.view = next
                return old
            }
            if previous == nil {
                filter = self.filter
                next = SurfaceView(surface: surface, filter: filter, pageSize: pageSize, tagsInMeta: tagsInMeta)
            }
        }
        let old = previous!
        let changed = Set(ComponentKind.allCases.filter { old.pageBytes($0) != next.pageBytes($0) })
        guard !changed.isEmpty else { return }
        for listener in listeners { listener.viewListChanged(changed) }
    }

    func resourceUpdated(_ uri: String, tags: Set<String>) {
        guard filter.keeps(tags) else { return }
        for listener in listeners { listener.viewResourceUpdated(uri) }
    }
}
