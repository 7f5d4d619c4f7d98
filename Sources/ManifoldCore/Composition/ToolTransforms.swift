import ManifoldProtocol

/// Which of a mount's tools are kept, by name, before renames and the prefix: an allow list
/// (nil: every tool) and a deny list, each of exact names or globs (`*` any run of characters,
/// `?` one character). Deny wins over allow.
public struct ToolSelection: Sendable, Hashable, CustomStringConvertible {
    public var allow: [String]?
    public var deny: [String]

    public static let all = ToolSelection()

    public init(allow: [String]? = nil, deny: [String] = []) {
        self.allow = allow
        self.deny = deny
    }

    public var keepsEverything: Bool { allow == nil && deny.isEmpty }

    /// Why the tool named `name` (its source name) is dropped, or nil when it is kept.
    public func removalReason(_ name: String) -> String? {
        if let pattern = deny.first(where: { Self.matches($0, name) }) {
            return "denied by tools.deny '\(pattern)'"
        }
        if let allow, !allow.contains(where: { Self.matches($0, name) }) {
            return "not in tools.allow"
        }
        return nil
    }

    /// Glob match over Unicode scalars: `*` matches any run (also empty), `?` one scalar.
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        if !pattern.contains("*") && !pattern.contains("?") { return pattern == name }
        let p = Array(pattern.unicodeScalars)
        let s = Array(name.unicodeScalars)
        var pi = 0, si = 0
        var star = -1, mark = 0
        while si < s.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == s[si]) {
                pi += 1
                si += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi
                mark = si
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                si = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    public var description: String {
        var parts: [String] = []
        if let allow { parts.append("allow [\(allow.joined(separator: ", "))]") }
        if !deny.isEmpty { parts.append("deny [\(deny.joined(separator: ", "))]") }
        return parts.isEmpty ? "all" : parts.joined(separator: ", ")
    }
}

/// Arguments a mount fixes for one tool: they disappear from the tool's exposed `inputSchema`
/// (its `properties` and `required`) and their values are merged into every call's arguments,
/// replacing whatever the client sent under those names.
///
/// The members are serialized once, when the composition is built; a call only splices bytes:
/// the client's members (minus the fixed names) are copied as they are, then the fixed ones.
/// Tools without fixed arguments never come here (their arguments are forwarded untouched).
public struct FixedArguments: Sendable {
    public private(set) var values: JSONObject
    private var names: Set<String>
    /// `"name":value,"name":value` — written after the client's members.
    private var members: [UInt8]

    public init(_ values: JSONObject) {
        self.values = values
        self.names = Set(values.keys)
        var w = JSONWriter(capacity: 64)
        for (i, member) in values.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(member.key)
            w.raw(":")
            w.value(member.value)
        }
        self.members = w.bytes
    }

    public var isEmpty: Bool { values.isEmpty }

    /// These arguments plus `outer`'s (an enclosing mount's), the outer value winning.
    public func adding(_ outer: JSONObject) -> FixedArguments {
        var merged = values
        for member in outer { merged[member.key] = member.value }
        return FixedArguments(merged)
    }

    /// The tool's input schema without the fixed arguments.
    public func hiding(in schema: JSONObject) -> JSONObject {
        var schema = schema
        if var properties = schema["properties"]?.objectValue {
            for name in names { properties[name] = nil }
            schema["properties"] = .object(properties)
        }
        if let required = schema["required"]?.arrayValue {
            schema["required"] = .array(required.filter { !names.contains($0.stringValue ?? "") })
        }
        return schema
    }

    /// The call's arguments object with the fixed values merged in. `arguments` is the client's
    /// object; when it is not a valid object, only the fixed values are sent.
    public func merge(into arguments: ArraySlice<UInt8>) -> [UInt8] {
        Self.splice(arguments, dropping: names, appending: members)
    }

    /// `object` (a JSON object's bytes) without its members named in `dropping`, followed by
    /// `members` (`"key":value,…`, already serialized): the kept members are copied byte for
    /// byte, nothing is decoded but their keys. An `object` that is not a valid JSON object
    /// counts as `{}`. Also used for a request's `_meta` (replacing its `progressToken`).
    public static func splice(_ object: ArraySlice<UInt8>, dropping: Set<String>, appending members: [UInt8]) -> [UInt8] {
        var out = JSONWriter(capacity: object.count + members.count + 2)
        out.raw("{")
        let wrote = object.withUnsafeBytes { buffer -> Bool? in
            var scanner = JSONScanner(buffer)
            var wrote = false
            do {
                try scanner.expect(UInt8(ascii: "{"))
                scanner.skipWhitespace()
                if scanner.peek() == UInt8(ascii: "}") { return false }
                while true {
                    scanner.skipWhitespace()
                    let start = scanner.position
                    let key = try scanner.readString()
                    try scanner.expect(UInt8(ascii: ":"))
                    let value = try scanner.skipValue()
                    if !dropping.contains(key) {
                        // The member as the client wrote it, key to the end of its value.
                        if wrote { out.raw(",") }
                        out.raw(UnsafeRawBufferPointer(rebasing: buffer[start..<value.upperBound]))
                        wrote = true
                    }
                    scanner.skipWhitespace()
                    guard let next = scanner.peek() else { return nil }
                    if next == UInt8(ascii: "}") { return wrote }
                    try scanner.expect(UInt8(ascii: ","))
                }
            } catch {
                return nil
            }
        }
        if wrote == nil {
            out = JSONWriter(capacity: members.count + 2)
            out.raw("{")
        }
        if !members.isEmpty {
            if wrote == true { out.raw(",") }
            out.raw(members)
        }
        out.raw("}")
        return out.bytes
    }
}
