/// One content block of a tool result or prompt message: text, image, audio, a resource link or
/// an embedded resource (the MCP `ContentBlock` shapes).
public struct Content: Sendable, Equatable {
    /// The block as MCP JSON.
    public var json: JSON

    /// A block given as raw MCP JSON (for shapes the helpers do not cover).
    public init(json: JSON) { self.json = json }

    /// `{"type":"text","text":…}`
    public static func text(_ text: String) -> Content {
        Content(json: ["type": "text", "text": .string(text)])
    }

    /// `{"type":"image","data":<base64>,"mimeType":…}`
    public static func image(base64: String, mimeType: String) -> Content {
        Content(json: ["type": "image", "data": .string(base64), "mimeType": .string(mimeType)])
    }

    /// An image from raw bytes (encoded to base64).
    public static func image(bytes: some Sequence<UInt8>, mimeType: String) -> Content {
        image(base64: Base64.encode(bytes), mimeType: mimeType)
    }

    /// `{"type":"audio","data":<base64>,"mimeType":…}`
    public static func audio(base64: String, mimeType: String) -> Content {
        Content(json: ["type": "audio", "data": .string(base64), "mimeType": .string(mimeType)])
    }

    /// Audio from raw bytes (encoded to base64).
    public static func audio(bytes: some Sequence<UInt8>, mimeType: String) -> Content {
        audio(base64: Base64.encode(bytes), mimeType: mimeType)
    }

    /// `{"type":"resource_link","uri":…,"name":…}`: a pointer to a resource the client may read.
    public static func resourceLink(uri: String, name: String, title: String? = nil, description: String? = nil,
                                    mimeType: String? = nil) -> Content {
        var object: JSONObject = ["type": "resource_link", "uri": .string(uri), "name": .string(name)]
        if let title { object["title"] = .string(title) }
        if let description { object["description"] = .string(description) }
        if let mimeType { object["mimeType"] = .string(mimeType) }
        return Content(json: .object(object))
    }

    /// `{"type":"resource","resource":{…}}`: an embedded resource.
    public static func resource(_ contents: ResourceContents) -> Content {
        Content(json: ["type": "resource", "resource": contents.json(defaultURI: "", defaultMimeType: nil)])
    }

    /// An embedded text resource.
    public static func resource(uri: String, text: String, mimeType: String? = nil) -> Content {
        resource(.text(text, uri: uri, mimeType: mimeType))
    }

    /// An embedded binary resource (`blob` is base64).
    public static func resource(uri: String, blob: String, mimeType: String? = nil) -> Content {
        resource(.blob(base64: blob, uri: uri, mimeType: mimeType))
    }
}

/// What a tool returns: a `CallToolResult`. A string literal or interpolation is a one-block
/// text result.
///
///     return "Done: \(count) words"
///     return .image(base64: png, mimeType: "image/png")
///     return .error("'limit' must be positive")
public struct ToolResult: Sendable, Equatable, ExpressibleByStringInterpolation {
    public var content: [Content]
    /// Structured output; echoed as a JSON text block by `structured(_:)`.
    public var structuredContent: JSON?
    /// True for failures the model can act on (bad input, business errors).
    public var isError: Bool

    public init(content: [Content], structuredContent: JSON? = nil, isError: Bool = false) {
        self.content = content
        self.structuredContent = structuredContent
        self.isError = isError
    }

    public init(stringLiteral value: String) { self.init(content: [.text(value)]) }
    public init(stringInterpolation: DefaultStringInterpolation) {
        self.init(content: [.text(String(stringInterpolation: stringInterpolation))])
    }

    /// One text block.
    public static func text(_ text: String) -> ToolResult { ToolResult(content: [.text(text)]) }

    /// A failure the model should see (`isError: true`) with one text block.
    public static func error(_ message: String) -> ToolResult {
        ToolResult(content: [.text(message)], isError: true)
    }

    /// Several content blocks.
    public static func content(_ blocks: [Content]) -> ToolResult { ToolResult(content: blocks) }
    /// Several content blocks.
    public static func content(_ blocks: Content...) -> ToolResult { ToolResult(content: blocks) }

    public static func image(base64: String, mimeType: String) -> ToolResult {
        ToolResult(content: [.image(base64: base64, mimeType: mimeType)])
    }
    public static func image(bytes: some Sequence<UInt8>, mimeType: String) -> ToolResult {
        ToolResult(content: [.image(bytes: bytes, mimeType: mimeType)])
    }
    public static func audio(base64: String, mimeType: String) -> ToolResult {
        ToolResult(content: [.audio(base64: base64, mimeType: mimeType)])
    }
    public static func audio(bytes: some Sequence<UInt8>, mimeType: String) -> ToolResult {
        ToolResult(content: [.audio(bytes: bytes, mimeType: mimeType)])
    }
    public static func resourceLink(uri: String, name: String, title: String? = nil, description: String? = nil,
                                    mimeType: String? = nil) -> ToolResult {
        ToolResult(content: [.resourceLink(uri: uri, name: name, title: title, description: description, mimeType: mimeType)])
    }
    /// One embedded resource.
    public static func resource(_ contents: ResourceContents) -> ToolResult { ToolResult(content: [.resource(contents)]) }

    /// Structured content, also echoed as a JSON text block (as MCP recommends for clients that
    /// do not read `structuredContent`).
    public static func structured(_ value: JSON) -> ToolResult {
        ToolResult(content: [.text(value.description)], structuredContent: value)
    }

    /// Structured content from an `Encodable` value (encoded with the kit's order-keeping encoder).
    public static func structured<T: Encodable>(encoding value: T) throws -> ToolResult {
        structured(try JSONEncoding.encode(value))
    }

    /// The `CallToolResult` JSON.
    public var json: JSON {
        var object: JSONObject = ["content": .array(content.map(\.json))]
        if let structuredContent { object["structuredContent"] = structuredContent }
        if isError { object["isError"] = true }
        return .object(object)
    }
}

/// Hints about a tool's behaviour, for clients (MCP `ToolAnnotations`). Nil fields are omitted.
public struct ToolAnnotations: Sendable, Equatable {
    public var title: String?
    public var readOnlyHint: Bool?
    public var destructiveHint: Bool?
    public var idempotentHint: Bool?
    public var openWorldHint: Bool?

    public init(title: String? = nil, readOnly: Bool? = nil, destructive: Bool? = nil, idempotent: Bool? = nil,
                openWorld: Bool? = nil) {
        self.title = title
        readOnlyHint = readOnly
        destructiveHint = destructive
        idempotentHint = idempotent
        openWorldHint = openWorld
    }

    /// Reads only, works on a closed world (no network): the common case for pure functions.
    public static let readOnly = ToolAnnotations(readOnly: true, openWorld: false)
    /// Changes or deletes things.
    public static let destructive = ToolAnnotations(readOnly: false, destructive: true)

    var json: JSON {
        var object = JSONObject()
        if let title { object["title"] = .string(title) }
        if let readOnlyHint { object["readOnlyHint"] = .bool(readOnlyHint) }
        if let destructiveHint { object["destructiveHint"] = .bool(destructiveHint) }
        if let idempotentHint { object["idempotentHint"] = .bool(idempotentHint) }
        if let openWorldHint { object["openWorldHint"] = .bool(openWorldHint) }
        return .object(object)
    }
}

/// The contents of a resource: text or a base64 blob, with its URI and MIME type (MCP
/// `TextResourceContents` / `BlobResourceContents`). When read through a resource, a nil `uri`
/// or `mimeType` is filled from the request and the resource's declaration.
public struct ResourceContents: Sendable, Equatable {
    public var uri: String?
    public var mimeType: String?
    public var text: String?
    /// Base64.
    public var blob: String?

    public init(uri: String? = nil, mimeType: String? = nil, text: String? = nil, blob: String? = nil) {
        self.uri = uri
        self.mimeType = mimeType
        self.text = text
        self.blob = blob
    }

    public static func text(_ text: String, uri: String? = nil, mimeType: String? = nil) -> ResourceContents {
        ResourceContents(uri: uri, mimeType: mimeType, text: text)
    }

    public static func blob(base64: String, uri: String? = nil, mimeType: String? = nil) -> ResourceContents {
        ResourceContents(uri: uri, mimeType: mimeType, blob: base64)
    }

    public static func blob(bytes: some Sequence<UInt8>, uri: String? = nil, mimeType: String? = nil) -> ResourceContents {
        ResourceContents(uri: uri, mimeType: mimeType, blob: Base64.encode(bytes))
    }

    func json(defaultURI: String, defaultMimeType: String?) -> JSON {
        var object: JSONObject = ["uri": .string(uri ?? defaultURI)]
        if let type = mimeType ?? defaultMimeType { object["mimeType"] = .string(type) }
        if let blob {
            object["blob"] = .string(blob)
        } else {
            object["text"] = .string(text ?? "")
        }
        return .object(object)
    }
}

/// What a resource read returns: one or more contents. A string literal is one text content.
public struct ReadResult: Sendable, Equatable, ExpressibleByStringInterpolation {
    public var contents: [ResourceContents]

    public init(_ contents: [ResourceContents]) { self.contents = contents }
    public init(stringLiteral value: String) { contents = [.text(value)] }
    public init(stringInterpolation: DefaultStringInterpolation) {
        contents = [.text(String(stringInterpolation: stringInterpolation))]
    }

    public static func text(_ text: String, mimeType: String? = nil) -> ReadResult {
        ReadResult([.text(text, mimeType: mimeType)])
    }
    public static func blob(base64: String, mimeType: String? = nil) -> ReadResult {
        ReadResult([.blob(base64: base64, mimeType: mimeType)])
    }
    public static func blob(bytes: some Sequence<UInt8>, mimeType: String? = nil) -> ReadResult {
        ReadResult([.blob(bytes: bytes, mimeType: mimeType)])
    }
    public static func contents(_ contents: ResourceContents...) -> ReadResult { ReadResult(contents) }

    func json(uri: String, mimeType: String?) -> JSON {
        ["contents": .array(contents.map { $0.json(defaultURI: uri, defaultMimeType: mimeType) })]
    }
}

/// One message of a prompt.
public struct PromptMessage: Sendable, Equatable {
    /// Who speaks.
    public enum Role: String, Sendable { case user, assistant }
    public var role: Role
    public var content: Content

    public init(role: Role, content: Content) {
        self.role = role
        self.content = content
    }

    public static func user(_ text: String) -> PromptMessage { PromptMessage(role: .user, content: .text(text)) }
    public static func user(_ content: Content) -> PromptMessage { PromptMessage(role: .user, content: content) }
    public static func assistant(_ text: String) -> PromptMessage { PromptMessage(role: .assistant, content: .text(text)) }
    public static func assistant(_ content: Content) -> PromptMessage { PromptMessage(role: .assistant, content: content) }

    var json: JSON { ["role": .string(role.rawValue), "content": content.json] }
}

/// What a prompt returns: a `GetPromptResult`. A string literal is one user text message.
public struct PromptResult: Sendable, Equatable, ExpressibleByStringInterpolation {
    public var description: String?
    public var messages: [PromptMessage]

    public init(description: String? = nil, messages: [PromptMessage]) {
        self.description = description
        self.messages = messages
    }

    public init(stringLiteral value: String) { self.init(messages: [.user(value)]) }
    public init(stringInterpolation: DefaultStringInterpolation) {
        self.init(messages: [.user(String(stringInterpolation: stringInterpolation))])
    }

    /// These messages, in order.
    public static func messages(_ messages: PromptMessage...) -> PromptResult { PromptResult(messages: messages) }

    var json: JSON {
        var object = JSONObject()
        if let description { object["description"] = .string(description) }
        object["messages"] = .array(messages.map(\.json))
        return .object(object)
    }
}

/// A completion request for one argument of a prompt or one variable of a resource template.
public struct CompletionRequest: Sendable {
    /// The argument (or template variable) being completed.
    public var argument: String
    /// What the user typed so far.
    public var value: String
    /// Values of the other arguments already resolved (`context.arguments`).
    public var context: [String: String]
    /// The whole request params as received (`{ref, argument, context?}`).
    public var params: JSON
}

/// Suggested values for a completion request (at most 100 are sent; the kit trims and sets
/// `hasMore`).
public struct Completion: Sendable, Equatable, ExpressibleByArrayLiteral {
    public var values: [String]
    public var total: Int?
    public var hasMore: Bool?

    public init(values: [String], total: Int? = nil, hasMore: Bool? = nil) {
        self.values = values
        self.total = total
        self.hasMore = hasMore
    }

    public init(arrayLiteral elements: String...) { self.init(values: elements) }

    /// The candidates that start with `prefix` (case-insensitively), in their order.
    public static func matching(_ candidates: [String], prefix: String) -> Completion {
        let lower = prefix.lowercased()
        return Completion(values: candidates.filter { $0.lowercased().hasPrefix(lower) })
    }

    /// No suggestions.
    public static let none = Completion(values: [])

    var json: JSON {
        var values = self.values
        var hasMore = self.hasMore
        var total = self.total
        if values.count > 100 {
            total = total ?? values.count
            values = Array(values.prefix(100))
            hasMore = true
        }
        var completion: JSONObject = ["values": JSON(values)]
        if let total { completion["total"] = .int(Int64(total)) }
        if let hasMore { completion["hasMore"] = .bool(hasMore) }
        return ["completion": .object(completion)]
    }
}

/// Base64 (RFC 4648, with padding).
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The base64 text of `bytes`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)]); out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = input.count - i
        if rest == 1 {
            let n = UInt32(input[i]) << 16
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(UInt8(ascii: "=")); out.append(UInt8(ascii: "="))
        } else if rest == 2 {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)]); out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of base64 `text`, or nil if it is not base64. Whitespace is ignored.
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        var padding = 0
        for c in text.utf8 {
            let value: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(c - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(c - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
            case UInt8(ascii: "="): padding += 1; continue
            case 0x20, 0x09, 0x0A, 0x0D: continue
            default: return nil
            }
            if padding > 0 { return nil }
            buffer = buffer << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }
}
