/// How resource URIs and templates carry a mount's prefix: as the first segment after the
/// scheme, `scheme://prefix/rest` (the convention FastMCP uses). A URI without `://` gets
/// `prefix/` in front.
public enum ResourceURI {
    /// `data://config` under prefix `p0` → `data://p0/config`.
    public static func adding(prefix: String, to uri: String) -> String {
        guard let split = authorityStart(uri) else { return prefix + "/" + uri }
        return String(uri[..<split]) + prefix + "/" + String(uri[split...])
    }

    /// The inverse of `adding(prefix:to:)` for a path of prefixes (`outer/inner/`); nil when the
    /// URI does not carry it.
    public static func removing(path: String, from uri: String) -> String? {
        guard !path.isEmpty else { return uri }
        guard let split = authorityStart(uri) else {
            return uri.hasPrefix(path) ? String(uri.dropFirst(path.count)) : nil
        }
        let rest = uri[split...]
        guard rest.hasPrefix(path) else { return nil }
        return String(uri[..<split]) + String(rest.dropFirst(path.count))
    }

    /// The index just after `://`, if the URI has one.
    static func authorityStart(_ uri: String) -> String.Index? {
        var index = uri.startIndex
        while index < uri.endIndex {
            if uri[index...].hasPrefix("://") {
                return uri.index(index, offsetBy: 3)
            }
            if uri[index] == "/" || uri[index] == "?" || uri[index] == "#" { return nil }
            index = uri.index(after: index)
        }
        return nil
    }
}
