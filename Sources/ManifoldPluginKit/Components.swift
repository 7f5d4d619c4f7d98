/// Something a plugin offers: a `Tool`, `Resource`, `ResourceTemplate` or `Prompt`.
public protocol PluginComponent: Sendable {
    /// The component in the kit's uniform wrapper.
    var component: Component { get }
}

/// Any component (what a `Plugin` stores).
public struct Component: PluginComponent {
    enum Storage: Sendable {
        case tool(Tool)
        case resource(Resource)
        case template(ResourceTemplate)
        case prompt(Prompt)
    }

    let storage: Storage
    public var component: Component { self }

    /// The kind of component.
    public var kind: ComponentKind {
        switch storage {
        case .tool: return .tool
        case .resource: return .resource
        case .template: return .resourceTemplate
        case .prompt: return .prompt
        }
    }

    /// Its name within its kind: tool or prompt name, resource URI, URI template.
    public var name: String {
        switch storage {
        case .tool(let t): return t.name
        case .resource(let r): return r.uri
        case .template(let t): return t.uriTemplate
        case .prompt(let p): return p.name
        }
    }
}

/// The kinds of listed components, as the ABI numbers them.
public enum ComponentKind: Int32, Sendable, CaseIterable {
    case tool = 1
    case resource = 2
    case resourceTemplate = 3
    case prompt = 4
}

/// Builds a plugin's component list: one component per line, with `if`, `for` and arrays.
@resultBuilder
public enum PluginBuilder {
    public static func buildExpression(_ component: some PluginComponent) -> [Component] { [component.component] }
    public static func buildExpression(_ components: [any PluginComponent]) -> [Component] { components.map(\.component) }
    public static func buildExpression<C: PluginComponent>(_ components: [C]) -> [Component] { components.map(\.component) }
    public static func buildBlock(_ parts: [Component]...) -> [Component] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Component]?) -> [Component] { part ?? [] }
    public static func buildEither(first part: [Component]) -> [Component] { part }
    public static func buildEither(second part: [Component]) -> [Component] { part }
    public static func buildArray(_ parts: [[Component]]) -> [Component] { parts.flatMap { $0 } }
}

// MARK: - Tool

/// A tool. Its `inputSchema` is generated from the handler's argument type; invalid arguments
/// never reach the handler but complete with an `isError` result that names the field; an error
/// the handler throws becomes an `isError` result with the error's description.
///
///     struct Args: Decodable { var text: String }
///     Tool("upper", description: "Uppercases text.", tags: ["public"]) { (args: Args, _) in
///         .text(args.text.uppercased())
///     }
public struct Tool: PluginComponent {
    public let name: String
    public var title: String?
    public var description: String
    public var tags: [String]
    public var annotations: ToolAnnotations?
    /// Passed through as the tool's `_meta`.
    public var meta: JSON?
    let inputSchema: Result<JSON, SchemaError>
    let outputSchema: Result<JSON, SchemaError>?
    let invoke: @Sendable (JSON, CallContext) throws -> ToolResult

    public var component: Component { Component(storage: .tool(self)) }

    init(name: String, title: String?, description: String, tags: [String], annotations: ToolAnnotations?,
         inputSchema: Result<JSON, SchemaError>, outputSchema: Result<JSON, SchemaError>?,
         invoke: @escaping @Sendable (JSON, CallContext) throws -> ToolResult) {
        self.name = name
        self.title = title
        self.description = description
        self.tags = tags
        self.annotations = annotations
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
        self.invoke = invoke
    }

    /// A tool whose arguments decode into `Args`. `inputSchema` overrides the generated schema
    /// (use it with `Args == JSON` to take the raw arguments object).
    public init<Args: Decodable & SendableMetatype>(
        _ name: String, title: String? = nil, description: String, tags: [String] = [],
        annotations: ToolAnnotations? = nil, inputSchema: JSON? = nil,
        _ handler: @escaping @Sendable (Args, CallContext) throws -> ToolResult
    ) {
        self.init(name: name, title: title, description: description, tags: tags, annotations: annotations,
                  inputSchema: Tool.schema(Args.self, given: inputSchema), outputSchema: nil,
                  invoke: Tool.decoding(name, handler))
    }

    /// A tool without arguments (`{"type":"object","additionalProperties":false}`); any
    /// argument sent to it is rejected.
    public init(
        _ name: String, title: String? = nil, description: String, tags: [String] = [],
        annotations: ToolAnnotations? = nil,
        _ handler: @escaping @Sendable (CallContext) throws -> ToolResult
    ) {
        self.init(name: name, title: title, description: description, tags: tags, annotations: annotations,
                  inputSchema: .success(Tool.noArguments), outputSchema: nil,
                  invoke: Tool.decoding(name) { (_: NoArguments, context) in try handler(context) })
    }

    /// A tool with structured output: `outputSchema` is generated from `Output`, and the result
    /// carries `structuredContent` plus the same JSON as a text block.
    public init<Args: Decodable & SendableMetatype, Output: Codable & SendableMetatype>(
        _ name: String, title: String? = nil, description: String, tags: [String] = [],
        annotations: ToolAnnotations? = nil, inputSchema: JSON? = nil, returning output: Output.Type,
        _ handler: @escaping @Sendable (Args, CallContext) throws -> Output
    ) {
        self.init(name: name, title: title, description: description, tags: tags, annotations: annotations,
                  inputSchema: Tool.schema(Args.self, given: inputSchema),
                  outputSchema: Result { () throws(SchemaError) -> JSON in try SchemaGenerator.objectSchema(for: Output.self) },
                  invoke: Tool.decoding(name) { (args: Args, context) in try .structured(encoding: handler(args, context)) })
    }

    /// A tool without arguments, with structured output.
    public init<Output: Codable & SendableMetatype>(
        _ name: String, title: String? = nil, description: String, tags: [String] = [],
        annotations: ToolAnnotations? = nil, returning output: Output.Type,
        _ handler: @escaping @Sendable (CallContext) throws -> Output
    ) {
        self.init(name: name, title: title, description: description, tags: tags, annotations: annotations,
                  inputSchema: .success(Tool.noArguments),
                  outputSchema: Result { () throws(SchemaError) -> JSON in try SchemaGenerator.objectSchema(for: Output.self) },
                  invoke: Tool.decoding(name) { (_: NoArguments, context) in try .structured(encoding: handler(context)) })
    }

    static let noArguments: JSON = ["type": "object", "additionalProperties": false]

    static func schema<Args: Decodable & SendableMetatype>(_ type: Args.Type, given: JSON?) -> Result<JSON, SchemaError> {
        if let given { return .success(given) }
        if Args.self == JSON.self { return .success(["type": "object"]) }
        return Result { () throws(SchemaError) -> JSON in try SchemaGenerator.objectSchema(for: Args.self) }
    }

    static func decoding<Args: Decodable & SendableMetatype>(
        _ name: String, _ handler: @escaping @Sendable (Args, CallContext) throws -> ToolResult
    ) -> @Sendable (JSON, CallContext) throws -> ToolResult {
        return { arguments, context in
            let decoded: Args
            do {
                decoded = try ArgumentDecoding.decode(Args.self, from: arguments)
            } catch {
                return .error("Input validation error: Invalid arguments for tool \(name): \(error)")
            }
            return try handler(decoded, context)
        }
    }

    var listJSON: JSON {
        var object: JSONObject = ["name": .string(name)]
        if let title { object["title"] = .string(title) }
        object["description"] = .string(description)
        object["inputSchema"] = (try? inputSchema.get()) ?? Tool.noArguments
        if let outputSchema, let schema = try? outputSchema.get() { object["outputSchema"] = schema }
        if let annotations { object["annotations"] = annotations.json }
        if let meta { object["_meta"] = meta }
        object["tags"] = JSON(tags)
        return .object(object)
    }
}

/// The arguments of a tool that takes none.
struct NoArguments: Decodable {}

// MARK: - Resources

/// A resource at a fixed URI, with fixed contents or contents produced on each read.
///
///     Resource("text://about", name: "about", description: "What this is.", mimeType: "text/plain",
///              text: "Manifold text tools")
public struct Resource: PluginComponent {
    public let uri: String
    public var name: String
    public var title: String?
    public var description: String
    public var mimeType: String?
    public var tags: [String]
    /// Passed through as the resource's `_meta`.
    public var meta: JSON?
    let read: @Sendable (CallContext) throws -> ReadResult

    public var component: Component { Component(storage: .resource(self)) }

    /// A resource whose contents `read` produces on each read.
    public init(_ uri: String, name: String, title: String? = nil, description: String, mimeType: String? = nil,
                tags: [String] = [], _ read: @escaping @Sendable (CallContext) throws -> ReadResult) {
        self.uri = uri
        self.name = name
        self.title = title
        self.description = description
        self.mimeType = mimeType
        self.tags = tags
        self.read = read
    }

    /// A resource with fixed text.
    public init(_ uri: String, name: String, title: String? = nil, description: String, mimeType: String? = nil,
                tags: [String] = [], text: String) {
        self.init(uri, name: name, title: title, description: description, mimeType: mimeType, tags: tags) { _ in
            .text(text)
        }
    }

    /// A resource with fixed binary contents (`blob` is base64).
    public init(_ uri: String, name: String, title: String? = nil, description: String, mimeType: String? = nil,
                tags: [String] = [], blob: String) {
        self.init(uri, name: name, title: title, description: description, mimeType: mimeType, tags: tags) { _ in
            .blob(base64: blob)
        }
    }

    var listJSON: JSON {
        var object: JSONObject = ["uri": .string(uri), "name": .string(name)]
        if let title { object["title"] = .string(title) }
        object["description"] = .string(description)
        if let mimeType { object["mimeType"] = .string(mimeType) }
        if let meta { object["_meta"] = meta }
        object["tags"] = JSON(tags)
        return .object(object)
    }
}

/// A concrete read of a templated resource: the URI and the template's variables taken from it
/// (percent-decoded).
public struct ResourceRequest: Sendable {
    public let uri: String
    public let variables: [String: String]

    /// The variable `name` ("" if the template has no such variable).
    public subscript(_ name: String) -> String { variables[name] ?? "" }
}

/// A family of resources described by an RFC 6570 URI template (`{var}` simple expansion and
/// `{+var}` reserved expansion). Reads of URIs that match it arrive with the variables extracted.
///
///     ResourceTemplate("text://upper/{word}", name: "upper", description: "A word, uppercased.") { request, _ in
///         .text(request["word"].uppercased())
///     }
public struct ResourceTemplate: PluginComponent {
    public let uriTemplate: String
    public var name: String
    public var title: String?
    public var description: String
    public var mimeType: String?
    public var tags: [String]
    /// Passed through as the template's `_meta`.
    public var meta: JSON?
    let template: Result<URITemplate, SchemaError>
    let read: @Sendable (ResourceRequest, CallContext) throws -> ReadResult
    let complete: (@Sendable (CompletionRequest, CallContext) throws -> Completion)?

    public var component: Component { Component(storage: .template(self)) }

    /// A template; `complete` suggests values for its variables (`completion/complete` with a
    /// `ref/resource` reference).
    public init(_ uriTemplate: String, name: String, title: String? = nil, description: String,
                mimeType: String? = nil, tags: [String] = [],
                complete: (@Sendable (CompletionRequest, CallContext) throws -> Completion)? = nil,
                _ read: @escaping @Sendable (ResourceRequest, CallContext) throws -> ReadResult) {
        self.uriTemplate = uriTemplate
        self.name = name
        self.title = title
        self.description = description
        self.mimeType = mimeType
        self.tags = tags
        self.template = Result { () throws(SchemaError) -> URITemplate in try URITemplate(uriTemplate) }
        self.read = read
        self.complete = complete
    }

    var listJSON: JSON {
        var object: JSONObject = ["uriTemplate": .string(uriTemplate), "name": .string(name)]
        if let title { object["title"] = .string(title) }
        object["description"] = .string(description)
        if let mimeType { object["mimeType"] = .string(mimeType) }
        if let meta { object["_meta"] = meta }
        object["tags"] = JSON(tags)
        return .object(object)
    }
}

/// A parsed RFC 6570 template limited to `{var}` and `{+var}` expressions, matchable against
/// concrete URIs.
public struct URITemplate: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        case literal([UInt8])
        case variable(String, reserved: Bool)
    }

    let parts: [Part]

    /// The variable names in order.
    public var variables: [String] {
        parts.compactMap { if case .variable(let name, _) = $0 { return name }; return nil }
    }

    public init(_ template: String) throws(SchemaError) {
        var parts: [Part] = []
        var literal: [UInt8] = []
        var bytes = Array(template.utf8)[...]
        while let c = bytes.first {
            bytes = bytes.dropFirst()
            if c == UInt8(ascii: "}") { throw SchemaError(message: "URI template '\(template)': unmatched '}'") }
            guard c == UInt8(ascii: "{") else { literal.append(c); continue }
            guard let close = bytes.firstIndex(of: UInt8(ascii: "}")) else {
                throw SchemaError(message: "URI template '\(template)': unclosed '{'")
            }
            let raw = String(decoding: bytes[..<close], as: UTF8.self)
            var expression = bytes[..<close]
            bytes = bytes[(close + 1)...]
            var reserved = false
            if expression.first == UInt8(ascii: "+") { reserved = true; expression = expression.dropFirst() }
            let name = String(decoding: expression, as: UTF8.self)
            let valid = !name.isEmpty && name.utf8.allSatisfy { b in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: ".")
                    || b == UInt8(ascii: "%")
            }
            guard valid else {
                throw SchemaError(message: "URI template '\(template)': '{\(raw)}' is not supported (only {name} and {+name})")
            }
            if !literal.isEmpty { parts.append(.literal(literal)); literal = [] }
            if case .variable = parts.last {
                throw SchemaError(message: "URI template '\(template)': two variables need a literal between them")
            }
            parts.append(.variable(name, reserved: reserved))
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    /// The variables if `uri` matches the template (values percent-decoded), else nil.
    public func match(_ uri: String) -> [String: String]? {
        let bytes = Array(uri.utf8)
        var variables: [String: String] = [:]
        return match(parts[...], bytes, 0, &variables) ? variables : nil
    }

    private func match(_ parts: ArraySlice<Part>, _ uri: [UInt8], _ start: Int, _ variables: inout [String: String]) -> Bool {
        guard let part = parts.first else { return start == uri.count }
        switch part {
        case .literal(let literal):
            guard uri.count - start >= literal.count, uri[start..<(start + literal.count)].elementsEqual(literal) else {
                return false
            }
            return match(parts.dropFirst(), uri, start + literal.count, &variables)
        case .variable(let name, let reserved):
            var end = start
            while end < uri.count {
                let c = uri[end]
                if !reserved, c == UInt8(ascii: "/") || c == UInt8(ascii: "?") || c == UInt8(ascii: "#") { break }
                end += 1
                if match(parts.dropFirst(), uri, end, &variables) {
                    variables[name] = URITemplate.percentDecode(uri[start..<end])
                    return true
                }
            }
            return false
        }
    }

    /// Expands the template with `values` (simple expansion percent-encodes reserved characters).
    public func expand(_ values: [String: String]) -> String {
        var out: [UInt8] = []
        for part in parts {
            switch part {
            case .literal(let literal): out.append(contentsOf: literal)
            case .variable(let name, let reserved):
                for b in (values[name] ?? "").utf8 {
                    let unreserved = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
                        || b == UInt8(ascii: "_") || b == UInt8(ascii: "~")
                    let reservedChar = reserved && b < 0x80 && ":/?#[]@!$&'()*+,;=".utf8.contains(b)
                    if unreserved || reservedChar {
                        out.append(b)
                    } else {
                        let hex = Array("0123456789ABCDEF".utf8)
                        out.append(contentsOf: [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]])
                    }
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func percentDecode(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        var i = bytes.startIndex
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        while i < bytes.endIndex {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.endIndex, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

// MARK: - Prompts

/// One argument of a prompt.
public struct PromptArgument: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var required: Bool

    public init(_ name: String, description: String? = nil, required: Bool = false) {
        self.name = name
        self.description = description
        self.required = required
    }

    var json: JSON {
        var object: JSONObject = ["name": .string(name)]
        if let description { object["description"] = .string(description) }
        object["required"] = .bool(required)
        return .object(object)
    }
}

/// A prompt template. The handler receives the arguments as strings (required ones are checked
/// before it runs: a missing one fails the request with invalid params).
///
///     Prompt("summarize", description: "Summarize a text.",
///            arguments: [.init("text", required: true), .init("style")]) { args, _ in
///         "Summarize this text in a \(args["style"] ?? "brief") style:\n\n\(args["text"]!)"
///     }
public struct Prompt: PluginComponent {
    public let name: String
    public var title: String?
    public var description: String
    public var arguments: [PromptArgument]
    public var tags: [String]
    /// Passed through as the prompt's `_meta`.
    public var meta: JSON?
    let handler: @Sendable ([String: String], CallContext) throws -> PromptResult
    let complete: (@Sendable (CompletionRequest, CallContext) throws -> Completion)?

    public var component: Component { Component(storage: .prompt(self)) }

    /// A prompt; `complete` suggests values for its arguments (`completion/complete` with a
    /// `ref/prompt` reference).
    public init(_ name: String, title: String? = nil, description: String, arguments: [PromptArgument] = [],
                tags: [String] = [],
                complete: (@Sendable (CompletionRequest, CallContext) throws -> Completion)? = nil,
                _ handler: @escaping @Sendable ([String: String], CallContext) throws -> PromptResult) {
        self.name = name
        self.title = title
        self.description = description
        self.arguments = arguments
        self.tags = tags
        self.handler = handler
        self.complete = complete
    }

    var listJSON: JSON {
        var object: JSONObject = ["name": .string(name)]
        if let title { object["title"] = .string(title) }
        object["description"] = .string(description)
        if !arguments.isEmpty { object["arguments"] = .array(arguments.map(\.json)) }
        if let meta { object["_meta"] = meta }
        object["tags"] = JSON(tags)
        return .object(object)
    }
}
