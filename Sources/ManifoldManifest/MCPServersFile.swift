/// One server of an `mcpServers` file (the format Claude Desktop, Cursor and VS Code use):
///
///     {"mcpServers": {
///        "files":  {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"],
///                   "env": {"DEBUG": "1"}, "cwd": "."},
///        "hosted": {"url": "https://mcp.example.com/mcp", "headers": {"X-Team": "tools"}},
///        "legacy": {"url": "http://127.0.0.1:8000/sse", "type": "sse"}}}
///
/// A server whose entry cannot be used carries the `problem` instead of a `source`, so one bad
/// entry never stops the others.
public struct MCPServerEntry: Sendable, Hashable {
    /// The key: the server's name, and its prefix when mounted.
    public var name: String
    /// A `.remoteCommand` or `.remoteURL` source; nil when the entry has a `problem`.
    public var source: MountSource?
    public var problem: ManifestError?
    /// `"disabled": true` in the file (Cline and others write it): not started.
    public var disabled: Bool
    public var location: SourceLocation
}

/// Reads `mcpServers` files. Unlike Manifold's own manifests, unknown keys of a server entry are
/// ignored: the files are shared with other tools that add their own (`autoApprove`,
/// `description`, `timeout`, …). The top-level object may be named `mcpServers` or `servers`
/// (VS Code). `type` is `stdio`, `http` / `streamable-http` / `streamableHttp`, or `sse`;
/// without it a server is stdio when it has a `command` and Streamable HTTP when it has a `url`.
/// Relative `cwd` paths are resolved against the file's folder.
public enum MCPServersFile {
    public static func load(path: String) throws(ManifestError) -> [MCPServerEntry] {
        try read(ManifestDocument.read(path: path))
    }

    public static func parse(text: String, file: String) throws(ManifestError) -> [MCPServerEntry] {
        try read(ManifestDocument.parse(text: text, displayPath: file, absolutePath: ManifestPaths.absolute(file)))
    }

    static func read(_ document: ManifestDocument) throws(ManifestError) -> [MCPServerEntry] {
        let root = try document.rootReader.anyMapping(context: "the mcpServers file")
        guard let servers = root["mcpServers"] ?? root["servers"] else {
            throw document.rootReader.error("an mcpServers file needs a top-level \"mcpServers\" object of servers")
        }
        var entries: [MCPServerEntry] = []
        for entry in try servers.anyMapping().entries {
            let reader = servers.child(entry.value, key: entry.key)
            var server = MCPServerEntry(name: entry.key, source: nil, problem: nil, disabled: false,
                                        location: reader.location)
            do throws(ManifestError) {
                let map = try reader.anyMapping()
                server.disabled = try map["disabled"]?.bool() ?? false
                server.source = try source(map, in: document)
            } catch {
                server.problem = error
            }
            entries.append(server)
        }
        return entries
    }

    private static func source(_ map: YAMLMappingReader, in document: ManifestDocument) throws(ManifestError) -> MountSource {
        let type = try map["type"]?.nonEmptyString()
        if let command = map["command"] {
            if let type, type != "stdio" {
                throw map.error(atKey: "type", "server '\(map.owner.path.leafName)' has a 'command' but type '\(type)'")
            }
            return .remoteCommand(
                command: try command.nonEmptyString(),
                args: try map["args"]?.stringList(allowEmpty: true) ?? [],
                env: try map["env"].map(lenientStringMap) ?? [:],
                cwd: (try map["cwd"]?.nonEmptyString()).map(document.resolve))
        }
        if let url = map["url"] ?? map["serverUrl"] {
            let text = try url.string(satisfying: { $0.hasPrefix("http://") || $0.hasPrefix("https://") },
                                      "must start with http:// or https://")
            let sse: Bool
            switch type {
            case nil, "http", "streamable-http", "streamableHttp", "streamable_http": sse = false
            case "sse": sse = true
            case let other?:
                throw map.error(atKey: "type", "type '\(other)' is not one of http, streamable-http, sse")
            }
            return .remoteURL(url: text, headers: try map["headers"].map(lenientStringMap) ?? [:],
                              bearerTokenEnv: nil, sse: sse)
        }
        throw map.owner.error("server '\(map.owner.path.leafName)' needs a 'command' (a server to spawn) or a 'url'")
    }

    /// `env` / `headers`: strings, with numbers and booleans taken as written (`"PORT": 8080`).
    private static func lenientStringMap(_ reader: YAMLNodeReader) throws(ManifestError) -> [String: String] {
        var map: [String: String] = [:]
        for entry in try reader.anyMapping().entries {
            let value = reader.child(entry.value, key: entry.key)
            switch try value.json() {
            case .string(let text): map[entry.key] = text
            case .number(let text): map[entry.key] = text
            case .bool(let flag): map[entry.key] = flag ? "true" : "false"
            default: throw value.typeError("a string")
            }
        }
        return map
    }
}
