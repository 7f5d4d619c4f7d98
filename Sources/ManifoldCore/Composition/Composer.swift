import ManifoldProtocol

/// Builds a `Surface` from a `CompositionTree` (DESIGN.md §6): walks the mounts, applies each
/// mount's added tags, tool allow/deny lists, fixed arguments, description overrides, renames,
/// filter and prefix (nested compositions compose outside-in), detects collisions at every
/// level, checks exposed tool names, and keeps the snapshots of `import` mounts so later builds
/// reuse them.
///
/// `strict` builds (the first one) refuse collisions and invalid names with an error; later,
/// live rebuilds keep serving: they drop the offending component and report it in `removed`.
public struct Composer: Sendable {
    /// The tool name rule: the MCP rule intersected with what common clients accept.
    public static func isValidToolName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") || c == UInt8(ascii: "-")
        }
    }

    private typealias Produced = [ComponentKind: [ExposedComponent]]

    /// Components captured by `import` mounts, keyed by the mount's path in the tree: the labels
    /// of the mounts from the root (with an occurrence number for equal labels), so a snapshot
    /// stays with its mount when the tree is replaced and mounts are added or removed around it.
    private var snapshots: [[String]: Produced] = [:]
    /// The snapshot keys the build in progress used (the others are dropped after it).
    private var visited: Set<[String]> = []

    public init() {}

    public mutating func build(_ tree: CompositionTree, strict: Bool) throws(CompositionError) -> Surface {
        var removed: [RemovedComponent] = []
        var unhealthy: [(label: String, health: ProviderHealth)] = []
        visited = []
        var produced = try compose(tree, path: [], strict: strict, removed: &removed, unhealthy: &unhealthy)
        snapshots = snapshots.filter { visited.contains($0.key) }
        var tools: [ExposedComponent] = []
        for entry in produced[.tool] ?? [] {
            if Self.isValidToolName(entry.name) {
                tools.append(entry)
                continue
            }
            let why = "exposed tool name '\(entry.name)' does not match ^[A-Za-z0-9_.-]{1,64}$"
            if strict { throw CompositionError("\(why) (from \(entry.originDescription))") }
            removed.append(RemovedComponent(kind: .tool, name: entry.name, origin: entry.origin, reason: why))
        }
        produced[.tool] = tools
        return Surface(components: produced, removed: removed, unhealthy: unhealthy)
    }

    private mutating func compose(
        _ tree: CompositionTree, path: [String], strict: Bool,
        removed: inout [RemovedComponent], unhealthy: inout [(label: String, health: ProviderHealth)]
    ) throws(CompositionError) -> Produced {
        var out: Produced = [:]
        var owners: [ComponentKind: [String: Int]] = [:]
        var occurrences: [String: Int] = [:]
        for mount in tree.mounts {
            let occurrence = occurrences[mount.label, default: 0]
            occurrences[mount.label] = occurrence + 1
            let mountPath = path + [occurrence == 0 ? mount.label : "\(mount.label)#\(occurrence)"]
            if mount.mode == .snapshot { visited.insert(mountPath) }
            var produced: Produced
            if mount.mode == .snapshot, let snapshot = snapshots[mountPath] {
                produced = snapshot
            } else {
                switch mount.content {
                case .provider(let provider):
                    let health = provider.health
                    guard health.isReady else {
                        unhealthy.append((mount.label, health))
                        continue
                    }
                    produced = Self.entries(of: provider)
                case .composition(let inner):
                    produced = try compose(inner, path: mountPath, strict: strict, removed: &removed, unhealthy: &unhealthy)
                }
                if mount.mode == .snapshot { snapshots[mountPath] = produced }
            }
            for kind in ComponentKind.allCases {
                for var entry in produced[kind] ?? [] {
                    entry.origin.append(mount.label)
                    entry.component.tags.formUnion(mount.addTags)
                    if kind == .tool, !mount.tools.keepsEverything, let reason = mount.tools.removalReason(entry.name) {
                        removed.append(RemovedComponent(kind: kind, name: entry.name, origin: entry.origin,
                                                        reason: "\(reason) at \(mount.label)"))
                        continue
                    }
                    if kind == .tool, let fixed = mount.fixedArguments[entry.name], !fixed.isEmpty {
                        Self.fix(fixed, in: &entry)
                    }
                    if kind.isNamed {
                        if let description = mount.descriptions[entry.name] {
                            entry.component.setField("description", .string(description))
                        }
                        if let renamed = mount.renames[entry.name] { entry.component.rename(to: renamed) }
                    }
                    if let reason = mount.filter.removalReason(entry.component.tags) {
                        removed.append(RemovedComponent(kind: kind, name: entry.name, origin: entry.origin,
                                                        reason: "\(reason) at \(mount.label)"))
                        continue
                    }
                    if let prefix = mount.prefix, !prefix.isEmpty {
                        if kind.isNamed {
                            entry.component.rename(to: prefix + tree.separator + entry.name)
                        } else {
                            entry.component.rename(to: ResourceURI.adding(prefix: prefix, to: entry.name))
                            entry.route = Route(provider: entry.route.provider, localName: entry.route.localName,
                                                uriPath: prefix + "/" + entry.route.uriPath,
                                                fixedArguments: entry.route.fixedArguments)
                        }
                    }
                    try place(entry, kind: kind, into: &out, owners: &owners, policy: tree.onCollision,
                              strict: strict, removed: &removed)
                }
            }
        }
        return out
    }

    private func place(_ entry: ExposedComponent, kind: ComponentKind, into out: inout Produced,
                       owners: inout [ComponentKind: [String: Int]], policy: CompositionTree.CollisionPolicy,
                       strict: Bool, removed: inout [RemovedComponent]) throws(CompositionError) {
        guard let existing = owners[kind]?[entry.name] else {
            owners[kind, default: [:]][entry.name] = out[kind, default: []].count
            out[kind, default: []].append(entry)
            return
        }
        let first = out[kind]![existing]
        let message = "\(kind) '\(entry.name)' is exposed twice: by \(first.originDescription) and by \(entry.originDescription)"
        switch policy {
        case .error:
            if strict {
                throw CompositionError("\(message); give the mounts different prefixes, rename one, or set onCollision")
            }
            removed.append(RemovedComponent(kind: kind, name: entry.name, origin: entry.origin, reason: message))
        case .first:
            removed.append(RemovedComponent(kind: kind, name: entry.name, origin: entry.origin,
                                            reason: "\(message); onCollision keeps the first"))
        case .last:
            removed.append(RemovedComponent(kind: kind, name: first.name, origin: first.origin,
                                            reason: "\(message); onCollision keeps the last"))
            out[kind]![existing] = entry
        }
    }

    /// Hides the fixed arguments from the tool's schema and records them in its route (added
    /// to those an inner mount fixed).
    private static func fix(_ values: JSONObject, in entry: inout ExposedComponent) {
        let fixed = entry.route.fixedArguments?.adding(values) ?? FixedArguments(values)
        if let schema = entry.component.definition["inputSchema"]?.objectValue {
            entry.component.setField("inputSchema", .object(fixed.hiding(in: schema)))
        }
        entry.route = Route(provider: entry.route.provider, localName: entry.route.localName,
                            uriPath: entry.route.uriPath, fixedArguments: fixed)
    }

    private static func entries(of provider: any Provider) -> Produced {
        let catalog = provider.catalog()
        var produced: Produced = [:]
        for kind in ComponentKind.allCases {
            produced[kind] = catalog[kind].map { component in
                ExposedComponent(component: component,
                                 route: Route(provider: provider, localName: component.key),
                                 origin: [])
            }
        }
        return produced
    }
}
