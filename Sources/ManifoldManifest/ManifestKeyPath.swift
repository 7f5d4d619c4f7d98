/// A position in a manifest's tree, printed the way users write it: `mounts[1].remote.env`.
struct ManifestKeyPath: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    private(set) var segments: [Segment] = []

    static let root = ManifestKeyPath()

    func appending(_ key: String) -> ManifestKeyPath {
        var copy = self
        copy.segments.append(.key(key))
        return copy
    }

    func appending(_ index: Int) -> ManifestKeyPath {
        var copy = self
        copy.segments.append(.index(index))
        return copy
    }

    var isRoot: Bool { segments.isEmpty }

    var description: String {
        var text = ""
        for segment in segments {
            switch segment {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }

    /// The last key with any indices after it (`tags[2]`), what a message calls the value.
    var leafName: String {
        guard let lastKey = segments.lastIndex(where: { if case .key = $0 { true } else { false } }) else {
            return description
        }
        return ManifestKeyPath(segments: Array(segments[lastKey...])).description
    }
}
