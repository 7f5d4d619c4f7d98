import ManifoldProtocol

// The MCP Tool object of an ffi function: inputSchema from the parameters a client passes
// (types, integer ranges as minimum/maximum, descriptions, defaults, required), outputSchema
// from what the call reports (result, out-parameters, errno).

extension FFIFunctionSpec {
    /// The Tool definition (name, title, description, inputSchema, outputSchema, annotations).
    public func toolDefinition() -> JSONObject {
        var tool: JSONObject = ["name": .string(name)]
        if let title { tool["title"] = .string(title) }
        tool["description"] = .string(description)
        tool["inputSchema"] = .object(inputSchema())
        if let output = outputSchema() { tool["outputSchema"] = .object(output) }
        if let annotations { tool["annotations"] = .object(annotations) }
        if !tags.isEmpty { tool["tags"] = .array(tags.map { .string($0) }) }
        return tool
    }

    /// Whether a client passes parameter `index` (not fixed, not an output, not a capacity).
    func isClientParameter(_ index: Int) -> Bool {
        let param = params[index]
        guard param.fixed == nil, param.kind.isInput else { return false }
        if case .length(_, let target) = param.kind { return params[target].kind.isInBuffer }
        return true
    }

    public func inputSchema() -> JSONObject {
        var properties = JSONObject()
        var required: [JSONValue] = []
        for (i, param) in params.enumerated() where isClientParameter(i) {
            var property = JSONObject()
            var note: String?
            switch param.kind {
            case .scalar(let scalar) where scalar.isInteger:
                let range = param.integerRange ?? scalar.integerRange
                property["type"] = "integer"
                property["minimum"] = .number(String(range.lowerBound))
                property["maximum"] = .number(String(range.upperBound))
            case .length(let scalar, let target):
                property["type"] = "integer"
                property["minimum"] = 0
                property["maximum"] = .number(String(scalar.integerRange.upperBound))
                note = "Byte length of '\(params[target].name)'. Optional: the decoded length is passed; when given, it must match."
            case .scalar(let scalar) where scalar.isFloat:
                property["type"] = "number"
                if scalar == .f32 {
                    property["minimum"] = .number("-3.4028234663852886e+38")
                    property["maximum"] = .number("3.4028234663852886e+38")
                }
            case .scalar:
                property["type"] = "boolean"
            case .cstring(let nullable):
                property["type"] = nullable ? ["string", "null"] : "string"
            case .buffer(let nullable):
                property["type"] = nullable ? ["string", "null"] : "string"
                property["contentEncoding"] = "base64"
            default:
                continue
            }
            if let description = param.description ?? note {
                property["description"] = .string(description)
            }
            if let value = param.defaultValue {
                property["default"] = value.json
            } else if case .length = param.kind {
                // optional
            } else {
                required.append(.string(param.name))
            }
            properties[param.name] = .object(property)
        }
        var schema: JSONObject = ["type": "object"]
        if !properties.isEmpty { schema["properties"] = .object(properties) }
        if !required.isEmpty { schema["required"] = .array(required) }
        schema["additionalProperties"] = false
        return schema
    }

    /// The outputSchema, or nil when the function reports nothing (void, no out-parameters,
    /// no errno).
    public func outputSchema() -> JSONObject? {
        var properties = JSONObject()
        switch returns {
        case .void: break
        case .scalar(let scalar):
            var property = Self.outputProperty(scalar)
            if let returnDescription { property["description"] = .string(returnDescription) }
            properties["result"] = .object(property)
        case .cstring:
            var property: JSONObject = ["type": ["string", "null"]]
            if let returnDescription { property["description"] = .string(returnDescription) }
            properties["result"] = .object(property)
        }
        for param in params {
            var property: JSONObject
            switch param.kind {
            case .outScalar(let scalar): property = Self.outputProperty(scalar)
            case .outString: property = ["type": "string"]
            case .outStringRef: property = ["type": ["string", "null"]]
            case .outBuffer: property = ["type": "string", "contentEncoding": "base64"]
            default: continue
            }
            if let description = param.description { property["description"] = .string(description) }
            properties[param.name] = .object(property)
        }
        if errno != nil {
            properties["errno"] = ["type": "integer", "description": "errno after the call (0: not set)."]
        }
        guard !properties.isEmpty else { return nil }
        return [
            "type": "object",
            "properties": .object(properties),
            "required": .array(properties.keys.map { .string($0) }),
            "additionalProperties": false,
        ]
    }

    static func outputProperty(_ scalar: FFIScalar) -> JSONObject {
        if scalar.isInteger {
            let range = scalar.integerRange
            return ["type": "integer", "minimum": .number(String(range.lowerBound)), "maximum": .number(String(range.upperBound))]
        }
        if scalar.isFloat {
            return ["anyOf": [["type": "number"], ["enum": ["Infinity", "-Infinity", "NaN"]]]]
        }
        return ["type": "boolean"]
    }
}

extension FFIConstant {
    /// The constant as JSON (for `default` in the schema).
    var json: JSONValue {
        switch self {
        case .integer(let v): return .number(String(v))
        case .float(let d): return .double(d)
        case .bool(let b): return .bool(b)
        case .string(let bytes): return .string(String(decoding: bytes, as: UTF8.self))
        case .bytes(let bytes): return .string(FFIBase64.encode(bytes))
        case .null: return .null
        }
    }
}
