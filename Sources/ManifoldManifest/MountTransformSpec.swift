import ManifoldProtocol

/// A mount's tool allow/deny lists as written (`tools: {allow: [...], deny: [...]}`): exact
/// names or globs (`*`, `?`), matched against the tools' own names, before renames and the
/// prefix. Deny wins over allow; no `allow` keeps every tool not denied.
public struct ToolSelectionSpec: Sendable, Hashable {
    public var allow: [String]?
    public var deny: [String]

    public init(allow: [String]? = nil, deny: [String] = []) {
        self.allow = allow
        self.deny = deny
    }

    public var isEmpty: Bool { allow == nil && deny.isEmpty }
}

/// Per-server settings of an `mcpServers` mount, from the mount's
/// `options: {servers: {<name>: {...}}}`.
///
///     - mcpServers: ~/.cursor/mcp.json
///       prefix: ext
///       options:
///         servers:
///           github: { excludeTags: [admin], tools: { deny: ["delete_*"] }, timeoutMs: 20000 }
///           slow:   { disabled: true }
public struct MCPServerOptions: Sendable, Hashable {
    public var filter: TagFilterSpec
    public var tools: ToolSelectionSpec
    /// Not started and not mounted.
    public var disabled: Bool
    /// Per-call deadline for this server (else the mount's `timeoutMs`).
    public var timeoutMs: Int?
    /// Where the server's entry is written in the host manifest.
    public var location: SourceLocation?

    public init(filter: TagFilterSpec = TagFilterSpec(), tools: ToolSelectionSpec = ToolSelectionSpec(),
                disabled: Bool = false, timeoutMs: Int? = nil, location: SourceLocation? = nil) {
        self.filter = filter
        self.tools = tools
        self.disabled = disabled
        self.timeoutMs = timeoutMs
        self.location = location
    }
}

/// Reads the per-mount transforms: `descriptions`, `fixedArguments`, `tools`, and an
/// `mcpServers` mount's `options.servers`.
enum MountTransformReader {
    static let keys = ["descriptions", "fixedArguments", "tools"]
    static let toolSelectionKeys = ["allow", "deny"]
    static let serverOptionKeys = ["includeTags", "excludeTags", "filter", "tools", "disabled", "timeoutMs"]

    /// `descriptions: {tool_or_prompt: "text"}`.
    static func descriptions(_ map: YAMLMappingReader) throws(ManifestError) -> [String: String] {
        try map["descriptions"]?.stringMap() ?? [:]
    }

    /// `fixedArguments: {tool: {argument: value, ...}}`.
    static func fixedArguments(_ map: YAMLMappingReader) throws(ManifestError) -> [String: JSONObject] {
        guard let value = map["fixedArguments"] else { return [:] }
        var fixed: [String: JSONObject] = [:]
        for entry in try value.anyMapping().entries {
            let tool = value.child(entry.value, key: entry.key)
            guard case .object(let arguments) = try tool.jsonObject() else { continue }
            guard !arguments.isEmpty else {
                throw tool.error("fixedArguments.\(entry.key) names no argument; write {argument: value}")
            }
            fixed[entry.key] = arguments
        }
        return fixed
    }

    /// `tools: {allow: [...], deny: [...]}`.
    static func toolSelection(_ map: YAMLMappingReader) throws(ManifestError) -> ToolSelectionSpec {
        guard let value = map["tools"] else { return ToolSelectionSpec() }
        let tools = try value.mapping(allowing: toolSelectionKeys)
        return ToolSelectionSpec(allow: try tools["allow"]?.stringList(allowEmpty: false),
                                 deny: try tools["deny"]?.stringList() ?? [])
    }

    /// `options.servers` of an `mcpServers` mount, checked key by key (the rest of `options`
    /// stays free-form).
    static func serverOptions(_ map: YAMLMappingReader) throws(ManifestError) -> [String: MCPServerOptions] {
        guard let options = map["options"] else { return [:] }
        let optionsMap = try options.anyMapping()
        guard let servers = optionsMap["servers"] else { return [:] }
        var result: [String: MCPServerOptions] = [:]
        for entry in try servers.anyMapping().entries {
            let reader = servers.child(entry.value, key: entry.key)
            let server = try reader.mapping(allowing: serverOptionKeys)
            result[entry.key] = MCPServerOptions(
                filter: try TagFilterReader.read(server),
                tools: try toolSelection(server),
                disabled: try server["disabled"]?.bool() ?? false,
                timeoutMs: try server["timeoutMs"]?.positiveInteger(),
                location: reader.location)
        }
        return result
    }
}
