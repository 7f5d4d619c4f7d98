import ManifoldProtocol

/// One tool, resource, resource template or prompt: its MCP definition and its tags.
///
/// `definition` is the MCP object as clients see it (a `Tool`, `Resource`, …) and `key` is its
/// name (tools, prompts) or URI / URI template (resources, templates). Tags never appear in the
/// definition: a provider may list them as a top-level `"tags"` array, which is moved here.
public struct Component: Sendable, Hashable {
    public let kind: ComponentKind
    public private(set) var definition: JSONObject
    public var tags: Set<String>

    public var key: String { definition[kind.keyField]?.stringValue ?? "" }

    /// Builds a component from a provider's listed object, validating what the host relies on.
    public init(kind: ComponentKind, listed: JSONObject, extraTags: some Sequence<String> = []) throws(ComponentError) {
        var definition = listed
        var tags = Set(extraTags)
        if let listedTags = definition["tags"] {
            guard let array = listedTags.arrayValue else { throw ComponentError("'tags' must be an array of strings") }
            for tag in array {
                guard let tag = tag.stringValue else { throw ComponentError("'tags' must be an array of strings") }
                tags.insert(tag)
            }
            definition["tags"] = nil
        }
        guard let key = definition[kind.keyField]?.stringValue, !key.isEmpty else {
            throw ComponentError("a \(kind) needs a non-empty string '\(kind.keyField)'")
        }
        if kind == .tool {
            if definition["description"] == nil { definition["description"] = .string("") }
            if let schema = definition["inputSchema"] {
                guard schema.objectValue != nil else { throw ComponentError("tool '\(key)': 'inputSchema' must be an object") }
            } else {
                definition["inputSchema"] = ["type": "object", "additionalProperties": false]
            }
        }
        self.kind = kind
        self.definition = definition
        self.tags = tags
    }

    /// Replaces the name / URI (the `key` member), keeping member order.
    public mutating func rename(to newKey: String) {
        definition[kind.keyField] = .string(newKey)
    }

    /// Sets or removes a member of the definition (e.g. an overridden description).
    public mutating func setField(_ field: String, _ value: JSONValue?) {
        precondition(field != kind.keyField, "use rename(to:) for the key")
        definition[field] = value
    }
}

/// Why a provider's component definition was refused.
public struct ComponentError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
