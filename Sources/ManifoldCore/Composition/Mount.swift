import ManifoldProtocol

/// One mount of a composition: what it brings (a provider, or a whole nested composition) and
/// how its components appear — prefix, filter, renames, added tags, live or snapshot.
public struct Mount: Sendable {
    /// What is mounted.
    public enum Content: Sendable {
        case provider(any Provider)
        case composition(CompositionTree)
    }

    /// Live (`mount`): later changes of the source show through. Snapshot (`import`): the
    /// components listed when the composition was first built, frozen.
    public enum Mode: String, Sendable {
        case live = "mount"
        case snapshot = "import"
    }

    public var content: Content
    public var prefix: String?
    public var mode: Mode
    public var filter: TagFilter
    /// Tool and prompt renames, applied to the source's names before the prefix.
    public var renames: [String: String]
    /// Description overrides for tools and prompts, by their source name.
    public var descriptions: [String: String]
    /// Tags added to every component of this mount (before the filter).
    public var addTags: Set<String>
    /// Which tools are kept, by their source name (before renames, the filter and the prefix).
    public var tools: ToolSelection = .all
    /// Arguments fixed per tool (by source name): hidden from the schema, merged into calls.
    public var fixedArguments: [String: JSONObject] = [:]
    /// Names the mount in `inspect` and errors: "plugin 'math' (demo.yaml:14)".
    public var label: String

    public init(content: Content, prefix: String? = nil, mode: Mode = .live, filter: TagFilter = .all,
                renames: [String: String] = [:], descriptions: [String: String] = [:],
                addTags: Set<String> = [], label: String) {
        self.content = content
        self.prefix = prefix
        self.mode = mode
        self.filter = filter
        self.renames = renames
        self.descriptions = descriptions
        self.addTags = addTags
        self.label = label
    }
}

/// A composition: mounts, the separator between prefix and name, and what to do when two
/// mounts expose the same name. A tree, because a mount may hold another composition.
public struct CompositionTree: Sendable {
    public enum CollisionPolicy: String, Sendable {
        /// Refuse to build, naming both sources.
        case error
        /// Keep the earlier mount's component.
        case first
        /// Keep the later mount's component.
        case last
    }

    public var name: String
    public var separator: String
    public var mounts: [Mount]
    public var onCollision: CollisionPolicy

    public init(name: String, separator: String = "_", mounts: [Mount], onCollision: CollisionPolicy = .error) {
        self.name = name
        self.separator = separator
        self.mounts = mounts
        self.onCollision = onCollision
    }

    /// Every provider in the tree, depth first, each once.
    public var providers: [any Provider] {
        var seen = Set<ObjectIdentifier>()
        var result: [any Provider] = []
        func walk(_ tree: CompositionTree) {
            for mount in tree.mounts {
                switch mount.content {
                case .provider(let p):
                    if seen.insert(ObjectIdentifier(p)).inserted { result.append(p) }
                case .composition(let inner):
                    walk(inner)
                }
            }
        }
        walk(self)
        return result
    }
}
