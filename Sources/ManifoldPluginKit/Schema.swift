/// Adds per-field descriptions to the JSON Schema generated for an argument (or output) type.
///
///     struct Args: Decodable, FieldDescribing {
///         var text: String
///         static let fieldDescriptions = ["text": "The text to count words in"]
///     }
public protocol FieldDescribing {
    /// Field name (the coding key) → description.
    static var fieldDescriptions: [String: String] { get }
}

/// A `String`-backed enum usable as an argument: its schema lists the raw values
/// (`{"type":"string","enum":[…]}`) and a value outside them is rejected by name.
///
///     enum Style: String, ArgumentEnum { case brief, detailed }
public protocol ArgumentEnum: CaseIterable, RawRepresentable, Decodable, Sendable where RawValue == String {}

extension ArgumentEnum {
    static var rawValues: [String] { allCases.map(\.rawValue) }
    static func caseWithRawValue(_ raw: String) -> (any ArgumentEnum)? { Self(rawValue: raw) }
    static var placeholder: any ArgumentEnum { allCases.first! }
}

/// A type that states its own argument schema (for types the generator cannot walk, such as a
/// `UUID` or a value that decodes from several shapes).
public protocol CustomArgumentSchema: Decodable {
    /// The JSON Schema of one value of this type.
    static var argumentSchema: JSON { get }
    /// Any value of the type; the schema generator returns it instead of decoding.
    static var schemaPlaceholder: Self { get }
}

/// Why no schema could be generated for a type.
public struct SchemaError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// JSON Schema (draft 2020-12 vocabulary) generation from `Decodable` types, by decoding the type
/// once with a decoder that records what it is asked for instead of reading data.
public enum SchemaGenerator {
    /// The schema of an argument object: `{"type":"object","properties":…,"required":…,
    /// "additionalProperties":false}`. Fields read with `decodeIfPresent` (optionals) are not
    /// required. Throws if `T` does not decode from an object.
    public static func objectSchema<T: Decodable>(for type: T.Type) throws(SchemaError) -> JSON {
        let node = SchemaNode()
        do {
            _ = try SchemaRecorder.record(T.self, into: node, path: [], stack: RecordingStack())
        } catch let error as SchemaError {
            throw error
        } catch {
            throw SchemaError(message: "cannot derive a schema for \(T.self): \(error)")
        }
        let schema = node.json
        guard schema["type"] == "object" else {
            throw SchemaError(message: "\(T.self) must decode from a JSON object (a struct with fields), not \(schema)")
        }
        return schema
    }

    /// The schema of any value of `T`.
    public static func schema<T: Decodable>(for type: T.Type) throws(SchemaError) -> JSON {
        let node = SchemaNode()
        do {
            _ = try SchemaRecorder.record(T.self, into: node, path: [], stack: RecordingStack())
        } catch let error as SchemaError {
            throw error
        } catch {
            throw SchemaError(message: "cannot derive a schema for \(T.self): \(error)")
        }
        return node.json
    }
}

// MARK: - Markers for standard containers

protocol StringKeyedDictionaryMarker {
    static var valueType: any Decodable.Type { get }
    static var emptyValue: Self { get }
}

extension Dictionary: StringKeyedDictionaryMarker where Key == String, Value: Decodable {
    static var valueType: any Decodable.Type { Value.self }
    static var emptyValue: Self { [:] }
}

protocol ArrayMarker {
    static var elementType: any Decodable.Type { get }
    static var emptyValue: Self { get }
}

extension Array: ArrayMarker where Element: Decodable {
    static var elementType: any Decodable.Type { Element.self }
    static var emptyValue: Self { [] }
}

extension Set: ArrayMarker where Element: Decodable {
    static var elementType: any Decodable.Type { Element.self }
    static var emptyValue: Self { [] }
}

// MARK: - The recorder

final class SchemaNode {
    var leaf: JSONObject?
    var isObject = false
    var properties: [(String, SchemaNode)] = []
    var required: [String] = []
    var additional: SchemaNode?
    var isArray = false
    var items: SchemaNode?
    var uniqueItems = false
    var description: String?

    func property(_ key: String, required isRequired: Bool) -> SchemaNode {
        isObject = true
        if isRequired, !required.contains(key) { required.append(key) }
        if let existing = properties.first(where: { $0.0 == key }) { return existing.1 }
        let node = SchemaNode()
        properties.append((key, node))
        return node
    }

    var json: JSON {
        var schema: JSONObject
        if let leaf {
            schema = leaf
        } else if isObject {
            schema = ["type": "object"]
            if !properties.isEmpty {
                schema["properties"] = .object(JSONObject(properties.map { ($0.0, $0.1.json) }))
            }
            if !required.isEmpty { schema["required"] = JSON(required) }
            schema["additionalProperties"] = additional?.json ?? false
        } else if isArray {
            schema = ["type": "array", "items": items?.json ?? .object([:])]
            if uniqueItems { schema["uniqueItems"] = true }
        } else {
            schema = [:]
        }
        if let description {
            var members = schema.members.map { ($0.key, $0.value) }
            members.insert(("description", .string(description)), at: min(1, members.count))
            schema = JSONObject(members)
        }
        return .object(schema)
    }
}

final class RecordingStack {
    var types: [ObjectIdentifier] = []
    func contains(_ type: Any.Type) -> Bool { types.contains(ObjectIdentifier(type)) }
}

private func integerSchema<I: FixedWidthInteger>(_ type: I.Type) -> JSONObject {
    var schema: JSONObject = ["type": "integer"]
    if I.bitWidth < 64 || !I.isSigned {
        schema["minimum"] = .int(Int64(I.min))
        if I.bitWidth < 64 { schema["maximum"] = .int(Int64(I.max)) }
    }
    return schema
}

final class SchemaRecorder: Decoder {
    let node: SchemaNode
    let codingPath: [any CodingKey]
    let stack: RecordingStack
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(node: SchemaNode, codingPath: [any CodingKey], stack: RecordingStack) {
        self.node = node
        self.codingPath = codingPath
        self.stack = stack
    }

    /// Records the schema of `T` into `node` and returns a placeholder value of `T`.
    static func record<T: Decodable>(_ type: T.Type, into node: SchemaNode, path: [any CodingKey], stack: RecordingStack) throws -> T {
        if T.self == JSON.self { node.leaf = [:]; return JSON.null as! T }
        if let custom = T.self as? any CustomArgumentSchema.Type {
            node.leaf = custom.argumentSchema.objectValue ?? [:]
            return custom.schemaPlaceholder as! T
        }
        if let enumType = T.self as? any ArgumentEnum.Type {
            node.leaf = ["type": "string", "enum": JSON(enumType.rawValues)]
            return enumType.placeholder as! T
        }
        switch T.self {
        case is String.Type: node.leaf = ["type": "string"]; return "" as! T
        case is Bool.Type: node.leaf = ["type": "boolean"]; return false as! T
        case is Double.Type: node.leaf = ["type": "number"]; return 0.0 as Double as! T
        case is Float.Type: node.leaf = ["type": "number"]; return 0 as Float as! T
        case is Int.Type: node.leaf = integerSchema(Int.self); return 0 as Int as! T
        case is Int8.Type: node.leaf = integerSchema(Int8.self); return 0 as Int8 as! T
        case is Int16.Type: node.leaf = integerSchema(Int16.self); return 0 as Int16 as! T
        case is Int32.Type: node.leaf = integerSchema(Int32.self); return 0 as Int32 as! T
        case is Int64.Type: node.leaf = integerSchema(Int64.self); return 0 as Int64 as! T
        case is UInt.Type: node.leaf = integerSchema(UInt.self); return 0 as UInt as! T
        case is UInt8.Type: node.leaf = integerSchema(UInt8.self); return 0 as UInt8 as! T
        case is UInt16.Type: node.leaf = integerSchema(UInt16.self); return 0 as UInt16 as! T
        case is UInt32.Type: node.leaf = integerSchema(UInt32.self); return 0 as UInt32 as! T
        case is UInt64.Type: node.leaf = integerSchema(UInt64.self); return 0 as UInt64 as! T
        default: break
        }
        if let array = T.self as? any ArrayMarker.Type {
            node.isArray = true
            node.uniqueItems = !(T.self is any RangeReplaceableCollection.Type)
            let items = SchemaNode()
            node.items = items
            if !stack.contains(array.elementType) {
                try recordOpened(array.elementType, into: items, path: path + [AnyCodingKey(intValue: 0)], stack: stack)
            }
            return array.emptyValue as! T
        }
        if let dictionary = T.self as? any StringKeyedDictionaryMarker.Type {
            node.isObject = true
            let values = SchemaNode()
            node.additional = values
            if !stack.contains(dictionary.valueType) {
                try recordOpened(dictionary.valueType, into: values, path: path + [AnyCodingKey("*")], stack: stack)
            }
            return dictionary.emptyValue as! T
        }
        if stack.contains(T.self) {
            throw SchemaError(message: "\(T.self) refers to itself at '\(pathString(path))'; make that field optional or an array, or conform it to CustomArgumentSchema")
        }
        stack.types.append(ObjectIdentifier(T.self))
        defer { stack.types.removeLast() }
        let value = try T(from: SchemaRecorder(node: node, codingPath: path, stack: stack))
        if let described = T.self as? any FieldDescribing.Type {
            for (key, text) in described.fieldDescriptions {
                if let property = node.properties.first(where: { $0.0 == key }) { property.1.description = text }
            }
        }
        return value
    }

    private static func recordOpened<V: Decodable>(_ type: V.Type, into node: SchemaNode, path: [any CodingKey], stack: RecordingStack) throws {
        _ = try record(V.self, into: node, path: path, stack: stack)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        node.isObject = true
        return KeyedDecodingContainer(KeyedSchemaRecorder<Key>(recorder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        node.isArray = true
        if node.items == nil { node.items = SchemaNode() }
        return UnkeyedSchemaRecorder(recorder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }
}

extension SchemaRecorder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { false }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try SchemaRecorder.record(T.self, into: node, path: codingPath, stack: stack)
    }
    func decode(_ type: Bool.Type) throws -> Bool { try SchemaRecorder.record(Bool.self, into: node, path: codingPath, stack: stack) }
    func decode(_ type: String.Type) throws -> String { try SchemaRecorder.record(String.self, into: node, path: codingPath, stack: stack) }
    func decode(_ type: Double.Type) throws -> Double { try SchemaRecorder.record(Double.self, into: node, path: codingPath, stack: stack) }
    func decode(_ type: Float.Type) throws -> Float { try SchemaRecorder.record(Float.self, into: node, path: codingPath, stack: stack) }
    func decode(_ type: Int.Type) throws -> Int { try SchemaRecorder.record(Int.self, into: node, path: codingPath, stack: stack) }
    func decode(_ type: Int8.Type) throws -> Int8 { try SchemaRecorder.record(Int8.self, into: node, path: codingPath, stack: stack) }
    func decode(_ type: Int16.Type) throws -> Int16 { try SchemaRecorder.record(Int16.self, into: node, path: codingPath, stack: stack) }
    func decode(_ type: Int32.Type) throws -> Int32 { try SchemaRecorder.record(Int32.self, into: node, path: codingPath, stack: stack) }
    func decode(_ type: Int64.Type) throws -> Int64 { try SchemaRecorder.record(Int64.self, into: node, path: codingPath, stack: stack) }
    func decode(_ type: UInt.Type) throws -> UInt { try SchemaRecorder.record(UInt.self, into: node, path: codingPath, stack: stack) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try SchemaRecorder.record(UInt8.self, into: node, path: codingPath, stack: stack) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try SchemaRecorder.record(UInt16.self, into: node, path: codingPath, stack: stack) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try SchemaRecorder.record(UInt32.self, into: node, path: codingPath, stack: stack) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try SchemaRecorder.record(UInt64.self, into: node, path: codingPath, stack: stack) }
}

struct KeyedSchemaRecorder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let recorder: SchemaRecorder
    var codingPath: [any CodingKey] { recorder.codingPath }
    var allKeys: [Key] { [] }

    func contains(_ key: Key) -> Bool {
        _ = recorder.node.property(key.stringValue, required: false)
        return true
    }

    func decodeNil(forKey key: Key) throws -> Bool { false }

    func record<T: Decodable>(_ type: T.Type, _ key: Key, required: Bool) throws -> T {
        let child = recorder.node.property(key.stringValue, required: required)
        return try SchemaRecorder.record(T.self, into: child, path: codingPath + [key], stack: recorder.stack)
    }

    func recordOptional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        let child = recorder.node.property(key.stringValue, required: false)
        if recorder.stack.contains(T.self) {
            child.leaf = [:]  // a recursive optional field: any value
            return nil
        }
        return try SchemaRecorder.record(T.self, into: child, path: codingPath + [key], stack: recorder.stack)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try record(T.self, key, required: true) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try record(Bool.self, key, required: true) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try record(String.self, key, required: true) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try record(Double.self, key, required: true) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try record(Float.self, key, required: true) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try record(Int.self, key, required: true) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try record(Int8.self, key, required: true) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try record(Int16.self, key, required: true) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try record(Int32.self, key, required: true) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try record(Int64.self, key, required: true) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try record(UInt.self, key, required: true) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try record(UInt8.self, key, required: true) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try record(UInt16.self, key, required: true) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try record(UInt32.self, key, required: true) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try record(UInt64.self, key, required: true) }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try recordOptional(T.self, key) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try recordOptional(Bool.self, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try recordOptional(String.self, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try recordOptional(Double.self, key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try recordOptional(Float.self, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try recordOptional(Int.self, key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try recordOptional(Int8.self, key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try recordOptional(Int16.self, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try recordOptional(Int32.self, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try recordOptional(Int64.self, key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try recordOptional(UInt.self, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try recordOptional(UInt8.self, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try recordOptional(UInt16.self, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try recordOptional(UInt32.self, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try recordOptional(UInt64.self, key) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        let child = recorder.node.property(key.stringValue, required: true)
        return try SchemaRecorder(node: child, codingPath: codingPath + [key], stack: recorder.stack).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let child = recorder.node.property(key.stringValue, required: true)
        return try SchemaRecorder(node: child, codingPath: codingPath + [key], stack: recorder.stack).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { recorder }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        let child = recorder.node.property(key.stringValue, required: true)
        return SchemaRecorder(node: child, codingPath: codingPath + [key], stack: recorder.stack)
    }
}

/// Records the element schema from the first decode, then reports the end.
struct UnkeyedSchemaRecorder: UnkeyedDecodingContainer {
    let recorder: SchemaRecorder
    var currentIndex = 0
    var codingPath: [any CodingKey] { recorder.codingPath }
    var count: Int? { 1 }
    var isAtEnd: Bool { currentIndex >= 1 }

    var items: SchemaNode { recorder.node.items! }

    mutating func decodeNil() throws -> Bool { false }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        defer { currentIndex += 1 }
        return try SchemaRecorder.record(T.self, into: items, path: codingPath + [AnyCodingKey(intValue: currentIndex)], stack: recorder.stack)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        defer { currentIndex += 1 }
        return try SchemaRecorder(node: items, codingPath: codingPath, stack: recorder.stack).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        defer { currentIndex += 1 }
        return try SchemaRecorder(node: items, codingPath: codingPath, stack: recorder.stack).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        defer { currentIndex += 1 }
        return SchemaRecorder(node: items, codingPath: codingPath, stack: recorder.stack)
    }
}
