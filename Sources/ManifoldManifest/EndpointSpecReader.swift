import ManifoldProtocol

/// Reads one entry of a host manifest's `endpoints` list into an `EndpointSpec`.
enum EndpointSpecReader {
    static let keys = ["stdio", "http", "includeTags", "excludeTags", "filter"]
    /// Keys of `http` the model has fields for; every other key is a free-form setting.
    static let httpKeys = ["listen", "path", "stateless"]

    static func read(_ reader: YAMLNodeReader) throws(ManifestError) -> EndpointSpec {
        let map = try reader.mapping(allowing: keys)
        let transport: EndpointSpec.Transport
        switch (map["stdio"], map["http"]) {
        case (nil, nil):
            throw reader.error("\(map.context) needs a transport: 'stdio' or 'http'")
        case (.some, .some):
            let second = map.keys.first { $0 == "stdio" || $0 == "http" } == "stdio" ? "http" : "stdio"
            throw map.error(atKey: second, "\(map.context) has both 'stdio' and 'http'; an endpoint has one transport")
        case (let stdio?, nil):
            try readStdio(stdio)
            transport = .stdio
        case (nil, let http?):
            transport = .http(try readHTTP(http))
        }
        return EndpointSpec(transport: transport, filter: try TagFilterReader.read(map), location: reader.location)
    }

    /// `stdio: {}` (or `stdio:` with no value): it has no settings.
    private static func readStdio(_ reader: YAMLNodeReader) throws(ManifestError) {
        if case .scalar(let scalar) = reader.node, scalar.style == .plain, YAMLScalarKind(scalar) == .null { return }
        _ = try reader.mapping(allowing: [])
    }

    private static func readHTTP(_ reader: YAMLNodeReader) throws(ManifestError) -> HTTPEndpointSpec {
        let map = try reader.anyMapping()
        let listenReader = try map.required("listen", note: " (\"host:port\", e.g. \"127.0.0.1:8080\")")
        let listen = try listenReader.string(satisfying: ManifestRules.isListenAddress,
                                             "is not an address of the form \"host:port\", e.g. \"127.0.0.1:8080\"")
        let path = try map["path"]?.string(satisfying: { $0.hasPrefix("/") }, "must start with '/'") ?? "/mcp"
        var settings = JSONObject()
        for entry in map.entries where !httpKeys.contains(entry.key) {
            settings[entry.key] = try reader.child(entry.value, key: entry.key).json()
        }
        return HTTPEndpointSpec(
            listen: listen,
            path: path,
            stateless: try map["stateless"]?.bool() ?? false,
            settings: .object(settings)
        )
    }
}
