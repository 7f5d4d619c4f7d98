import ManifoldProtocol
import Yams

/// Strict, typed reading of one node of a manifest. Every accessor either returns the value
/// the model wants or throws a `ManifestError` that points at the node (`'prefix' must be a
/// string, found a list`), so the manifest readers stay declarative.
struct YAMLNodeReader {
    let node: Node
    let path: ManifestKeyPath
    /// The manifest file as the caller named it, for errors and locations.
    let file: String

    var mark: Mark? { node.mark }

    var location: SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0)
    }

    func child(_ node: Node, key: String) -> YAMLNodeReader {
        YAMLNodeReader(node: node, path: path.appending(key), file: file)
    }

    func child(_ node: Node, index: Int) -> YAMLNodeReader {
        YAMLNodeReader(node: node, path: path.appending(index), file: file)
    }

    // MARK: Errors

    func error(_ message: String, at mark: Mark? = nil, path: ManifestKeyPath? = nil) -> ManifestError {
        let mark = mark ?? self.mark
        return ManifestError(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0,
                             keyPath: (path ?? self.path).description, message: message)
    }

    /// `'prefix'`, `'tags[2]'`: how messages name this value.
    var quotedName: String { "'\(path.leafName)'" }

    /// What the node is, for "found …": "a list", "a mapping", "an integer", "no value".
    var found: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if scalar.style == .plain, scalar.string.isEmpty { return "no value" }
            return YAMLScalarKind(scalar).article
        }
    }

    func typeError(_ expected: String) -> ManifestError {
        var hint = ""
        if case .scalar(let scalar) = node, scalar.style == .plain, expected == "a string" {
            switch YAMLScalarKind(scalar) {
            case .bool, .integer, .float: hint = " (quote it: \"\(scalar.string)\")"
            case .string, .null: break
            }
        }
        return error("\(quotedName) must be \(expected), found \(found)\(hint)")
    }

    // MARK: Scalars

    private var scalar: Node.Scalar? {
        if case .scalar(let scalar) = node { return scalar }
        return nil
    }

    func string() throws(ManifestError) -> String {
        guard let scalar, YAMLScalarKind(scalar) == .string else { throw typeError("a string") }
        return scalar.string
    }

    func nonEmptyString() throws(ManifestError) -> String {
        let value = try string()
        guard !value.isEmpty else { throw error("\(quotedName) must not be empty") }
        return value
    }

    /// A version-like string (`1.0`, `2`, `1.0.0`): numbers are accepted and kept exactly as
    /// written, so `version: 1.10` reads as "1.10".
    func versionString() throws(ManifestError) -> String {
        guard let scalar else { throw typeError("a string") }
        switch YAMLScalarKind(scalar) {
        case .string:
            guard !scalar.string.isEmpty else { throw error("\(quotedName) must not be empty") }
            return scalar.string
        case .integer, .float:
            return scalar.string
        case .null, .bool:
            throw typeError("a string")
        }
    }

    /// A string that passes `rule`, else `<key>: '<text>' <complaint>`.
    func string(satisfying rule: (String) -> Bool, _ complaint: String) throws(ManifestError) -> String {
        let text = try string()
        guard rule(text) else { throw error("\(path.leafName): '\(text)' \(complaint)") }
        return text
    }

    func bool() throws(ManifestError) -> Bool {
        guard let scalar, case .bool(let value) = YAMLScalarKind(scalar) else { throw typeError("true or false") }
        return value
    }

    func integer(in range: ClosedRange<Int>) throws(ManifestError) -> Int {
        guard let scalar, case .integer(let text) = YAMLScalarKind(scalar) else { throw typeError("an integer") }
        guard let value = Int(text), range.contains(value) else {
            if range.upperBound == Int.max {
                throw error("\(quotedName) must be an integer of at least \(range.lowerBound), found \(text)")
            }
            throw error("\(quotedName) must be between \(range.lowerBound) and \(range.upperBound), found \(text)")
        }
        return value
    }

    func positiveInteger() throws(ManifestError) -> Int {
        try integer(in: 1...Int.max)
    }

    /// One of an enum's raw values: `execution: 'isolatd' is not one of in-process, isolated`.
    func choice<Choice: RawRepresentable & CaseIterable>(_: Choice.Type) throws(ManifestError) -> Choice
    where Choice.RawValue == String {
        let text = try string()
        if let value = Choice(rawValue: text) { return value }
        let names = Choice.allCases.map(\.rawValue)
        throw error("\(path.leafName): '\(text)' is not one of \(names.joined(separator: ", "))"
            + KeySuggestion.hint(for: text, among: names))
    }

    // MARK: Collections

    func sequence() throws(ManifestError) -> [YAMLNodeReader] {
        guard case .sequence(let sequence) = node else { throw typeError("a list") }
        return Array(sequence).enumerated().map { child($1, index: $0) }
    }

    /// A list of non-empty strings (tags, paths, arguments when `allowEmpty`).
    func stringList(allowEmpty: Bool = false) throws(ManifestError) -> [String] {
        var values: [String] = []
        for item in try sequence() {
            values.append(allowEmpty ? try item.string() : try item.nonEmptyString())
        }
        return values
    }

    /// A mapping whose keys must all be among `keys`; `context` names it in messages
    /// ("unknown key 'prefx' in mounts[1]"), by default its key path.
    func mapping(allowing keys: [String], context: String? = nil) throws(ManifestError) -> YAMLMappingReader {
        let mapping = try anyMapping(context: context)
        for entry in mapping.entries where !keys.contains(entry.key) {
            let suggestion = KeySuggestion.hint(for: entry.key, among: keys)
            throw error("unknown key '\(entry.key)' in \(mapping.context)\(suggestion)",
                        at: entry.keyMark, path: path.appending(entry.key))
        }
        return mapping
    }

    /// A mapping with any keys (free-form parts, maps of names).
    func anyMapping(context: String? = nil) throws(ManifestError) -> YAMLMappingReader {
        guard case .mapping(let mapping) = node else { throw typeError("a mapping") }
        return YAMLMappingReader(owner: self, entries: try entries(of: mapping),
                                 context: context ?? path.description)
    }

    /// A mapping of strings to strings (`env`, `headers`, `rename`).
    func stringMap() throws(ManifestError) -> [String: String] {
        var map: [String: String] = [:]
        for entry in try anyMapping().entries {
            map[entry.key] = try child(entry.value, key: entry.key).string()
        }
        return map
    }

    /// The mapping's entries in order, with YAML merge keys (`<<: *defaults`) expanded: merged
    /// entries take the place of the `<<` key, and keys written explicitly win.
    private func entries(of mapping: Node.Mapping) throws(ManifestError) -> [YAMLMappingReader.Entry] {
        var result: [YAMLMappingReader.Entry] = []
        var explicitKeys = Set<String>()
        for (key, _) in mapping {
            if case .scalar(let scalar) = key, !Self.isMergeKey(scalar) { explicitKeys.insert(scalar.string) }
        }
        var seen = explicitKeys
        for (key, value) in mapping {
            guard case .scalar(let keyScalar) = key else {
                let found = YAMLNodeReader(node: key, path: path, file: file).found
                throw error("mapping keys must be strings, found \(found)", at: key.mark)
            }
            guard Self.isMergeKey(keyScalar) else {
                result.append(.init(key: keyScalar.string, keyMark: keyScalar.mark, value: value))
                continue
            }
            let sources: [Node]
            switch value {
            case .mapping: sources = [value]
            case .sequence(let sequence): sources = Array(sequence)
            default: sources = []
            }
            for source in sources {
                guard case .mapping(let merged) = source else {
                    throw error("a merge key '<<' takes a mapping or a list of mappings", at: source.mark)
                }
                for entry in try entries(of: merged) where !seen.contains(entry.key) {
                    seen.insert(entry.key)
                    result.append(entry)
                }
            }
            if sources.isEmpty {
                throw error("a merge key '<<' takes a mapping or a list of mappings", at: value.mark)
            }
        }
        return result
    }

    private static func isMergeKey(_ scalar: Node.Scalar) -> Bool {
        scalar.string == "<<" && scalar.style == .plain
    }

    // MARK: Free-form JSON

    /// The node as JSON, for the parts of a manifest Manifold passes through (`config`,
    /// `options`, ffi `functions`, HTTP settings). Quoted scalars are strings; plain ones are
    /// typed by the YAML 1.2 core schema.
    func json() throws(ManifestError) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch YAMLScalarKind(scalar) {
            case .string: return .string(scalar.string)
            case .null: return .null
            case .bool(let value): return .bool(value)
            case .integer(let text): return .number(text)
            case .float(let text?): return .number(text)
            case .float(nil): throw error("\(quotedName): '\(scalar.string)' cannot be represented in JSON")
            }
        case .sequence:
            var items: [JSONValue] = []
            for item in try sequence() { items.append(try item.json()) }
            return .array(items)
        case .mapping:
            var object = JSONObject()
            for entry in try anyMapping().entries {
                object[entry.key] = try child(entry.value, key: entry.key).json()
            }
            return .object(object)
        case .alias:
            throw error("\(quotedName): unresolved alias")
        }
    }

    /// A free-form JSON object (`options`, `config` when an object is required).
    func jsonObject() throws(ManifestError) -> JSONValue {
        guard case .mapping = node else { throw typeError("a mapping") }
        return try json()
    }
}
