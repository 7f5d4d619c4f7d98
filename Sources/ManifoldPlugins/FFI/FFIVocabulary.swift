@preconcurrency import CFFI
import ManifoldProtocol

// The closed, sized type vocabulary of ffi manifests (docs/FFI.md): what a function entry may
// declare, as plain values. `FFIManifestParser` builds these from a manifest, `FFIFunction`
// prepares and calls them.

/// A scalar C type of fixed size. `size_t` is the platform's (64 bits here).
public enum FFIScalar: String, Sendable, Hashable, CaseIterable {
    case i8, i16, i32, i64
    case u8, u16, u32, u64
    case size_t
    case f32, f64
    case bool

    /// Accepted spellings besides the canonical names: `double` and `float` are IEEE binary64
    /// and binary32 on every platform Manifold runs on, so they are as sized as `f64` / `f32`.
    static let aliases: [String: FFIScalar] = ["double": .f64, "float": .f32]

    public init?(name: String) {
        if let scalar = FFIScalar(rawValue: name) { self = scalar } else if let alias = Self.aliases[name] { self = alias } else { return nil }
    }

    public var isInteger: Bool {
        switch self {
        case .f32, .f64, .bool: return false
        default: return true
        }
    }

    public var isFloat: Bool { self == .f32 || self == .f64 }

    /// Size in bytes of the C type.
    public var byteSize: Int {
        switch self {
        case .i8, .u8, .bool: return 1
        case .i16, .u16: return 2
        case .i32, .u32, .f32: return 4
        case .i64, .u64, .f64: return 8
        case .size_t: return MemoryLayout<Int>.size
        }
    }

    public var isSigned: Bool {
        switch self {
        case .i8, .i16, .i32, .i64: return true
        default: return false
        }
    }

    /// The range of an integer type (bool: 0…1; floats: not used).
    public var integerRange: ClosedRange<Int128> {
        switch self {
        case .i8: return Int128(Int8.min)...Int128(Int8.max)
        case .i16: return Int128(Int16.min)...Int128(Int16.max)
        case .i32: return Int128(Int32.min)...Int128(Int32.max)
        case .i64: return Int128(Int64.min)...Int128(Int64.max)
        case .u8: return 0...Int128(UInt8.max)
        case .u16: return 0...Int128(UInt16.max)
        case .u32: return 0...Int128(UInt32.max)
        case .u64: return 0...Int128(UInt64.max)
        case .size_t: return 0...Int128(UInt.max)
        case .bool, .f32, .f64: return 0...1
        }
    }

    /// The type a value of this type is passed as among the variadic arguments of a C function
    /// (the default argument promotions): small integers and bool become `int`, float becomes
    /// double.
    public var promotedForVarargs: FFIScalar {
        switch self {
        case .i8, .i16, .u8, .u16, .bool: return .i32
        case .f32: return .f64
        default: return self
        }
    }

    /// The libffi type descriptor.
    var ffiType: UnsafeMutablePointer<ffi_type> {
        switch self {
        case .i8: return manifold_ffi_sint8()
        case .i16: return manifold_ffi_sint16()
        case .i32: return manifold_ffi_sint32()
        case .i64: return manifold_ffi_sint64()
        case .u8, .bool: return manifold_ffi_uint8()
        case .u16: return manifold_ffi_uint16()
        case .u32: return manifold_ffi_uint32()
        case .u64: return manifold_ffi_uint64()
        case .size_t: return MemoryLayout<Int>.size == 8 ? manifold_ffi_uint64() : manifold_ffi_uint32()
        case .f32: return manifold_ffi_float()
        case .f64: return manifold_ffi_double()
        }
    }
}

/// Who owns a string a C function hands back (as its return value or through a `char **`).
public enum FFIOwnership: Sendable, Hashable {
    /// Lives as long as the library (a literal, a static buffer): copied, never freed.
    case `static`
    /// Owned by someone else and valid until the next call (into the argument, a shared
    /// buffer like `strerror`'s): copied at once, never freed.
    case borrowed
    /// Allocated for the caller: copied, then passed to the named function (`free`,
    /// `mylib_free`), resolved in the library (and its dependencies) at load.
    case freed(by: String)
}

/// Where the valid byte count of an out-buffer comes from.
public enum FFILengthSource: Sendable, Hashable {
    /// The whole capacity is returned.
    case capacity
    /// The function's return value (an integer), clamped to 0…capacity.
    case returnValue
    /// An integer out-parameter (its index), clamped to 0…capacity.
    case parameter(Int)
}

/// What one C parameter is and how it is filled.
public enum FFIParamKind: Sendable, Hashable {
    /// A value of a scalar type, passed by value.
    case scalar(FFIScalar)
    /// `const char *`: a JSON string without NUL characters (or null when nullable).
    case cstring(nullable: Bool)
    /// `const void *` / `const uint8_t *`: base64 in JSON (or null when nullable). Its byte
    /// length goes to the integer parameter that declares `lengthOf` it.
    case buffer(nullable: Bool)
    /// An integer carrying the byte length of an in-buffer or the capacity of an out-buffer or
    /// out-string (the index of that parameter). Filled by the bridge; a client may pass it for
    /// an in-buffer, and then it must match.
    case length(FFIScalar, of: Int)
    /// `T *` written by the function; reported under the parameter's name.
    case outScalar(FFIScalar)
    /// `char *` to a zeroed buffer of `capacity` bytes the function writes a C string into.
    case outString(capacity: Int)
    /// `const char **` the function points at a string, owned as declared.
    case outStringRef(FFIOwnership)
    /// `uint8_t *` to a zeroed buffer of `capacity` bytes; the valid length from `lengthFrom`.
    /// Reported as base64.
    case outBuffer(capacity: Int, lengthFrom: FFILengthSource)

    var isOut: Bool {
        switch self {
        case .outScalar, .outString, .outStringRef, .outBuffer: return true
        default: return false
        }
    }

    var isInBuffer: Bool {
        if case .buffer = self { return true } else { return false }
    }

    /// Whether a client sees the parameter in the input schema (unless it is fixed).
    var isInput: Bool {
        switch self {
        case .scalar, .cstring, .buffer, .length: return true
        default: return false
        }
    }
}

/// A value written in the manifest (`value:` or `default:`), already converted.
public enum FFIConstant: Sendable, Hashable {
    case integer(Int128)
    case float(Double)
    case bool(Bool)
    /// A C string's bytes, without the terminator.
    case string([UInt8])
    /// A buffer's bytes.
    case bytes([UInt8])
    /// NULL (nullable strings and buffers).
    case null
}

/// One parameter of a function entry.
public struct FFIParamSpec: Sendable, Hashable {
    public var name: String
    public var description: String?
    public var kind: FFIParamKind
    /// Fixed by the manifest (`value:`): not in the input schema, always passed.
    public var fixed: FFIConstant?
    /// Used when the client leaves the parameter out (`default:`); the parameter is optional.
    public var defaultValue: FFIConstant?
    /// A narrower range than the type's (`minimum:` / `maximum:`), integers only.
    public var range: ClosedRange<Int128>?

    public init(name: String, description: String? = nil, kind: FFIParamKind, fixed: FFIConstant? = nil,
                defaultValue: FFIConstant? = nil, range: ClosedRange<Int128>? = nil) {
        self.name = name
        self.description = description
        self.kind = kind
        self.fixed = fixed
        self.defaultValue = defaultValue
        self.range = range
    }

    /// The accepted range of an integer parameter.
    var integerRange: ClosedRange<Int128>? {
        switch kind {
        case .scalar(let scalar) where scalar.isInteger, .length(let scalar, _):
            return range ?? scalar.integerRange
        default:
            return nil
        }
    }
}

/// What a function returns.
public enum FFIReturnKind: Sendable, Hashable {
    case void
    case scalar(FFIScalar)
    /// `const char *` / `char *`, owned as declared; NULL becomes JSON null.
    case cstring(FFIOwnership)
}

/// What the bridge does with errno.
public enum FFIErrnoMode: String, Sendable, Hashable {
    /// Cleared before the call, reported as `errno` in the result.
    case capture
    /// As `capture`, and a non-zero errno makes the result an error (`isError: true`).
    case fail
}

/// One function entry of an ffi manifest: the C function and the tool it becomes.
public struct FFIFunctionSpec: Sendable, Hashable {
    /// The tool name.
    public var name: String
    /// The C symbol (defaults to the tool name).
    public var symbol: String
    public var title: String?
    public var description: String
    public var params: [FFIParamSpec]
    public var returns: FFIReturnKind
    public var returnDescription: String?
    public var errno: FFIErrnoMode?
    /// For variadic functions: how many of `params` are the fixed ones; the rest are passed
    /// as variadic arguments (after the default argument promotions).
    public var fixedParams: Int?
    /// Calls may run concurrently with other calls of the plugin (default: one at a time).
    public var concurrent: Bool
    /// Tags of this tool (besides the manifest's).
    public var tags: [String]
    /// MCP tool annotations, as written.
    public var annotations: JSONObject?

    public init(name: String, symbol: String? = nil, title: String? = nil, description: String = "",
                params: [FFIParamSpec] = [], returns: FFIReturnKind = .void, returnDescription: String? = nil,
                errno: FFIErrnoMode? = nil, fixedParams: Int? = nil, concurrent: Bool = false,
                tags: [String] = [], annotations: JSONObject? = nil) {
        self.name = name
        self.symbol = symbol ?? name
        self.title = title
        self.description = description
        self.params = params
        self.returns = returns
        self.returnDescription = returnDescription
        self.errno = errno
        self.fixedParams = fixedParams
        self.concurrent = concurrent
        self.tags = tags
        self.annotations = annotations
    }

    public var isVariadic: Bool { fixedParams != nil }

    /// The index of the parameter named `name`.
    func index(of name: String) -> Int? { params.firstIndex { $0.name == name } }
}
