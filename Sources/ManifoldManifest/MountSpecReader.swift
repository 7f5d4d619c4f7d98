/// Reads one entry of a host manifest's `mounts` list into a `MountSpec`.
enum MountSpecReader {
    static let sourceKeys = ["plugin", "manifest", "remote", "mcpServers"]
    static let keys = sourceKeys + ["prefix", "mode", "includeTags", "excludeTags", "filter", "rename",
                                    "addTags", "timeoutMs", "options"] + MountTransformReader.keys

    static func read(_ reader: YAMLNodeReader, in document: ManifestDocument) throws(ManifestError) -> MountSpec {
        let map = try reader.mapping(allowing: keys)
        let source = try readSource(map, in: document)
        let prefix = try map["prefix"]?.string(
            satisfying: ManifestRules.isName, "is not a valid prefix (\(ManifestRules.nameRule))")
        var spec = MountSpec(
            source: source,
            prefix: prefix,
            mode: try map["mode"]?.choice(MountMode.self) ?? .mount,
            filter: try TagFilterReader.read(map),
            rename: try readRename(map),
            addTags: try map["addTags"]?.stringList() ?? [],
            timeoutMs: try map["timeoutMs"]?.positiveInteger(),
            options: try map["options"]?.jsonObject() ?? .object([:]),
            location: reader.location
        )
        spec.descriptions = try MountTransformReader.descriptions(map)
        spec.fixedArguments = try MountTransformReader.fixedArguments(map)
        spec.tools = try MountTransformReader.toolSelection(map)
        if case .mcpServers = source { spec.servers = try MountTransformReader.serverOptions(map) }
        return spec
    }

    private static func readSource(_ map: YAMLMappingReader, in document: ManifestDocument)
        throws(ManifestError) -> MountSource {
        let present = map.keys.filter(sourceKeys.contains)
        guard let key = present.first else {
            throw map.owner.error(
                "\(map.context) needs a source: one of 'plugin', 'manifest', 'remote' or 'mcpServers'")
        }
        if present.count > 1 {
            throw map.error(atKey: present[1], "\(map.context) has both '\(present[0])' and '\(present[1])';"
                + " a mount takes exactly one source")
        }
        let value = map[key]!
        switch key {
        case "plugin":
            let text = try value.nonEmptyString()
            if ManifestPaths.looksLikePath(text) { return .plugin(document.resolve(text)) }
            guard ManifestRules.isName(text) else {
                throw value.error("plugin: '\(text)' is neither a plugin id (\(ManifestRules.nameRule))"
                    + " nor a path to a plugin manifest")
            }
            return .plugin(text)
        case "manifest":
            return .manifest(document.resolve(try value.nonEmptyString()))
        case "mcpServers":
            return .mcpServers(document.resolve(try value.nonEmptyString()))
        default:
            return try RemoteSourceReader.read(value, in: document)
        }
    }

    private static func readRename(_ map: YAMLMappingReader) throws(ManifestError) -> [String: String] {
        guard let value = map["rename"] else { return [:] }
        var rename: [String: String] = [:]
        for entry in try value.anyMapping().entries {
            let target = value.child(entry.value, key: entry.key)
            let newName = try target.string()
            guard ManifestRules.isName(newName) else {
                throw target.error("rename: '\(newName)' is not a valid name (\(ManifestRules.nameRule))")
            }
            rename[entry.key] = newName
        }
        return rename
    }
}
