import ManifoldProtocol

/// Who the host says it is in `initialize`, and the capabilities it announces.
public struct ServerIdentity: Sendable {
    public var name: String
    public var version: String
    public var title: String?
    public var description: String?
    public var websiteUrl: String?
    public var instructions: String?

    public init(name: String, version: String, title: String? = nil, description: String? = nil,
                websiteUrl: String? = nil, instructions: String? = nil) {
        self.name = name
        self.version = version
        self.title = title
        self.description = description
        self.websiteUrl = websiteUrl
        self.instructions = instructions
    }

    /// Every capability Manifold serves: the composition may change at any time (plugins load,
    /// reload, fail), so every list announces `listChanged`.
    public static let capabilities: JSONValue = [
        "tools": ["listChanged": true],
        "resources": ["subscribe": true, "listChanged": true],
        "prompts": ["listChanged": true],
        "logging": [:],
        "completions": [:],
    ]

    /// The `initialize` result for a negotiated version.
    public func initializeResult(version: ProtocolVersion) -> JSONValue {
        var info: JSONObject = ["name": .string(name), "version": .string(self.version)]
        if let title { info["title"] = .string(title) }
        if let description { info["description"] = .string(description) }
        if let websiteUrl { info["websiteUrl"] = .string(websiteUrl) }
        var result: JSONObject = [
            "protocolVersion": .string(version.rawValue),
            "capabilities": Self.capabilities,
            "serverInfo": .object(info),
        ]
        if let instructions { result["instructions"] = .string(instructions) }
        return .object(result)
    }
}
