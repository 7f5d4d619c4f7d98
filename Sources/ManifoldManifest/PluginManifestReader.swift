import ManifoldProtocol

/// Reads a plugin manifest (`kind: plugin` or `kind: ffi`) into a `PluginManifest`.
enum PluginManifestReader {
    static let keys = ["kind", "id", "version", "description", "library", "sha256", "abi", "execution",
                       "tags", "config", "limits", "functions"]
    static let limitKeys = ["addressSpaceMB", "cpuSeconds", "callTimeoutMs"]
    static let context = "the plugin manifest"

    static func read(_ document: ManifestDocument) throws(ManifestError) -> PluginManifest {
        let root = document.rootReader
        guard case .mapping = root.node else {
            throw root.error("a plugin manifest must be a mapping of keys, found \(root.found)")
        }
        let kind = try readKind(root.anyMapping(context: context))
        let map = try root.mapping(allowing: keys, context: context)

        let idReader = try map.required("id")
        let id = try idReader.string(satisfying: ManifestRules.isName,
                                     "is not a valid plugin id (\(ManifestRules.nameRule))")

        let library = try map.required("library").nonEmptyString()

        let sha256 = try map["sha256"]?.string(
            satisfying: ManifestRules.isSHA256, "is not a SHA-256 digest (64 hexadecimal characters)").lowercased()

        let (functions, functionLocations) = try readFunctions(map, kind: kind)
        var manifest = PluginManifest(
            kind: kind,
            id: id,
            version: try map["version"]?.versionString(),
            description: try map["description"]?.string(),
            library: library,
            sha256: sha256,
            abi: try map["abi"].map(readABI),
            execution: try map["execution"]?.choice(ExecutionMode.self),
            tags: try map["tags"]?.stringList() ?? [],
            config: try map["config"]?.json() ?? .object([:]),
            limits: try readLimits(map),
            functions: functions,
            file: document.absolutePath,
            location: idReader.location
        )
        manifest.functionLocations = functionLocations
        return manifest
    }

    private static func readKind(_ map: YAMLMappingReader) throws(ManifestError) -> PluginManifest.Kind {
        let value = try map.required("kind", note: " (plugin or ffi)")
        let text = try value.string()
        if text == "host" {
            throw value.error("kind: 'host' is a host manifest; expected a plugin manifest (kind: plugin or ffi)")
        }
        return try value.choice(PluginManifest.Kind.self)
    }

    /// `abi: "1.0"`; an unquoted `1.0` is read as written.
    private static func readABI(_ value: YAMLNodeReader) throws(ManifestError) -> String {
        let text = try value.versionString()
        guard ManifestRules.isABIVersion(text) else {
            throw value.error("abi: '\(text)' is not an ABI version of the form MAJOR.MINOR, e.g. \"1.0\"")
        }
        return text
    }

    private static func readLimits(_ map: YAMLMappingReader) throws(ManifestError) -> PluginLimits {
        guard let value = map["limits"] else { return PluginLimits() }
        let limits = try value.mapping(allowing: limitKeys)
        return PluginLimits(
            addressSpaceMB: try limits["addressSpaceMB"]?.positiveInteger(),
            cpuSeconds: try limits["cpuSeconds"]?.positiveInteger(),
            callTimeoutMs: try limits["callTimeoutMs"]?.positiveInteger()
        )
    }

    private static func readFunctions(_ map: YAMLMappingReader, kind: PluginManifest.Kind)
        throws(ManifestError) -> ([JSONValue], [SourceLocation]) {
        switch kind {
        case .plugin:
            guard map.has("functions") else { return ([], []) }
            throw map.error(atKey: "functions", "'functions' is only allowed in ffi manifests (kind: ffi);"
                + " a native plugin lists its own tools")
        case .ffi:
            let value = try map.required("functions", note: " (kind: ffi needs at least one function)")
            let items = try value.sequence()
            guard !items.isEmpty else {
                throw value.error("'functions' must list at least one function for kind: ffi")
            }
            var functions: [JSONValue] = []
            for item in items { functions.append(try item.json()) }
            return (functions, items.map(\.location))
        }
    }
}
