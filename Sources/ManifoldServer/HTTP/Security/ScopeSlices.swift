import ManifoldCore

/// Scopes → the slice of the endpoint a caller sees (`auth.scopes`: scope name → tag
/// expression). A pure value, tested without sockets.
///
/// A caller's filter is the endpoint's own filter combined with the OR of the expressions of
/// its mapped scopes: `scopes: {public: "public", admin: "public or admin"}` gives a token with
/// scope `public` the components tagged `public`, one with `admin` those tagged `public` or
/// `admin` — never anything the endpoint's own filter drops. Scopes the map does not name
/// (`openid`, `offline_access`, …) are ignored. With no map, every caller sees the whole
/// endpoint.
struct ScopeSlices: Sendable {
    let expressions: [String: TagExpression]

    init(_ expressions: [String: TagExpression]) {
        self.expressions = expressions
    }

    /// Whether scopes decide what a caller sees at all.
    var isConfigured: Bool { !expressions.isEmpty }

    /// Every mapped scope name, sorted (for `scope="…"` in an insufficient-scope challenge).
    var names: [String] { expressions.keys.sorted() }

    /// The mapped scopes among `scopes`, sorted: the key of the caller's slice.
    func mapped(_ scopes: Set<String>) -> [String] {
        scopes.filter { expressions[$0] != nil }.sorted()
    }

    /// The filter of the slice for these mapped scopes (non-empty), on top of `base`.
    func filter(base: TagFilter, mapped: [String]) -> TagFilter {
        let any = mapped.compactMap { expressions[$0] }.reduce(nil as TagExpression?) { acc, e in acc.map { .or($0, e) } ?? e }
        return base.combined(with: TagFilter(expression: any))
    }
}
