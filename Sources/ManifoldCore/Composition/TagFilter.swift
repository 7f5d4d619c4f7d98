/// Which components a mount or an endpoint keeps, by their tags: an include list (keep only
/// components with at least one of these tags), an exclude list (drop components with any of
/// these), and an optional boolean expression. All given parts must agree to keep a component.
public struct TagFilter: Sendable, Hashable, CustomStringConvertible {
    public var include: Set<String>
    public var exclude: Set<String>
    public var expression: TagExpression?

    public init(include: Set<String> = [], exclude: Set<String> = [], expression: TagExpression? = nil) {
        self.include = include
        self.exclude = exclude
        self.expression = expression
    }

    /// Keeps everything.
    public static let all = TagFilter()

    public var isEmpty: Bool { include.isEmpty && exclude.isEmpty && expression == nil }

    public func keeps(_ tags: Set<String>) -> Bool { removalReason(tags) == nil }

    /// Why a component with `tags` is removed, or nil if it is kept. Used by `inspect`.
    public func removalReason(_ tags: Set<String>) -> String? {
        if let hit = exclude.intersection(tags).sorted().first {
            return "excluded by tag '\(hit)'"
        }
        if !include.isEmpty && include.isDisjoint(with: tags) {
            return "has none of the included tags [\(include.sorted().joined(separator: ", "))]"
        }
        if let expression, !expression.matches(tags) {
            return "does not match '\(expression)'"
        }
        return nil
    }

    /// A filter that keeps what both keep.
    public func combined(with other: TagFilter) -> TagFilter {
        if isEmpty { return other }
        if other.isEmpty { return self }
        var result = TagFilter(exclude: exclude.union(other.exclude))
        let parts = [self, other].compactMap { f -> TagExpression? in
            var e = f.expression
            if !f.include.isEmpty {
                let any = f.include.sorted().map(TagExpression.tag).reduce(nil as TagExpression?) { acc, t in
                    acc.map { .or($0, t) } ?? t
                }!
                e = e.map { .and(any, $0) } ?? any
            }
            return e
        }
        result.expression = parts.reduce(nil as TagExpression?) { acc, e in acc.map { .and($0, e) } ?? e }
        return result
    }

    public var description: String {
        var parts: [String] = []
        if !include.isEmpty { parts.append("include [\(include.sorted().joined(separator: ", "))]") }
        if !exclude.isEmpty { parts.append("exclude [\(exclude.sorted().joined(separator: ", "))]") }
        if let expression { parts.append("where \(expression)") }
        return parts.isEmpty ? "everything" : parts.joined(separator: ", ")
    }
}
