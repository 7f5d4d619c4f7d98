import ManifoldCore
import ManifoldProtocol
import Testing

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func text<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 { String(decoding: Array(bytes), as: UTF8.self) }

func json<C: Collection>(_ bytes: C) -> JSONValue where C.Element == UInt8 {
    (try? JSONValue.parse(bytes)) ?? .null
}

/// A provider with a fixed catalog that answers every request with its own input (so a test
/// sees exactly the bytes a call would forward).
final class EchoProvider: Provider {
    let displayName: String
    private let fixed: Catalog

    init(_ name: String, catalog: Catalog) {
        self.displayName = name
        self.fixed = catalog
    }

    func catalog() -> Catalog { fixed }
    var health: ProviderHealth { .ready }
    func addObserver(_ observer: any ProviderObserver) {}
    func invoke(_ request: ProviderRequest, context: any CallContext, completion: @escaping @Sendable (CallOutcome) -> Void) {
        completion(.result(Array(request.input)))
    }
}

func tool(_ name: String, schema: JSONObject? = nil, description: String? = nil) -> Component {
    var listed: JSONObject = ["name": .string(name)]
    if let description { listed["description"] = .string(description) }
    if let schema { listed["inputSchema"] = .object(schema) }
    return try! Component(kind: .tool, listed: listed)
}

/// `{"type":"object","properties":{…each name: string…},"required":[…]}`.
func objectSchema(_ properties: [String], required: [String]) -> JSONObject {
    var props = JSONObject()
    for name in properties { props[name] = ["type": "string"] }
    return ["type": "object", "properties": .object(props), "required": .array(required.map(JSONValue.string))]
}
