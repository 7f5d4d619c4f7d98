/// Reads a mount's `remote`: a command line to spawn (stdio) or a URL (Streamable HTTP or SSE).
enum RemoteSourceReader {
    static let commandKeys = ["command", "args", "env", "cwd"]
    static let urlKeys = ["url", "headers", "bearerTokenEnv", "transport"]

    /// The values of `remote.transport`.
    enum Transport: String, CaseIterable {
        case streamableHTTP = "streamable-http"
        case sse
    }

    static func read(_ reader: YAMLNodeReader, in document: ManifestDocument) throws(ManifestError) -> MountSource {
        let map = try reader.mapping(allowing: commandKeys + urlKeys)
        switch (map.has("command"), map.has("url")) {
        case (false, false):
            throw reader.error("\(map.context) needs 'command' (a server to spawn) or 'url' (a server to connect to)")
        case (true, true):
            let second = map.keys.first { $0 == "command" || $0 == "url" } == "command" ? "url" : "command"
            throw map.error(atKey: second, "\(map.context) has both 'command' and 'url'; use one")
        case (true, false):
            if let stray = map.keys.first(where: urlKeys.contains) {
                throw map.error(atKey: stray, "'\(stray)' applies to a remote 'url', not a 'command'")
            }
            return .remoteCommand(
                command: try map.required("command").nonEmptyString(),
                args: try map["args"]?.stringList(allowEmpty: true) ?? [],
                env: try map["env"]?.stringMap() ?? [:],
                cwd: (try map["cwd"]?.nonEmptyString()).map(document.resolve)
            )
        case (false, true):
            if let stray = map.keys.first(where: commandKeys.contains) {
                throw map.error(atKey: stray, "'\(stray)' applies to a remote 'command', not a 'url'")
            }
            let url = try map.required("url").string(
                satisfying: { $0.hasPrefix("http://") || $0.hasPrefix("https://") },
                "must start with http:// or https://")
            let transport = try map["transport"]?.choice(Transport.self)
            return .remoteURL(
                url: url,
                headers: try map["headers"]?.stringMap() ?? [:],
                bearerTokenEnv: try map["bearerTokenEnv"]?.nonEmptyString(),
                sse: transport == .sse
            )
        }
    }
}
