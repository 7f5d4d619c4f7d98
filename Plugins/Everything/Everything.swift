import ManifoldPluginKit

// Everything: the MCP conformance surface, mirroring the conformance suite's reference server
// (modelcontextprotocol/conformance, examples/servers/typescript/everything-server.ts): the same
// names, descriptions, texts, payloads, steps and delays.
//
// Not reproduced (they need what the plugin ABI does not carry):
//  - test_elicitation_sep1036_error: answers with a JSON-RPC error -32042 carrying `data`;
//  - test_elicitation_sep1036_complete: sends notifications/elicitation/complete;
//  - resources/subscribe, logging/setLevel logs: those are the host's, not a plugin's.

/// 1×1 red PNG.
let testImageBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
/// Minimal WAV file.
let testAudioBase64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="
let watchedResourceContent = "Watched resource content"

/// SEP-1613: raw JSON Schema 2020-12 with $schema, $defs and additionalProperties, listed as is.
let jsonSchema202012InputSchema: JSON = [
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": [
        "address": [
            "type": "object",
            "properties": ["street": ["type": "string"], "city": ["type": "string"]],
        ],
    ],
    "properties": ["name": ["type": "string"], "address": ["$ref": "#/$defs/address"]],
    "additionalProperties": false,
]

struct SamplingArgs: Decodable, FieldDescribing {
    var prompt: String
    static let fieldDescriptions = ["prompt": "The prompt to send to the LLM"]
}

struct ElicitationArgs: Decodable, FieldDescribing {
    var message: String
    static let fieldDescriptions = ["message": "The message to show the user"]
}

struct SchemaToolArgs: Codable {
    struct Address: Codable {
        var street: String?
        var city: String?
    }
    var name: String?
    var address: Address?
}

/// How JavaScript's template literals print a value (`${value}`): strings raw, undefined for
/// absent values, JSON-ish otherwise.
func jsText(_ value: JSON?) -> String {
    guard let value else { return "undefined" }
    switch value {
    case .string(let s): return s
    case .object: return "[object Object]"
    case .array(let elements): return elements.map { jsText($0) }.joined(separator: ",")
    default: return value.description
    }
}

/// `JSON.stringify(value || {})`.
func stringifyOrEmpty(_ value: JSON?) -> String {
    guard let value, value.isTruthy else { return "{}" }
    return value.description
}

/// A random RFC 4122 version-4 UUID, lowercase, like `crypto.randomUUID()`.
func randomUUID() -> String {
    var generator = SystemRandomNumberGenerator()
    var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
    bytes[6] = bytes[6] & 0x0F | 0x40
    bytes[8] = bytes[8] & 0x3F | 0x80
    let hex = bytes.map { b in String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16) }
    return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
}

/// Sends an elicitation request and formats the reference's answer.
func elicit(_ context: CallContext, params: JSON, success: (JSON) -> String, failurePrefix: String) throws -> ToolResult {
    do {
        let result = try context.request(method: "elicitation/create", params: params)
        return .text(success(result))
    } catch let error as CancellationError {
        throw error
    } catch {
        return .text("\(failurePrefix)\(error)")
    }
}

/// The reference answers every completion request with no values.
let noCompletions: @Sendable (CompletionRequest, CallContext) throws -> Completion = { _, _ in
    Completion(values: [], total: 0, hasMore: false)
}

enum Everything {
    static let plugin = Plugin(id: "everything", version: "1.0.0", onInit: { instance in
        // The reference describes test://watched-resource as updating every 3 seconds but sends
        // no updates; a host test can ask for them with config `watchedResourceIntervalMs`.
        if let interval = instance.config["watchedResourceIntervalMs"]?.intValue, interval > 0 {
            instance.every(milliseconds: Int(interval)) { instance in
                instance.notifyResourceUpdated("test://watched-resource")
            }
        }
    }) {
        // ===== TOOLS =====

        Tool("test_simple_text", description: "Tests simple text content response") { _ in
            .text("This is a simple text response for testing.")
        }

        Tool("test_image_content", description: "Tests image content response") { _ in
            .image(base64: testImageBase64, mimeType: "image/png")
        }

        Tool("test_audio_content", description: "Tests audio content response") { _ in
            .audio(base64: testAudioBase64, mimeType: "audio/wav")
        }

        Tool("test_embedded_resource", description: "Tests embedded resource content response") { _ in
            .resource(.text("This is an embedded resource content.", uri: "test://embedded-resource", mimeType: "text/plain"))
        }

        Tool("test_multiple_content_types",
             description: "Tests response with multiple content types (text, image, resource)") { _ in
            .content(
                .text("Multiple content types test:"),
                .image(base64: testImageBase64, mimeType: "image/png"),
                .resource(uri: "test://mixed-content-resource", text: #"{"test":"data","value":123}"#,
                          mimeType: "application/json")
            )
        }

        Tool("test_tool_with_logging", description: "Tests tool that emits log messages during execution") { context in
            context.log(.info, "Tool execution started")
            try context.sleep(milliseconds: 50)
            context.log(.info, "Tool processing data")
            try context.sleep(milliseconds: 50)
            context.log(.info, "Tool execution completed")
            return .text("Tool with logging executed successfully")
        }

        Tool("test_tool_with_progress", description: "Tests tool that reports progress notifications") { context in
            context.progress(0, total: 100, message: "Completed step 0 of 100")
            try context.sleep(milliseconds: 50)
            context.progress(50, total: 100, message: "Completed step 50 of 100")
            try context.sleep(milliseconds: 50)
            context.progress(100, total: 100, message: "Completed step 100 of 100")
            // As the reference: String(_meta?.progressToken ?? 0).
            switch context.meta["progressToken"] {
            case .string(let token)?: return .text(token)
            case let token? where token != .null: return .text(token.description)
            default: return .text("0")
            }
        }

        Tool("test_error_handling", description: "Tests error response handling") { _ in
            throw ToolError("This tool intentionally returns an error for testing")
        }

        Tool("test_sampling", description: "Tests server-initiated sampling (LLM completion request)") {
            (args: SamplingArgs, context) in
            do {
                let result = try context.request(method: "sampling/createMessage", params: [
                    "messages": [["role": "user", "content": ["type": "text", "text": .string(args.prompt)]]],
                    "maxTokens": 100,
                ])
                let response: String
                if let text = result["content"]?["text"], text.isTruthy {
                    response = jsText(text)
                } else if let text = result["message"]?["content"]?["text"], text.isTruthy {
                    response = jsText(text)
                } else {
                    response = "No response"
                }
                return .text("LLM response: \(response)")
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                return .text("Sampling not supported or error: \(error)")
            }
        }

        Tool("test_elicitation", description: "Tests server-initiated elicitation (user input request)") {
            (args: ElicitationArgs, context) in
            try elicit(context, params: [
                "mode": "form",
                "message": .string(args.message),
                "requestedSchema": [
                    "type": "object",
                    "properties": ["response": ["type": "string", "description": "User's response"]],
                    "required": ["response"],
                ],
            ], success: { result in
                "User response: action=\(jsText(result["action"])), content=\(stringifyOrEmpty(result["content"]))"
            }, failurePrefix: "Elicitation not supported or error: ")
        }

        Tool("test_elicitation_sep1034_defaults", description: "Tests elicitation with default values per SEP-1034") {
            context in
            try elicit(context, params: [
                "mode": "form",
                "message": "Please review and update the form fields with defaults",
                "requestedSchema": [
                    "type": "object",
                    "properties": [
                        "name": ["type": "string", "description": "User name", "default": "John Doe"],
                        "age": ["type": "integer", "description": "User age", "default": 30],
                        "score": ["type": "number", "description": "User score", "default": 95.5],
                        "status": [
                            "type": "string", "description": "User status",
                            "enum": ["active", "inactive", "pending"], "default": "active",
                        ],
                        "verified": ["type": "boolean", "description": "Verification status", "default": true],
                    ],
                    "required": [],
                ],
            ], success: { result in
                "Elicitation completed: action=\(jsText(result["action"])), content=\(stringifyOrEmpty(result["content"]))"
            }, failurePrefix: "Elicitation not supported or error: ")
        }

        Tool("test_elicitation_sep1330_enums",
             description: "Tests elicitation with enum schema improvements per SEP-1330") { context in
            try elicit(context, params: [
                "mode": "form",
                "message": "Please select options from the enum fields",
                "requestedSchema": [
                    "type": "object",
                    "properties": [
                        "untitledSingle": [
                            "type": "string", "description": "Select one option",
                            "enum": ["option1", "option2", "option3"],
                        ],
                        "titledSingle": [
                            "type": "string", "description": "Select one option with titles",
                            "oneOf": [
                                ["const": "value1", "title": "First Option"],
                                ["const": "value2", "title": "Second Option"],
                                ["const": "value3", "title": "Third Option"],
                            ],
                        ],
                        "legacyEnum": [
                            "type": "string", "description": "Select one option (legacy)",
                            "enum": ["opt1", "opt2", "opt3"],
                            "enumNames": ["Option One", "Option Two", "Option Three"],
                        ],
                        "untitledMulti": [
                            "type": "array", "description": "Select multiple options", "minItems": 1, "maxItems": 3,
                            "items": ["type": "string", "enum": ["option1", "option2", "option3"]],
                        ],
                        "titledMulti": [
                            "type": "array", "description": "Select multiple options with titles",
                            "minItems": 1, "maxItems": 3,
                            "items": [
                                "anyOf": [
                                    ["const": "value1", "title": "First Choice"],
                                    ["const": "value2", "title": "Second Choice"],
                                    ["const": "value3", "title": "Third Choice"],
                                ],
                            ],
                        ],
                    ],
                    "required": [],
                ],
            ], success: { result in
                "Elicitation completed: action=\(jsText(result["action"])), content=\(stringifyOrEmpty(result["content"]))"
            }, failurePrefix: "Elicitation not supported or error: ")
        }

        Tool("test_elicitation_sep1036_url", description: "Tests URL mode elicitation per SEP-1036") { context in
            try elicit(context, params: [
                "mode": "url",
                "message": "Please complete authorization to continue",
                "url": "https://mcp.example.com/authorize",
                "elicitationId": .string("sep1036-test-\(randomUUID())"),
            ], success: { result in
                "URL elicitation completed: action=\(jsText(result["action"]))"
            }, failurePrefix: "URL elicitation not supported or error: ")
        }

        Tool("json_schema_2020_12_tool",
             description: "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)",
             inputSchema: jsonSchema202012InputSchema) { (args: SchemaToolArgs, _) in
            .text("JSON Schema 2020-12 tool called with: \(try JSONEncoding.encode(args))")
        }

        // ===== RESOURCES =====

        Resource("test://static-text", name: "static-text", title: "Static Text Resource",
                 description: "A static text resource for testing", mimeType: "text/plain",
                 text: "This is the content of the static text resource.")

        Resource("test://static-binary", name: "static-binary", title: "Static Binary Resource",
                 description: "A static binary resource (image) for testing", mimeType: "image/png",
                 blob: testImageBase64)

        ResourceTemplate("test://template/{id}/data", name: "template", title: "Resource Template",
                         description: "A resource template with parameter substitution",
                         mimeType: "application/json", complete: noCompletions) { request, _ in
            let id = request["id"]
            let body: JSON = ["id": .string(id), "templateTest": true, "data": .string("Data for ID: \(id)")]
            return .text(body.description, mimeType: "application/json")
        }

        Resource("test://watched-resource", name: "watched-resource", title: "Watched Resource",
                 description: "A resource that auto-updates every 3 seconds", mimeType: "text/plain",
                 text: watchedResourceContent)

        // ===== PROMPTS =====

        Prompt("test_simple_prompt", title: "Simple Test Prompt", description: "A simple prompt without arguments",
               complete: noCompletions) { _, _ in
            .messages(.user("This is a simple prompt for testing."))
        }

        Prompt("test_prompt_with_arguments", title: "Prompt With Arguments",
               description: "A prompt with required arguments",
               arguments: [
                   PromptArgument("arg1", description: "First test argument", required: true),
                   PromptArgument("arg2", description: "Second test argument", required: true),
               ],
               complete: noCompletions) { args, _ in
            .messages(.user("Prompt with arguments: arg1='\(args["arg1"] ?? "")', arg2='\(args["arg2"] ?? "")'"))
        }

        Prompt("test_prompt_with_embedded_resource", title: "Prompt With Embedded Resource",
               description: "A prompt that includes an embedded resource",
               arguments: [PromptArgument("resourceUri", description: "URI of the resource to embed", required: true)],
               complete: noCompletions) { args, _ in
            .messages(
                .user(.resource(uri: args["resourceUri"] ?? "", text: "Embedded resource content for testing.",
                                mimeType: "text/plain")),
                .user("Please process the embedded resource above.")
            )
        }

        Prompt("test_prompt_with_image", title: "Prompt With Image", description: "A prompt that includes image content",
               complete: noCompletions) { _, _ in
            .messages(
                .user(.image(base64: testImageBase64, mimeType: "image/png")),
                .user("Please analyze the image above.")
            )
        }
    }
}

@_cdecl("manifold_plugin_entry_v1")
public func manifold_plugin_entry_v1(_ host: UnsafePointer<manifold_host_api_v1>?) -> UnsafePointer<manifold_plugin_v1>? {
    Everything.plugin.export(host)
}
