import Foundation

/// Reads a mount's `remote`: a command line to spawn (stdio) or a URL (Streamable HTTP or SSE).
enum RemoteSourceReader {
    static let commandKeys = ["command", "args", "env", "cwd"]
    static let urlKeys = ["url", "headers", "bearerTokenEnv", "transport", "tls"]
    static let tlsKeys = ["caFile", "certificate", "key"]

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
            var tls: RemoteTLS?
            if let node = map["tls"] {
                guard url.lowercased().hasPrefix("https://") else {
                    throw map.error(atKey: "tls", "'tls' applies to an https:// url; '\(url)' is plain http")
                }
                tls = try readTLS(node, in: document)
            }
            return .remoteURL(
                url: url,
                headers: try map["headers"]?.stringMap() ?? [:],
                bearerTokenEnv: try map["bearerTokenEnv"]?.nonEmptyString(),
                sse: transport == .sse,
                tls: tls
            )
        }
    }

    /// `tls: {caFile, certificate, key}`: file names, resolved against the manifest's folder and
    /// checked to be readable; `certificate` and `key` come together. Their contents are read
    /// when the transport connects (a bad PEM fails that mount, named, and nothing else).
    private static func readTLS(_ reader: YAMLNodeReader, in document: ManifestDocument) throws(ManifestError) -> RemoteTLS {
        let map = try reader.mapping(allowing: tlsKeys)
        let path = { (key: String) throws(ManifestError) -> String? in
            guard let name = try map[key]?.nonEmptyString() else { return nil }
            let resolved = document.resolve(name)
            guard FileManager.default.isReadableFile(atPath: resolved) else {
                throw map.error(atKey: key, "'\(key)': \(resolved) does not exist or cannot be read")
            }
            return resolved
        }
        let tls = RemoteTLS(caFile: try path("caFile"), certificate: try path("certificate"), key: try path("key"))
        switch (tls.certificate, tls.key) {
        case (nil, _?): throw map.error(atKey: "key", "'key' needs 'certificate' (the client certificate it belongs to)")
        case (_?, nil): throw map.error(atKey: "certificate", "'certificate' needs 'key' (its private key)")
        default: break
        }
        if tls.caFile == nil && tls.certificate == nil {
            throw reader.error("\(map.context) needs 'caFile' or 'certificate' and 'key' (an empty tls changes nothing)")
        }
        return tls
    }
}
