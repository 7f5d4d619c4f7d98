/// Why a tool's arguments do not fit its argument type. The description names the field and the
/// problem ("'limit': 300 is out of range for UInt8 (0...255)") so a model can correct its call.
public struct ArgumentError: Error, CustomStringConvertible, Sendable {
    /// The dotted path of the field ("address.city", "tags[2]"); empty for the arguments object.
    public let field: String
    public let problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String {
        field.isEmpty ? "arguments: \(problem)" : "'\(field)': \(problem)"
    }
}

/// Renders a coding path as "a.b[2].c".
func pathString(_ path: [any CodingKey]) -> String {
    var out = ""
    for key in path {
        if let index = key.intValue, key.stringValue == String(index) {
            out += "[\(index)]"
        } else {
            if !out.isEmpty { out += "." }
            out += key.stringValue
        }
    }
    return out
}

/// Decodes `Decodable` values from `JSON` strictly: no type coercion, integers range-checked,
/// `ArgumentEnum` values checked against their cases, unknown object members rejected. Errors
/// are `ArgumentError`s naming the field.
enum ArgumentDecoding {
    static func decode<T: Decodable>(_ type: T.Type, from value: JSON) throws(ArgumentError) -> T {
        let tracker = UnknownKeyTracker()
        // Register the arguments object up front: a type that never reads it (a struct without
        // fields) accepts no fields.
        if case .object(let object) = value, T.self != JSON.self { _ = tracker.register(path: [], keys: object.keys) }
        let decoder = ArgumentDecoder(value: value, codingPath: [], tracker: tracker)
        do {
            let result = try decoder.decodeValue(T.self)
            if let unknown = tracker.firstUnknown() { throw unknown }
            return result
        } catch let error as ArgumentError {
            throw error
        } catch let error as DecodingError {
            throw ArgumentError(decodingError: error)
        } catch {
            throw ArgumentError(field: "", problem: String(describing: error))
        }
    }
}

extension ArgumentError {
    /// Converts a `DecodingError` thrown by a custom `init(from:)`.
    init(decodingError error: DecodingError) {
        switch error {
        case .typeMismatch(let type, let context):
            self.init(field: pathString(context.codingPath), problem: "expected \(type): \(context.debugDescription)")
        case .valueNotFound(let type, let context):
            self.init(field: pathString(context.codingPath), problem: "expected \(type), got null")
        case .keyNotFound(let key, let context):
            self.init(field: pathString(context.codingPath + [key]), problem: "required field is missing")
        case .dataCorrupted(let context):
            self.init(field: pathString(context.codingPath), problem: context.debugDescription)
        @unknown default:
            self.init(field: "", problem: String(describing: error))
        }
    }
}

/// Remembers, per object in the input, which members the argument type read; members nobody read
/// are unknown fields.
final class UnknownKeyTracker {
    private struct Entry {
        var path: [any CodingKey]
        var keys: [String]
        var asked: [String] = []
        var askedSet: Set<String> = []
        var all = false
    }
    private var objects: [Entry] = []
    private var indexByPath: [String: Int] = [:]

    func register(path: [any CodingKey], keys: [String]) -> Int {
        let id = pathString(path)
        if let index = indexByPath[id] { return index }
        objects.append(Entry(path: path, keys: keys))
        indexByPath[id] = objects.count - 1
        return objects.count - 1
    }

    /// The argument type asked for `key` (present or not).
    func use(_ key: String, in object: Int) {
        if objects[object].askedSet.insert(key).inserted { objects[object].asked.append(key) }
    }

    /// The argument type read every member (a dictionary).
    func useAll(in object: Int) { objects[object].all = true }

    func firstUnknown() -> ArgumentError? {
        for object in objects where !object.all {
            for key in object.keys where !object.askedSet.contains(key) {
                let hint = object.asked.isEmpty
                    ? "this object takes no fields"
                    : "expected one of: " + object.asked.joined(separator: ", ")
                return ArgumentError(field: pathString(object.path + [AnyCodingKey(key)]), problem: "unknown field (\(hint))")
            }
        }
        return nil
    }
}

final class ArgumentDecoder: Decoder {
    let value: JSON
    let codingPath: [any CodingKey]
    let tracker: UnknownKeyTracker
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(value: JSON, codingPath: [any CodingKey], tracker: UnknownKeyTracker) {
        self.value = value
        self.codingPath = codingPath
        self.tracker = tracker
    }

    func error(_ problem: String) -> ArgumentError {
        ArgumentError(field: pathString(codingPath), problem: problem)
    }

    func mismatch(_ expected: String) -> ArgumentError {
        error("expected \(expected), got \(describe(value))")
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else { throw mismatch("an object") }
        let id = tracker.register(path: codingPath, keys: object.keys)
        return KeyedDecodingContainer(KeyedArgumentContainer<Key>(decoder: self, object: object, trackerID: id))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch("an array") }
        return UnkeyedArgumentContainer(decoder: self, elements: elements)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func child(_ value: JSON, key: any CodingKey) -> ArgumentDecoder {
        ArgumentDecoder(value: value, codingPath: codingPath + [key], tracker: tracker)
    }

    /// Decodes `T` from this decoder's value, with the kit's checks for primitives and enums.
    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == JSON.self { return value as! T }
        if let enumType = T.self as? any ArgumentEnum.Type {
            return try decodeEnum(enumType) as! T
        }
        switch T.self {
        case is String.Type: return try decodeString() as! T
        case is Bool.Type: return try decodeBool() as! T
        case is Double.Type: return try decodeDouble() as! T
        case is Float.Type: return Float(try decodeDouble()) as! T
        case is Int.Type: return try decodeInteger(Int.self) as! T
        case is Int8.Type: return try decodeInteger(Int8.self) as! T
        case is Int16.Type: return try decodeInteger(Int16.self) as! T
        case is Int32.Type: return try decodeInteger(Int32.self) as! T
        case is Int64.Type: return try decodeInteger(Int64.self) as! T
        case is UInt.Type: return try decodeInteger(UInt.self) as! T
        case is UInt8.Type: return try decodeInteger(UInt8.self) as! T
        case is UInt16.Type: return try decodeInteger(UInt16.self) as! T
        case is UInt32.Type: return try decodeInteger(UInt32.self) as! T
        case is UInt64.Type: return try decodeInteger(UInt64.self) as! T
        default: break
        }
        do {
            return try T(from: self)
        } catch let error as ArgumentError {
            throw error
        } catch let error as DecodingError {
            throw ArgumentError(decodingError: error)
        }
    }

    func decodeEnum(_ type: any ArgumentEnum.Type) throws -> any ArgumentEnum {
        guard case .string(let raw) = value else { throw mismatch("a string") }
        if let match = type.caseWithRawValue(raw) { return match }
        let allowed = type.rawValues.map { "'\($0)'" }.joined(separator: ", ")
        throw error("'\(raw)' is not one of \(allowed)")
    }

    func decodeString() throws -> String {
        guard case .string(let s) = value else { throw mismatch("a string") }
        return s
    }

    func decodeBool() throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch("a boolean") }
        return b
    }

    func decodeDouble() throws -> Double {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw mismatch("a number")
        }
    }

    func decodeInteger<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let range = "\(I.self) (\(I.min)...\(I.max))"
        switch value {
        case .int(let i):
            guard let result = I(exactly: i) else { throw error("\(i) is out of range for \(range)") }
            return result
        case .double(let d):
            guard d == d.rounded(), d.isFinite else { throw error("expected an integer, got \(JSON.format(d))") }
            guard let result = I(exactly: d) else { throw error("\(JSON.format(d)) is out of range for \(range)") }
            return result
        default:
            throw mismatch("an integer")
        }
    }
}

func describe(_ value: JSON) -> String {
    switch value {
    case .null: return "null"
    case .bool(let b): return "a boolean (\(b))"
    case .int, .double:
        return "a number (\(value.description))"
    case .string(let s):
        let shown = s.count > 40 ? String(s.prefix(40)) + "…" : s
        return "a string (\(JSON.string(shown).description))"
    case .array: return "an array"
    case .object: return "an object"
    }
}

extension ArgumentDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try decodeBool() }
    func decode(_ type: String.Type) throws -> String { try decodeString() }
    func decode(_ type: Double.Type) throws -> Double { try decodeDouble() }
    func decode(_ type: Float.Type) throws -> Float { Float(try decodeDouble()) }
    func decode(_ type: Int.Type) throws -> Int { try decodeInteger(Int.self) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decodeInteger(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decodeInteger(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decodeInteger(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decodeInteger(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try decodeInteger(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeInteger(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeInteger(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeInteger(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeInteger(UInt64.self) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(T.self) }
}

struct KeyedArgumentContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: ArgumentDecoder
    let object: JSONObject
    let trackerID: Int

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] {
        decoder.tracker.useAll(in: trackerID)
        return object.keys.compactMap { Key(stringValue: $0) }
    }

    func contains(_ key: Key) -> Bool {
        decoder.tracker.use(key.stringValue, in: trackerID)
        return object[key.stringValue] != nil
    }

    func childDecoder(_ key: Key) throws -> ArgumentDecoder {
        decoder.tracker.use(key.stringValue, in: trackerID)
        guard let value = object[key.stringValue] else {
            throw ArgumentError(field: pathString(codingPath + [key]), problem: "required field is missing")
        }
        return decoder.child(value, key: key)
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        decoder.tracker.use(key.stringValue, in: trackerID)
        return object[key.stringValue] == nil || object[key.stringValue] == .null
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let child = try childDecoder(key)
        if child.value == .null, T.self != JSON.self {
            throw ArgumentError(field: pathString(child.codingPath), problem: "must not be null")
        }
        return try child.decodeValue(T.self)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        decoder.tracker.use(key.stringValue, in: trackerID)
        guard let value = object[key.stringValue], value != .null else { return nil }
        return try decoder.child(value, key: key).decodeValue(T.self)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(Wrapped<Bool>.self, forKey: key).value }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(Wrapped<String>.self, forKey: key).value }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(Wrapped<Double>.self, forKey: key).value }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(Wrapped<Float>.self, forKey: key).value }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(Wrapped<Int>.self, forKey: key).value }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(Wrapped<Int8>.self, forKey: key).value }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(Wrapped<Int16>.self, forKey: key).value }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(Wrapped<Int32>.self, forKey: key).value }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(Wrapped<Int64>.self, forKey: key).value }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(Wrapped<UInt>.self, forKey: key).value }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(Wrapped<UInt8>.self, forKey: key).value }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(Wrapped<UInt16>.self, forKey: key).value }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(Wrapped<UInt32>.self, forKey: key).value }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(Wrapped<UInt64>.self, forKey: key).value }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try childDecoder(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try childDecoder(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        try childDecoder(Key(stringValue: "super")!)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder { try childDecoder(key) }
}

/// Routes a primitive through `decodeValue` (one code path for all checks).
private struct Wrapped<T: Decodable>: Decodable {
    let value: T
    init(from decoder: any Decoder) throws {
        value = try (decoder as! ArgumentDecoder).decodeValue(T.self)
    }
}

struct UnkeyedArgumentContainer: UnkeyedDecodingContainer {
    let decoder: ArgumentDecoder
    let elements: [JSON]
    var currentIndex = 0

    init(decoder: ArgumentDecoder, elements: [JSON]) {
        self.decoder = decoder
        self.elements = elements
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func next() throws -> ArgumentDecoder {
        guard !isAtEnd else {
            throw ArgumentError(field: pathString(codingPath), problem: "expected more elements (got \(elements.count))")
        }
        let child = decoder.child(elements[currentIndex], key: AnyCodingKey(intValue: currentIndex))
        currentIndex += 1
        return child
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let child = try next()
        if child.value == .null, T.self != JSON.self {
            throw ArgumentError(field: pathString(child.codingPath), problem: "must not be null")
        }
        return try child.decodeValue(T.self)
    }

    mutating func decodeIfPresent<T: Decodable>(_ type: T.Type) throws -> T? {
        let child = try next()
        if child.value == .null { return nil }
        return try child.decodeValue(T.self)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next().unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { try next() }
}
