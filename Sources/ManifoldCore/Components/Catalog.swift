import ManifoldProtocol

/// Everything one provider offers at a moment: its components of each kind, in its order.
public struct Catalog: Sendable, Hashable {
    public var tools: [Component]
    public var resources: [Component]
    public var resourceTemplates: [Component]
    public var prompts: [Component]

    public init(tools: [Component] = [], resources: [Component] = [], resourceTemplates: [Component] = [],
                prompts: [Component] = []) {
        self.tools = tools
        self.resources = resources
        self.resourceTemplates = resourceTemplates
        self.prompts = prompts
    }

    public static let empty = Catalog()

    public subscript(kind: ComponentKind) -> [Component] {
        get {
            switch kind {
            case .tool: return tools
            case .resource: return resources
            case .resourceTemplate: return resourceTemplates
            case .prompt: return prompts
            }
        }
        set {
            switch kind {
            case .tool: tools = newValue
            case .resource: resources = newValue
            case .resourceTemplate: resourceTemplates = newValue
            case .prompt: prompts = newValue
            }
        }
    }

    public var count: Int { tools.count + resources.count + resourceTemplates.count + prompts.count }

    /// Decodes a provider's list answer: a JSON array of MCP objects of `kind`. Malformed entries
    /// are reported in `problems` and skipped, so one bad component does not hide the others.
    public static func decode(kind: ComponentKind, listJSON: some Collection<UInt8>, extraTags: [String] = [])
        -> (components: [Component], problems: [String])
    {
        let value: JSONValue
        do {
            value = try JSONValue.parse(listJSON)
        } catch {
            return ([], ["the \(kind) list is not valid JSON: \(error)"])
        }
        guard let array = value.arrayValue else { return ([], ["the \(kind) list must be a JSON array"]) }
        var components: [Component] = []
        var problems: [String] = []
        for (index, element) in array.enumerated() {
            guard let object = element.objectValue else {
                problems.append("\(kind) #\(index) is not an object")
                continue
            }
            do {
                components.append(try Component(kind: kind, listed: object, extraTags: extraTags))
            } catch {
                problems.append("\(kind) #\(index): \(error)")
            }
        }
        return (components, problems)
    }
}
