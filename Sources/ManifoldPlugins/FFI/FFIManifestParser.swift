import ManifoldManifest
import ManifoldProtocol

/// A mistake in a function entry of an ffi manifest, naming the file, the entry (with its line
/// when the manifest reader kept it), the function and the key:
/// `libm.plugin.yaml:12:5: functions[3] (pow).params[1].type: 'f63' is not a type …`.
public struct FFIManifestError: Error, Sendable, CustomStringConvertible, Equatable {
    public var file: String
    public var location: SourceLocation?
    /// `functions[3] (pow).params[1].type`
    public var path: String
    public var message: String

    public var description: String {
        let place = location.map { "\($0.file):\($0.line):\($0.column)" } ?? file
        return "\(place): \(path): \(message)"
    }
}

/// Reads the `functions` entries of an ffi manifest into `FFIFunctionSpec`s, checking
/// everything that can be checked without the library: keys, types, names, the pairing of
/// buffers with their length parameters, ownership of returned strings, fixed and default
/// values, variadic arity. (Symbols are resolved by the loader.)
public enum FFIManifestParser {
    static let functionKeys = ["name", "symbol", "title", "description", "params", "returns", "errno", "variadic",
                               "concurrent", "tags", "annotations"]
    static let paramKeys = ["name", "type", "description", "out", "nullable", "value", "default", "minimum", "maximum",
                            "lengthOf", "capacity", "lengthFrom", "ownership", "free"]
    static let returnKeys = ["type", "description", "ownership", "free"]
    static let annotationKeys = ["title", "readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"]
    /// Largest capacity of an out-string or out-buffer: 16 MiB.
    public static let maxCapacity = 16 << 20
    /// Most parameters one function may have.
    public static let maxParams = 64

    public static func parse(_ manifest: PluginManifest) throws(FFIManifestError) -> [FFIFunctionSpec] {
        var specs: [FFIFunctionSpec] = []
        var names: [String: Int] = [:]
        for (index, entry) in manifest.functions.enumerated() {
            let location = index < manifest.functionLocations.count ? manifest.functionLocations[index] : nil
            var reader = EntryReader(file: manifest.file, location: location, index: index)
            let spec = try reader.function(entry)
            if let previous = names[spec.name] {
                throw reader.error(at: "name", "tool name '\(spec.name)' is already used by functions[\(previous)]")
            }
            names[spec.name] = index
            specs.append(spec)
        }
        return specs
    }

    /// Parses one entry on its own (tests, tools).
    public static func parse(function entry: JSONValue, file: String = "<manifest>", index: Int = 0)
        throws(FFIManifestError) -> FFIFunctionSpec
    {
        var reader = EntryReader(file: file, location: nil, index: index)
        return try reader.function(entry)
    }

    static func isToolName(_ name: String) -> Bool {
        let utf8 = Array(name.utf8)
        guard (1...64).contains(utf8.count) else { return false }
        return utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") || c == UInt8(ascii: "-")
        }
    }

    /// Parameter names: C-identifier-like, so they read well as JSON Schema properties.
    static func isParamName(_ name: String) -> Bool {
        let utf8 = Array(name.utf8)
        guard (1...64).contains(utf8.count), let first = utf8.first else { return false }
        func letter(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_") }
        return letter(first) && utf8.allSatisfy { letter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    static func isSymbol(_ name: String) -> Bool {
        isParamName(name) || (name.utf8.count <= 255 && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F })
    }
}

/// Reads one entry, tracking the path for errors.
private struct EntryReader {
    let file: String
    let location: SourceLocation?
    let index: Int
    var functionName: String?

    init(file: String, location: SourceLocation?, index: Int) {
        self.file = file
        self.location = location
        self.index = index
    }

    var prefix: String {
        "functions[\(index)]" + (functionName.map { " (\($0))" } ?? "")
    }

    func error(at path: String, _ message: String) -> FFIManifestError {
        FFIManifestError(file: file, location: location, path: path.isEmpty ? prefix : "\(prefix).\(path)", message: message)
    }

    // MARK: Generic readers

    func object(_ value: JSONValue, at path: String, allowing keys: [String]) throws(FFIManifestError) -> JSONObject {
        guard let object = value.objectValue else {
            throw error(at: path, "must be a mapping, found \(Self.describe(value))")
        }
        for key in object.keys where !keys.contains(key) {
            let hint = Self.suggestion(for: key, among: keys).map { " (did you mean '\($0)'?)" } ?? ""
            throw error(at: Self.join(path, key), "unknown key '\(key)'\(hint); expected one of \(keys.joined(separator: ", "))")
        }
        return object
    }

    func string(_ value: JSONValue?, at path: String) throws(FFIManifestError) -> String? {
        guard let value else { return nil }
        guard let text = value.stringValue else { throw error(at: path, "must be a string, found \(Self.describe(value))") }
        return text
    }

    func bool(_ value: JSONValue?, at path: String) throws(FFIManifestError) -> Bool? {
        guard let value else { return nil }
        guard let flag = value.boolValue else { throw error(at: path, "must be true or false, found \(Self.describe(value))") }
        return flag
    }

    func integer(_ value: JSONValue?, at path: String) throws(FFIManifestError) -> Int128? {
        guard let value else { return nil }
        guard case .number(let text) = value, let number = FFIIntegerText.parse(Array(text.utf8)) else {
            throw error(at: path, "must be an integer, found \(Self.describe(value))")
        }
        return number
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return "a boolean (\(b))"
        case .number(let n): return "a number (\(n))"
        case .string(let s): return "a string ('\(s)')"
        case .array: return "a list"
        case .object: return "a mapping"
        }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    static func suggestion(for word: String, among candidates: [String]) -> String? {
        let lowered = Array(word.lowercased())
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, Array(candidate.lowercased()))
            guard distance <= max(1, min(3, candidate.count / 3)) else { continue }
            if best == nil || distance < best!.1 { best = (candidate, distance) }
        }
        return best?.0
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    // MARK: The entry

    mutating func function(_ entry: JSONValue) throws(FFIManifestError) -> FFIFunctionSpec {
        // The name first, so that every later error names the function.
        if let name = entry["name"]?.stringValue, FFIManifestParser.isToolName(name) { functionName = name }
        let object = try object(entry, at: "", allowing: FFIManifestParser.functionKeys)
        guard let name = try string(object["name"], at: "name") else {
            throw error(at: "", "missing required key 'name' (the tool name)")
        }
        guard FFIManifestParser.isToolName(name) else {
            throw error(at: "name", "'\(name)' is not a valid tool name (1–64 letters, digits, '_', '.', '-')")
        }
        functionName = name
        let symbol = try string(object["symbol"], at: "symbol") ?? name
        guard FFIManifestParser.isSymbol(symbol) else {
            throw error(at: "symbol", "'\(symbol)' is not a C symbol name")
        }
        let description = try string(object["description"], at: "description")
        let title = try string(object["title"], at: "title")

        var params: [FFIParamSpec] = []
        var rawParams: [JSONObject] = []
        if let list = object["params"] {
            guard let items = list.arrayValue else { throw error(at: "params", "must be a list, found \(Self.describe(list))") }
            guard items.count <= FFIManifestParser.maxParams else {
                throw error(at: "params", "a function may have at most \(FFIManifestParser.maxParams) parameters")
            }
            for (i, item) in items.enumerated() {
                let path = "params[\(i)]"
                let raw = try self.object(item, at: path, allowing: FFIManifestParser.paramKeys)
                rawParams.append(raw)
                params.append(try param(raw, at: path))
                if let earlier = params.dropLast().firstIndex(where: { $0.name == params[i].name }) {
                    throw error(at: "\(path).name", "parameter name '\(params[i].name)' is already used by params[\(earlier)]")
                }
            }
        }
        try link(&params, raw: rawParams)

        let (returns, returnDescription) = try returnKind(object["returns"])
        let lengthFromReturn = params.contains {
            if case .outBuffer(_, .returnValue) = $0.kind { return true } else { return false }
        }
        if lengthFromReturn {
            guard case .scalar(let scalar) = returns, scalar.isInteger else {
                throw error(at: "returns", "an out-buffer takes its length from the return value ('lengthFrom: return'), so the function must return an integer type")
            }
        }

        var errnoMode: FFIErrnoMode?
        if let value = object["errno"] {
            guard let text = value.stringValue, let mode = FFIErrnoMode(rawValue: text) else {
                throw error(at: "errno", "must be 'capture' (report errno) or 'fail' (report it, and a non-zero errno is an error), found \(Self.describe(value))")
            }
            errnoMode = mode
        }

        var fixedParams: Int?
        if let value = object["variadic"] {
            let variadic = try self.object(value, at: "variadic", allowing: ["fixed"])
            guard let fixed = try integer(variadic["fixed"], at: "variadic.fixed") else {
                throw error(at: "variadic", "missing required key 'fixed' (how many of the params are the fixed ones before '...')")
            }
            guard fixed >= 1, fixed <= Int128(params.count) else {
                throw error(at: "variadic.fixed", "must be between 1 and the number of params (\(params.count)), found \(fixed)")
            }
            fixedParams = Int(fixed)
        }

        let concurrent = try bool(object["concurrent"], at: "concurrent") ?? false
        var tags: [String] = []
        if let value = object["tags"] {
            guard let items = value.arrayValue else { throw error(at: "tags", "must be a list of strings, found \(Self.describe(value))") }
            for (i, item) in items.enumerated() {
                guard let tag = item.stringValue, !tag.isEmpty else { throw error(at: "tags[\(i)]", "must be a non-empty string") }
                tags.append(tag)
            }
        }
        var annotations: JSONObject?
        if let value = object["annotations"] {
            let hints = try self.object(value, at: "annotations", allowing: FFIManifestParser.annotationKeys)
            for member in hints {
                if member.key == "title" {
                    _ = try string(member.value, at: "annotations.title")
                } else {
                    _ = try bool(member.value, at: "annotations.\(member.key)")
                }
            }
            annotations = hints
        }

        let outputNames = params.filter { $0.kind.isOut }.map(\.name)
        for reserved in ["result", "errno"] where outputNames.contains(reserved) {
            if reserved == "result", returns == .void { continue }
            if reserved == "errno", errnoMode == nil { continue }
            let i = params.firstIndex { $0.name == reserved }!
            throw error(at: "params[\(i)].name", "an out-parameter cannot be named '\(reserved)': the result already reports '\(reserved)'")
        }

        return FFIFunctionSpec(name: name, symbol: symbol, title: title,
                               description: description ?? "Calls the C function \(symbol).",
                               params: params, returns: returns, returnDescription: returnDescription,
                               errno: errnoMode, fixedParams: fixedParams, concurrent: concurrent, tags: tags,
                               annotations: annotations)
    }

    // MARK: Parameters

    /// One parameter, on its own (links to other parameters are resolved by `link`).
    func param(_ raw: JSONObject, at path: String) throws(FFIManifestError) -> FFIParamSpec {
        guard let name = try string(raw["name"], at: "\(path).name") else {
            throw error(at: path, "missing required key 'name'")
        }
        guard FFIManifestParser.isParamName(name) else {
            throw error(at: "\(path).name", "'\(name)' is not a valid parameter name (a letter or '_', then letters, digits, '_'; at most 64)")
        }
        guard let typeName = try string(raw["type"], at: "\(path).type") else {
            throw error(at: path, "missing required key 'type'")
        }
        let out = try bool(raw["out"], at: "\(path).out") ?? false
        let description = try string(raw["description"], at: "\(path).description")

        func refuse(_ keys: [String], because reason: String) throws(FFIManifestError) {
            for key in keys where raw[key] != nil {
                throw error(at: "\(path).\(key)", "'\(key)' is not allowed here: \(reason)")
            }
        }

        let kind: FFIParamKind
        switch (typeName, out) {
        case ("cstring", false):
            try refuse(["capacity", "lengthFrom", "ownership", "free", "minimum", "maximum", "lengthOf"],
                       because: "parameter '\(name)' is an input string")
            kind = .cstring(nullable: try bool(raw["nullable"], at: "\(path).nullable") ?? false)
        case ("buffer", false):
            try refuse(["capacity", "lengthFrom", "ownership", "free", "minimum", "maximum", "lengthOf"],
                       because: "parameter '\(name)' is an input buffer (its length goes to the parameter that says 'lengthOf: \(name)')")
            kind = .buffer(nullable: try bool(raw["nullable"], at: "\(path).nullable") ?? false)
        case ("cstring", true):
            try refuse(["nullable", "value", "default", "minimum", "maximum", "lengthOf", "lengthFrom"],
                       because: "parameter '\(name)' is an out-string")
            let capacity = try self.capacity(raw, at: path)
            let ownership = try self.ownership(raw, at: path, required: false)
            switch (capacity, ownership) {
            case (let capacity?, nil): kind = .outString(capacity: capacity)
            case (nil, let ownership?): kind = .outStringRef(ownership)
            case (nil, nil):
                throw error(at: path, "an out-string needs either 'capacity' (the function writes into a char buffer of that size) or 'ownership' (it sets a char * to a string: static, borrowed or freed)")
            case (_?, _?):
                throw error(at: "\(path).ownership", "'capacity' and 'ownership' exclude each other: with a capacity the bridge owns the buffer")
            }
        case ("buffer", true):
            try refuse(["nullable", "value", "default", "minimum", "maximum", "lengthOf", "ownership", "free"],
                       because: "parameter '\(name)' is an out-buffer")
            guard let capacity = try self.capacity(raw, at: path) else {
                throw error(at: path, "an out-buffer needs 'capacity' (bytes the bridge allocates for the function to fill)")
            }
            // lengthFrom is resolved in `link`; keep a placeholder.
            kind = .outBuffer(capacity: capacity, lengthFrom: .capacity)
        default:
            guard let scalar = FFIScalar(name: typeName) else {
                let names = FFIScalar.allCases.map(\.rawValue) + ["cstring", "buffer"]
                let hint = Self.suggestion(for: typeName, among: names).map { " (did you mean '\($0)'?)" } ?? ""
                throw error(at: "\(path).type", "'\(typeName)' is not a type\(hint); expected one of \(names.joined(separator: ", "))")
            }
            if out {
                try refuse(["nullable", "value", "default", "minimum", "maximum", "lengthOf", "capacity", "lengthFrom", "ownership", "free"],
                           because: "parameter '\(name)' is a scalar out-parameter")
                kind = .outScalar(scalar)
            } else {
                try refuse(["nullable", "capacity", "lengthFrom", "ownership", "free"],
                           because: "parameter '\(name)' is a scalar")
                if raw["lengthOf"] != nil {
                    guard scalar.isInteger else {
                        throw error(at: "\(path).lengthOf", "a length parameter must have an integer type, not \(scalar.rawValue)")
                    }
                    try refuse(["value", "default", "minimum", "maximum"], because: "the bridge fills a length parameter")
                    kind = .length(scalar, of: -1)  // resolved in `link`
                } else {
                    kind = .scalar(scalar)
                }
            }
        }

        var spec = FFIParamSpec(name: name, description: description, kind: kind)
        if raw["minimum"] != nil || raw["maximum"] != nil {
            guard case .scalar(let scalar) = kind, scalar.isInteger else {
                throw error(at: "\(path).\(raw["minimum"] != nil ? "minimum" : "maximum")", "'minimum' and 'maximum' apply to integer parameters only")
            }
            let full = scalar.integerRange
            let low = try integer(raw["minimum"], at: "\(path).minimum") ?? full.lowerBound
            let high = try integer(raw["maximum"], at: "\(path).maximum") ?? full.upperBound
            guard full.contains(low) else { throw error(at: "\(path).minimum", "\(low) is outside the range of \(scalar.rawValue) (\(full.lowerBound)…\(full.upperBound))") }
            guard full.contains(high) else { throw error(at: "\(path).maximum", "\(high) is outside the range of \(scalar.rawValue) (\(full.lowerBound)…\(full.upperBound))") }
            guard low <= high else { throw error(at: "\(path).maximum", "maximum \(high) is below minimum \(low)") }
            spec.range = low...high
        }
        if let value = raw["value"] {
            if raw["default"] != nil { throw error(at: "\(path).default", "a parameter fixed by 'value' cannot also have a 'default'") }
            spec.fixed = try constant(value, for: spec, at: "\(path).value")
        }
        if let value = raw["default"] {
            spec.defaultValue = try constant(value, for: spec, at: "\(path).default")
        }
        return spec
    }

    func capacity(_ raw: JSONObject, at path: String) throws(FFIManifestError) -> Int? {
        guard let value = try integer(raw["capacity"], at: "\(path).capacity") else { return nil }
        guard value >= 1, value <= Int128(FFIManifestParser.maxCapacity) else {
            throw error(at: "\(path).capacity", "must be between 1 and \(FFIManifestParser.maxCapacity) bytes, found \(value)")
        }
        return Int(value)
    }

    func ownership(_ raw: JSONObject, at path: String, required: Bool) throws(FFIManifestError) -> FFIOwnership? {
        guard let value = raw["ownership"] else {
            if raw["free"] != nil { throw error(at: "\(path).free", "'free' goes with 'ownership: freed'") }
            if required {
                throw error(at: path, "a returned string needs 'ownership': static (lives forever), borrowed (copied at once, not freed) or freed (copied, then passed to the function named by 'free')")
            }
            return nil
        }
        let freeName = try string(raw["free"], at: "\(path).free")
        switch value.stringValue {
        case "static", "borrowed":
            if freeName != nil {
                throw error(at: "\(path).free", "'free' goes with 'ownership: freed', not '\(value.stringValue!)'")
            }
            return value.stringValue == "static" ? .static : .borrowed
        case "freed":
            guard let freeName else {
                throw error(at: path, "'ownership: freed' needs 'free': the function that frees the string (e.g. free)")
            }
            guard FFIManifestParser.isSymbol(freeName) else { throw error(at: "\(path).free", "'\(freeName)' is not a C symbol name") }
            return .freed(by: freeName)
        default:
            throw error(at: "\(path).ownership", "must be static, borrowed or freed, found \(Self.describe(value))")
        }
    }

    /// Resolves `lengthOf` and `lengthFrom` between parameters.
    func link(_ params: inout [FFIParamSpec], raw: [JSONObject]) throws(FFIManifestError) {
        var lengthOwner: [Int: Int] = [:]
        for (i, spec) in params.enumerated() {
            let path = "params[\(i)]"
            if case .length(let scalar, _) = spec.kind {
                guard let target = raw[i]["lengthOf"]?.stringValue else {
                    throw error(at: "\(path).lengthOf", "must be the name of a buffer or out-string parameter")
                }
                guard let t = params.firstIndex(where: { $0.name == target }) else {
                    throw error(at: "\(path).lengthOf", "no parameter named '\(target)'")
                }
                switch params[t].kind {
                case .buffer, .outString, .outBuffer: break
                default:
                    throw error(at: "\(path).lengthOf", "'\(target)' is not a buffer or an out-string with a capacity")
                }
                if let other = lengthOwner[t] {
                    throw error(at: "\(path).lengthOf", "'\(target)' already has a length parameter: params[\(other)]")
                }
                lengthOwner[t] = i
                if case .outString(let capacity) = params[t].kind, !scalar.integerRange.contains(Int128(capacity)) {
                    throw error(at: "\(path).type", "\(scalar.rawValue) cannot hold the capacity \(capacity) of '\(target)'")
                }
                if case .outBuffer(let capacity, _) = params[t].kind, !scalar.integerRange.contains(Int128(capacity)) {
                    throw error(at: "\(path).type", "\(scalar.rawValue) cannot hold the capacity \(capacity) of '\(target)'")
                }
                params[i].kind = .length(scalar, of: t)
            }
            if case .outBuffer(let capacity, _) = spec.kind, let from = raw[i]["lengthFrom"] {
                guard let text = from.stringValue else {
                    throw error(at: "\(path).lengthFrom", "must be 'return' or the name of an integer out-parameter")
                }
                if text == "return" {
                    params[i].kind = .outBuffer(capacity: capacity, lengthFrom: .returnValue)
                } else {
                    guard let s = params.firstIndex(where: { $0.name == text }),
                        case .outScalar(let scalar) = params[s].kind, scalar.isInteger
                    else {
                        throw error(at: "\(path).lengthFrom", "'\(text)' is not an integer out-parameter (or 'return')")
                    }
                    params[i].kind = .outBuffer(capacity: capacity, lengthFrom: .parameter(s))
                }
            }
        }
        for (i, spec) in params.enumerated() {
            if case .buffer = spec.kind, lengthOwner[i] == nil, spec.fixed == nil {
                throw error(at: "params[\(i)]", "input buffer '\(spec.name)' needs a length parameter: add an integer parameter with 'lengthOf: \(spec.name)'")
            }
        }
    }

    /// The return type: `returns: f64`, or a mapping `{type, description, ownership, free}`.
    func returnKind(_ value: JSONValue?) throws(FFIManifestError) -> (FFIReturnKind, String?) {
        guard let value else { return (.void, nil) }
        var raw: JSONObject = [:]
        let typeName: String
        if let text = value.stringValue {
            typeName = text
        } else {
            raw = try object(value, at: "returns", allowing: FFIManifestParser.returnKeys)
            guard let text = try string(raw["type"], at: "returns.type") else {
                throw error(at: "returns", "missing required key 'type'")
            }
            typeName = text
        }
        let description = try string(raw["description"], at: "returns.description")
        switch typeName {
        case "void":
            return (.void, description)
        case "cstring":
            guard let ownership = try ownership(raw, at: "returns", required: true) else { fatalError("required") }
            return (.cstring(ownership), description)
        default:
            guard let scalar = FFIScalar(name: typeName) else {
                let names = ["void"] + FFIScalar.allCases.map(\.rawValue) + ["cstring"]
                let hint = Self.suggestion(for: typeName, among: names).map { " (did you mean '\($0)'?)" } ?? ""
                throw error(at: value.stringValue != nil ? "returns" : "returns.type",
                            "'\(typeName)' is not a return type\(hint); expected one of \(names.joined(separator: ", "))")
            }
            if raw["ownership"] != nil || raw["free"] != nil {
                throw error(at: "returns.ownership", "'ownership' applies to returned strings (cstring) only")
            }
            return (.scalar(scalar), description)
        }
    }

    /// A `value:` or `default:` converted for the parameter, with the same rules as a client's
    /// argument.
    func constant(_ value: JSONValue, for spec: FFIParamSpec, at path: String) throws(FFIManifestError) -> FFIConstant {
        let bytes = value.serialized()
        let result = bytes.withUnsafeBytes { buffer -> Result<FFIConstant, FFIManifestError> in
            var scanner = JSONScanner(buffer)
            do throws(FFIArgumentError) {
                return .success(try FFIArgumentReader.constant(from: &scanner, for: spec))
            } catch {
                return .failure(self.error(at: path, error.reason))
            }
        }
        return try result.get()
    }
}

/// Exact integer text → `Int128`: `-12`, and also `1e3` or `5.0` when the value is integral
/// (JSON Schema's "integer"). Values beyond `Int128` are clamped (they are out of every C
/// type's range either way); `nil` means "not an integer".
enum FFIIntegerText {
    static func parse(_ text: [UInt8]) -> Int128? {
        text.withUnsafeBytes { parse(UnsafeRawBufferPointer($0)) }
    }

    static func parse(_ text: UnsafeRawBufferPointer) -> Int128? {
        var i = 0
        var negative = false
        if i < text.count, text[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < text.count else { return nil }
        var magnitude: UInt128 = 0
        var overflow = false
        var digits = 0
        while i < text.count, text[i] >= 0x30, text[i] <= 0x39 {
            if !overflow {
                let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(UInt128(text[i] - 0x30))
                if o1 || o2 || m2 > UInt128(Int128.max) { overflow = true } else { magnitude = m2 }
            }
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        if i == text.count {
            if overflow { return negative ? Int128.min : Int128.max }
            return negative ? -Int128(magnitude) : Int128(magnitude)
        }
        // A fraction or exponent: accept an integral value.
        guard let double = Double(String(decoding: text, as: UTF8.self)), double.isFinite, double == double.rounded()
        else { return nil }
        if abs(double) >= 1e38 { return double < 0 ? Int128.min : Int128.max }
        return Int128(double)
    }
}
