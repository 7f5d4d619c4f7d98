import Yams

/// The entries of one YAML mapping, looked up by key, each read through a `YAMLNodeReader`
/// whose key path extends the mapping's.
struct YAMLMappingReader {
    struct Entry {
        let key: String
        let keyMark: Mark?
        let value: Node
    }

    let owner: YAMLNodeReader
    let entries: [Entry]
    /// How messages name this mapping: `mounts[1]`, "the host manifest".
    let context: String

    var keys: [String] { entries.map(\.key) }

    func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    func entry(_ key: String) -> Entry? { entries.first { $0.key == key } }

    subscript(key: String) -> YAMLNodeReader? {
        entry(key).map { owner.child($0.value, key: key) }
    }

    /// An error at a key (not its value), e.g. a key that is not allowed here.
    func error(atKey key: String, _ message: String) -> ManifestError {
        owner.error(message, at: entry(key)?.keyMark, path: owner.path.appending(key))
    }

    func required(_ key: String, note: String = "") throws(ManifestError) -> YAMLNodeReader {
        guard let value = self[key] else {
            throw owner.error("missing required key '\(key)' in \(context)\(note)")
        }
        return value
    }
}
