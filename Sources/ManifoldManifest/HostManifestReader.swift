/// Reads a host manifest (`kind: host`, or no `kind`) into a `HostManifest`.
enum HostManifestReader {
    static let keys = ["kind", "server", "separator", "pageSize", "pluginFolders", "onCollision", "mounts",
                       "endpoints", "dropIns", "discovery", "watch"]
    static let serverKeys = ["name", "version", "title", "description", "websiteUrl", "instructions"]
    static let context = "the host manifest"

    static func read(_ document: ManifestDocument) throws(ManifestError) -> HostManifest {
        let root = document.rootReader
        guard case .mapping = root.node else {
            throw root.error("a host manifest must be a mapping of keys, found \(root.found)")
        }
        try checkKind(root.anyMapping(context: context))
        let map = try root.mapping(allowing: keys, context: context)

        let separator = try map["separator"]?.string(
            satisfying: ManifestRules.isSeparator, "must be 1 to 4 characters among '_', '.' and '-'") ?? "_"

        var mounts: [MountSpec] = []
        if let list = map["mounts"] {
            for item in try list.sequence() { mounts.append(try MountSpecReader.read(item, in: document)) }
        }
        var endpoints: [EndpointSpec] = []
        if let list = map["endpoints"] {
            for item in try list.sequence() { endpoints.append(try EndpointSpecReader.read(item)) }
        }
        if endpoints.isEmpty {
            endpoints = [EndpointSpec(transport: .stdio, location: root.location)]
        }

        var dropIns: [DropInSpec] = []
        if let list = map["dropIns"] {
            for item in try list.sequence() { dropIns.append(try DropInSpecReader.read(item, in: document)) }
        }

        var manifest = HostManifest(
            server: try map["server"].map(readServer) ?? ServerInfoSpec(),
            separator: separator,
            pageSize: try map["pageSize"]?.integer(in: 1...10_000) ?? 500,
            pluginFolders: try map["pluginFolders"]?.stringList().map(document.resolve) ?? [],
            mounts: mounts,
            endpoints: endpoints,
            onCollision: try map["onCollision"]?.choice(HostManifest.CollisionPolicy.self) ?? .error,
            file: document.absolutePath
        )
        manifest.dropIns = dropIns
        manifest.discovery = try map["discovery"]?.choice(HostManifest.DiscoveryMode.self) ?? .runner
        manifest.watch = try map["watch"]?.bool() ?? true
        return manifest
    }

    private static func checkKind(_ map: YAMLMappingReader) throws(ManifestError) {
        guard let value = map["kind"] else { return }
        let text = try value.string()
        if text == "plugin" || text == "ffi" {
            throw value.error("kind: '\(text)' is a plugin manifest; expected a host manifest (kind: host, or no kind)")
        }
        guard text == "host" else {
            let kinds = ["host", "plugin", "ffi"]
            throw value.error("kind: '\(text)' is not one of \(kinds.joined(separator: ", "))"
                + KeySuggestion.hint(for: text, among: kinds))
        }
    }

    private static func readServer(_ reader: YAMLNodeReader) throws(ManifestError) -> ServerInfoSpec {
        let map = try reader.mapping(allowing: serverKeys)
        func text(_ key: String) throws(ManifestError) -> String? { try map[key]?.string() }
        return ServerInfoSpec(
            name: try map["name"]?.nonEmptyString() ?? "manifold",
            version: try map["version"]?.versionString() ?? "0.1.0",
            title: try text("title"),
            description: try text("description"),
            websiteUrl: try text("websiteUrl"),
            instructions: try text("instructions")
        )
    }
}
