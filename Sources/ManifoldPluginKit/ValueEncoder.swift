/// Encodes `Encodable` values into `JSON`, keeping members in encoding order (the declaration
/// order for synthesized conformances). `nil` optionals are left out.
public enum JSONEncoding {
    /// The JSON form of `value`.
    public static func encode<T: Encodable>(_ value: T) throws -> JSON {
        if let json = value as? JSON { return json }
        let node = EncodingNode()
        try value.encode(to: JSONValueEncoder(node: node, codingPath: []))
        return node.json
    }
}

final class EncodingNode {
    private enum Storage {
        case empty
        case value(JSON)
        case object([(String, EncodingNode)])
        case array([EncodingNode])
    }

    private var storage: Storage = .empty

    func set(_ value: JSON) { storage = .value(value) }

    func makeObject() {
        if case .object = storage { return }
        storage = .object([])
    }

    func makeArray() {
        if case .array = storage { return }
        storage = .array([])
    }

    func member(_ key: String) -> EncodingNode {
        makeObject()
        guard case .object(var members) = storage else { fatalError("unreachable") }
        if let existing = members.first(where: { $0.0 == key }) { return existing.1 }
        let node = EncodingNode()
        members.append((key, node))
        storage = .object(members)
        return node
    }

    func appendElement() -> EncodingNode {
        makeArray()
        guard case .array(var elements) = storage else { fatalError("unreachable") }
        let node = EncodingNode()
        elements.append(node)
        storage = .array(elements)
        return node
    }

    var elementCount: Int {
        if case .array(let elements) = storage { return elements.count }
        return 0
    }

    var json: JSON {
        switch storage {
        case .empty: return .object(JSONObject())
        case .value(let value): return value
        case .object(let members): return .object(JSONObject(members.map { ($0.0, $0.1.json) }))
        case .array(let elements): return .array(elements.map(\.json))
        }
    }
}

final class JSONValueEncoder: Encoder {
    let storage: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(node: EncodingNode, codingPath: [any CodingKey]) {
        storage = node
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        storage.makeObject()
        return KeyedEncodingContainer(KeyedValueEncoder<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        storage.makeArray()
        return UnkeyedValueEncoder(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    static func encode<T: Encodable>(_ value: T, into node: EncodingNode, path: [any CodingKey]) throws {
        if let json = value as? JSON { node.set(json); return }
        try value.encode(to: JSONValueEncoder(node: node, codingPath: path))
    }

    static func number(_ value: Double, path: [any CodingKey]) throws -> JSON {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: path, debugDescription: "\(value) is not a JSON number"))
        }
        return .double(value)
    }
}

extension JSONValueEncoder: SingleValueEncodingContainer {
    func encodeNil() { storage.set(.null) }
    func encode(_ value: Bool) { storage.set(.bool(value)) }
    func encode(_ value: String) { storage.set(.string(value)) }
    func encode(_ value: Double) throws { storage.set(try JSONValueEncoder.number(value, path: codingPath)) }
    func encode(_ value: Float) throws {
        // Through the Float's own shortest digits, so 0.1 stays 0.1.
        storage.set(try JSONValueEncoder.number(Double("\(value)") ?? Double(value), path: codingPath))
    }
    func encode(_ value: Int) { storage.set(.int(Int64(value))) }
    func encode(_ value: Int8) { storage.set(.int(Int64(value))) }
    func encode(_ value: Int16) { storage.set(.int(Int64(value))) }
    func encode(_ value: Int32) { storage.set(.int(Int64(value))) }
    func encode(_ value: Int64) { storage.set(.int(value)) }
    func encode(_ value: UInt) { storage.set(Int64(exactly: value).map(JSON.int) ?? .double(Double(value))) }
    func encode(_ value: UInt8) { storage.set(.int(Int64(value))) }
    func encode(_ value: UInt16) { storage.set(.int(Int64(value))) }
    func encode(_ value: UInt32) { storage.set(.int(Int64(value))) }
    func encode(_ value: UInt64) { storage.set(Int64(exactly: value).map(JSON.int) ?? .double(Double(value))) }
    func encode<T: Encodable>(_ value: T) throws {
        try JSONValueEncoder.encode(value, into: storage, path: codingPath)
    }
}

struct KeyedValueEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: JSONValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    func child(_ key: Key) -> JSONValueEncoder {
        JSONValueEncoder(node: encoder.storage.member(key.stringValue), codingPath: codingPath + [key])
    }

    mutating func encodeNil(forKey key: Key) { child(key).encodeNil() }
    mutating func encode(_ value: Bool, forKey key: Key) { child(key).encode(value) }
    mutating func encode(_ value: String, forKey key: Key) { child(key).encode(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try child(key).encode(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try child(key).encode(value) }
    mutating func encode(_ value: Int, forKey key: Key) { child(key).encode(value) }
    mutating func encode(_ value: Int8, forKey key: Key) { child(key).encode(value) }
    mutating func encode(_ value: Int16, forKey key: Key) { child(key).encode(value) }
    mutating func encode(_ value: Int32, forKey key: Key) { child(key).encode(value) }
    mutating func encode(_ value: Int64, forKey key: Key) { child(key).encode(value) }
    mutating func encode(_ value: UInt, forKey key: Key) { child(key).encode(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) { child(key).encode(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) { child(key).encode(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) { child(key).encode(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) { child(key).encode(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let c = child(key)
        try JSONValueEncoder.encode(value, into: c.storage, path: c.codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        child(key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        child(key).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { child(Key(stringValue: "super")!) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { child(key) }
}

struct UnkeyedValueEncoder: UnkeyedEncodingContainer {
    let encoder: JSONValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { encoder.storage.elementCount }

    func next() -> JSONValueEncoder {
        let index = count
        return JSONValueEncoder(node: encoder.storage.appendElement(), codingPath: codingPath + [AnyCodingKey(intValue: index)])
    }

    mutating func encodeNil() { next().encodeNil() }
    mutating func encode(_ value: Bool) { next().encode(value) }
    mutating func encode(_ value: String) { next().encode(value) }
    mutating func encode(_ value: Double) throws { try next().encode(value) }
    mutating func encode(_ value: Float) throws { try next().encode(value) }
    mutating func encode(_ value: Int) { next().encode(value) }
    mutating func encode(_ value: Int8) { next().encode(value) }
    mutating func encode(_ value: Int16) { next().encode(value) }
    mutating func encode(_ value: Int32) { next().encode(value) }
    mutating func encode(_ value: Int64) { next().encode(value) }
    mutating func encode(_ value: UInt) { next().encode(value) }
    mutating func encode(_ value: UInt8) { next().encode(value) }
    mutating func encode(_ value: UInt16) { next().encode(value) }
    mutating func encode(_ value: UInt32) { next().encode(value) }
    mutating func encode(_ value: UInt64) { next().encode(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let n = next()
        try JSONValueEncoder.encode(value, into: n.storage, path: n.codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        next().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { next().unkeyedContainer() }
    mutating func superEncoder() -> any Encoder { next() }
}
