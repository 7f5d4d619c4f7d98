import ManifoldProtocol

/// One endpoint's (or one caller's) slice of a surface: the components its tag filter keeps,
/// with every `*/list` page serialized once, and the lookup tables requests use. Built when the
/// composition changes; read-only afterwards, so requests share it without locking.
public final class SurfaceView: Sendable {
    public let surface: Surface
    public let filter: TagFilter
    public let pageSize: Int
    private let visible: [ComponentKind: [String: ExposedComponent]]
    /// `visible[.tool]`, held apart so that `tools/call` does one dictionary lookup, not two.
    private let visibleTools: [String: ExposedComponent]
    /// Per kind, the result object of each page, e.g. `{"tools":[…],"nextCursor":"2"}`.
    private let pages: [ComponentKind: [[UInt8]]]

    /// `tagsInMeta`: list each component's tags in `_meta["io.manifold/tags"]` — for views a
    /// Manifold host proxies (isolated runners), so tags survive the process boundary.
    public init(surface: Surface, filter: TagFilter, pageSize: Int, tagsInMeta: Bool = false) {
        self.surface = surface
        self.filter = filter
        self.pageSize = max(1, pageSize)
        var visible: [ComponentKind: [String: ExposedComponent]] = [:]
        var pages: [ComponentKind: [[UInt8]]] = [:]
        for kind in ComponentKind.allCases {
            let kept = surface[kind].filter { filter.keeps($0.component.tags) }
            visible[kind] = Dictionary(kept.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            pages[kind] = Self.paginate(kept, kind: kind, pageSize: max(1, pageSize), tagsInMeta: tagsInMeta)
        }
        self.visible = visible
        self.visibleTools = visible[.tool] ?? [:]
        self.pages = pages
    }

    /// The `_meta` key that carries tags across a Manifold-to-Manifold boundary.
    public static let tagsMetaKey = "io.manifold/tags"

    private static func paginate(_ entries: [ExposedComponent], kind: ComponentKind, pageSize: Int,
                                 tagsInMeta: Bool) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var start = 0
        repeat {
            let end = min(start + pageSize, entries.count)
            var w = JSONWriter(capacity: 64 + (end - start) * 256)
            w.raw("{")
            w.string(kind.listField)
            w.raw(":[")
            for i in start..<end {
                if i > start { w.raw(",") }
                if tagsInMeta && !entries[i].component.tags.isEmpty {
                    var definition = entries[i].component.definition
                    var meta = definition["_meta"]?.objectValue ?? [:]
                    meta[tagsMetaKey] = .array(entries[i].component.tags.sorted().map(JSONValue.string))
                    definition["_meta"] = .object(meta)
                    definition.write(to: &w)
                } else {
                    entries[i].component.definition.write(to: &w)
                }
            }
            w.raw("]")
            if end < entries.count {
                w.raw(",\"nextCursor\":")
                w.string(String(result.count + 1))
            }
            w.raw("}")
            result.append(w.bytes)
            start = end
        } while start < entries.count
        return result
    }

    /// The list result for `cursor` (nil = first page). An unknown cursor is -32602.
    public func listPage(_ kind: ComponentKind, cursor: String?) throws(RPCError) -> [UInt8] {
        let kindPages = pages[kind]!
        guard let cursor else { return kindPages[0] }
        guard let page = Int(cursor), page > 0, page < kindPages.count else {
            throw RPCError.invalidParams("Invalid cursor: '\(cursor)'")
        }
        return kindPages[page]
    }

    /// All entries of a kind this view shows, in order.
    public func entries(_ kind: ComponentKind) -> [ExposedComponent] {
        surface[kind].filter { visible[kind]![$0.name] != nil }
    }

    /// A visible component by exposed name (URI / URI template for resources).
    @inline(__always)
    public func lookup(_ kind: ComponentKind, _ name: String) -> ExposedComponent? {
        kind == .tool ? visibleTools[name] : visible[kind]![name]
    }

    /// The visible resource (static or by template) at `uri`, with the provider's URI.
    public func resolveResource(_ uri: String) -> (entry: ExposedComponent, localURI: String)? {
        surface.resolveResource(uri) { self.filter.keeps($0.component.tags) }
    }

    /// The serialized pages of a kind; two views with equal pages list the same thing.
    func pageBytes(_ kind: ComponentKind) -> [[UInt8]] { pages[kind]! }

}
