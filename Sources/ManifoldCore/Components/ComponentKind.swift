/// The four kinds of component a provider offers. Raw values match `manifold_kind` in the ABI.
public enum ComponentKind: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case tool = 1
    case resource = 2
    case resourceTemplate = 3
    case prompt = 4

    /// The JSON member that names a component of this kind.
    public var keyField: String {
        switch self {
        case .tool, .prompt: return "name"
        case .resource: return "uri"
        case .resourceTemplate: return "uriTemplate"
        }
    }

    /// The member of a list result that holds the array (`tools`, `resourceTemplates`, …).
    public var listField: String {
        switch self {
        case .tool: return "tools"
        case .resource: return "resources"
        case .resourceTemplate: return "resourceTemplates"
        case .prompt: return "prompts"
        }
    }

    /// Whether exposed names are `prefix + separator + name` (tools, prompts) or URIs with the
    /// prefix as the first path segment (resources, templates).
    public var isNamed: Bool { self == .tool || self == .prompt }

    public var description: String {
        switch self {
        case .tool: return "tool"
        case .resource: return "resource"
        case .resourceTemplate: return "resource template"
        case .prompt: return "prompt"
        }
    }
}
