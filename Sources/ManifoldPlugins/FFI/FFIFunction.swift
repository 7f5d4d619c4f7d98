@preconcurrency import CFFI
import ManifoldProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a function could not be prepared (at load).
public struct FFIPrepareError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// One C function ready to be called as a tool: its libffi call interface prepared once (at
/// load), the tool definition built once, constants (fixed and default values) converted once.
/// `call(arguments:)` converts the JSON arguments straight into a call frame, calls, and writes
/// the CallToolResult — thread-safe, nothing shared is mutated per call.
public final class FFIFunction: @unchecked Sendable {
    public let spec: FFIFunctionSpec
    /// The MCP Tool object.
    public let definition: JSONObject
    private let symbol: UnsafeRawPointer
    private let cif: UnsafeMutablePointer<ffi_cif>
    private let argTypes: UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>
    /// Per parameter: the scalar type its slot holds (after variadic promotion), nil for pointers.
    private let slotTypes: [FFIScalar?]
    /// Client-visible parameter names → index.
    private let lookup: [String: Int]
    /// Which parameters a client may pass.
    private let clientParams: [Bool]
    /// 8-byte cells holding each fixed / default value as its slot would (pointers to C copies
    /// for strings and buffers), and the byte length of buffer constants.
    private let constantCells: UnsafeMutableRawPointer
    private let constantLengths: [Int]
    private var constantAllocations: [UnsafeMutableRawPointer] = []
    /// Resolved free functions: for the return value and per parameter.
    private let returnFree: UnsafeRawPointer?
    private let paramFree: [UnsafeRawPointer?]
    /// "tool (symbol)" as a C string, for the crash message of a runner.
    private let label: UnsafeMutablePointer<CChar>
    private let paramCount: Int

    /// Prepares `spec` for the function at `symbol`. `freeFunctions` resolves the names of
    /// `ownership: freed` functions.
    public init(spec: FFIFunctionSpec, symbol: UnsafeRawPointer, freeFunctions: [String: UnsafeRawPointer])
        throws(FFIPrepareError)
    {
        self.spec = spec
        self.symbol = symbol
        let n = spec.params.count
        paramCount = n
        var slotTypes: [FFIScalar?] = []
        argTypes = .allocate(capacity: max(n, 1))
        for (i, param) in spec.params.enumerated() {
            let variadic = spec.fixedParams.map { i >= $0 } ?? false
            switch param.kind {
            case .scalar(let scalar), .length(let scalar, _):
                let passed = variadic ? scalar.promotedForVarargs : scalar
                slotTypes.append(passed)
                argTypes[i] = passed.ffiType
            default:
                slotTypes.append(nil)
                argTypes[i] = manifold_ffi_pointer()
            }
        }
        self.slotTypes = slotTypes
        let returnType: UnsafeMutablePointer<ffi_type>
        switch spec.returns {
        case .void: returnType = manifold_ffi_void()
        case .scalar(let scalar): returnType = scalar.ffiType
        case .cstring: returnType = manifold_ffi_pointer()
        }
        cif = .allocate(capacity: 1)
        cif.initialize(to: ffi_cif())
        let status: ffi_status
        if let fixed = spec.fixedParams {
            status = manifold_ffi_prep_cif_var(cif, UInt32(fixed), UInt32(n), returnType, argTypes)
        } else {
            status = manifold_ffi_prep_cif(cif, UInt32(n), returnType, argTypes)
        }
        label = strdup("\(spec.name) (\(spec.symbol))")!
        constantCells = .allocate(byteCount: 8 * max(n, 1), alignment: 16)
        constantCells.initializeMemory(as: UInt8.self, repeating: 0, count: 8 * max(n, 1))

        var lookup: [String: Int] = [:]
        var clientParams: [Bool] = []
        var lengths = [Int](repeating: 0, count: n)
        for (i, param) in spec.params.enumerated() {
            var client = param.fixed == nil && param.kind.isInput
            if case .length(_, let target) = param.kind, !spec.params[target].kind.isInBuffer {
                client = false  // the capacity of an out-buffer or out-string: the bridge's
            }
            clientParams.append(client)
            if client { lookup[param.name] = i }
        }
        self.lookup = lookup
        self.clientParams = clientParams

        returnFree = {
            if case .cstring(.freed(let name)) = spec.returns { return freeFunctions[name] }
            return nil
        }()
        paramFree = spec.params.map { param in
            if case .outStringRef(.freed(let name)) = param.kind { return freeFunctions[name] }
            return nil
        }
        definition = spec.toolDefinition()

        // Constants, converted once.
        var allocations: [UnsafeMutableRawPointer] = []
        for (i, param) in spec.params.enumerated() {
            guard let constant = param.fixed ?? param.defaultValue else { continue }
            let cell = constantCells + 8 * i
            switch constant {
            case .string(let bytes):
                let copy = FFIFunction.copy(bytes, terminate: true)
                allocations.append(copy)
                cell.storeBytes(of: copy, as: UnsafeMutableRawPointer.self)
            case .bytes(let bytes):
                let copy = FFIFunction.copy(bytes, terminate: false)
                allocations.append(copy)
                cell.storeBytes(of: copy, as: UnsafeMutableRawPointer.self)
                lengths[i] = bytes.count
            case .null:
                cell.storeBytes(of: 0, as: UInt.self)
            case .integer(let v):
                FFIFunction.store(.integer(v), as: slotTypes[i]!, at: cell)
            case .float(let v):
                let rounded = param.kind == .scalar(.f32) ? Double(Float(v)) : v
                FFIFunction.store(.float(rounded), as: slotTypes[i]!, at: cell)
            case .bool(let v):
                FFIFunction.store(.bool(v), as: slotTypes[i]!, at: cell)
            }
        }
        constantLengths = lengths
        constantAllocations = allocations

        guard status == FFI_OK else {
            let why: String
            switch status {
            case FFI_BAD_TYPEDEF: why = "FFI_BAD_TYPEDEF"
            case FFI_BAD_ABI: why = "FFI_BAD_ABI"
            case FFI_BAD_ARGTYPE: why = "FFI_BAD_ARGTYPE"
            default: why = "status \(status.rawValue)"
            }
            throw FFIPrepareError(description: "libffi could not prepare the call interface of '\(spec.name)' (\(spec.symbol)): \(why)")
        }
    }

    /// What libffi prepared (for tests and `inspect`): the argument count, each argument's
    /// size and the return value's size, as the call interface holds them.
    var preparedInterface: (arguments: Int, argumentSizes: [Int], returnSize: Int, bytes: Int) {
        let cif = self.cif.pointee
        let count = Int(cif.nargs)
        let sizes = (0..<count).map { Int(cif.arg_types[$0]!.pointee.size) }
        return (count, sizes, Int(cif.rtype.pointee.size), Int(cif.bytes))
    }

    deinit {
        for allocation in constantAllocations { free(allocation) }
        constantCells.deallocate()
        cif.deinitialize(count: 1)
        cif.deallocate()
        argTypes.deallocate()
        free(label)
    }

    /// A malloc'd copy of `bytes` (never NULL, at least one byte), NUL-terminated if asked.
    static func copy(_ bytes: [UInt8], terminate: Bool) -> UnsafeMutableRawPointer {
        let size = bytes.count + (terminate ? 1 : 0)
        let memory = malloc(max(size, 1))!
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { memory.copyMemory(from: base, byteCount: bytes.count) }
        }
        if terminate { memory.storeBytes(of: 0, toByteOffset: bytes.count, as: UInt8.self) }
        return memory
    }

    /// Writes a checked value into an 8-byte slot as the C type `type`.
    static func store(_ value: FFIValue, as type: FFIScalar, at slot: UnsafeMutableRawPointer) {
        let integer: Int128
        var real: Double = 0
        switch value {
        case .integer(let v): integer = v; real = Double(v)
        case .bool(let b): integer = b ? 1 : 0; real = Double(integer)
        case .float(let d): integer = 0; real = d
        default: integer = 0
        }
        switch type {
        case .i8: slot.storeBytes(of: Int8(truncatingIfNeeded: integer), as: Int8.self)
        case .i16: slot.storeBytes(of: Int16(truncatingIfNeeded: integer), as: Int16.self)
        case .i32: slot.storeBytes(of: Int32(truncatingIfNeeded: integer), as: Int32.self)
        case .i64: slot.storeBytes(of: Int64(truncatingIfNeeded: integer), as: Int64.self)
        case .u8, .bool: slot.storeBytes(of: UInt8(truncatingIfNeeded: integer), as: UInt8.self)
        case .u16: slot.storeBytes(of: UInt16(truncatingIfNeeded: integer), as: UInt16.self)
        case .u32: slot.storeBytes(of: UInt32(truncatingIfNeeded: integer), as: UInt32.self)
        case .u64: slot.storeBytes(of: UInt64(truncatingIfNeeded: integer), as: UInt64.self)
        case .size_t: slot.storeBytes(of: UInt(truncatingIfNeeded: integer), as: UInt.self)
        case .f32: slot.storeBytes(of: Float(real), as: Float.self)
        case .f64:
            // A variadic f32 is promoted: round to float first, as C would have.
            slot.storeBytes(of: real, as: Double.self)
        }
    }

    // MARK: Calling

    /// The frame of one call: argument slots, out-parameter cells, the return cell and the
    /// pointer array libffi reads, in one allocation; plus the strings and buffers allocated
    /// for the call.
    private struct Frame {
        let memory: UnsafeMutableRawPointer
        let count: Int
        var allocations: [UnsafeMutableRawPointer] = []
        /// Byte length of each in-buffer argument.
        var lengths: [Int]

        init(count: Int) {
            self.count = count
            let bytes = 8 * count * 3 + 16
            memory = .allocate(byteCount: bytes, alignment: 16)
            memory.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            lengths = [Int](repeating: 0, count: count)
        }

        var avalues: UnsafeMutablePointer<UnsafeMutableRawPointer?> {
            memory.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        }
        func slot(_ i: Int) -> UnsafeMutableRawPointer { memory + 8 * count + 8 * i }
        func outCell(_ i: Int) -> UnsafeMutableRawPointer { memory + 16 * count + 8 * i }
        var returnCell: UnsafeMutableRawPointer { memory + 24 * count }

        mutating func allocate(_ bytes: [UInt8], terminate: Bool) -> UnsafeMutableRawPointer {
            let copy = FFIFunction.copy(bytes, terminate: terminate)
            allocations.append(copy)
            return copy
        }

        mutating func allocateZeroed(_ size: Int) -> UnsafeMutableRawPointer {
            let memory = calloc(max(size, 1), 1)!
            allocations.append(memory)
            return memory
        }

        func release() {
            for allocation in allocations { free(allocation) }
            memory.deallocate()
        }
    }

    /// Calls the function with a JSON arguments object (empty bytes mean `{}`) and returns the
    /// CallToolResult as JSON. Argument problems become `isError` results naming the parameter.
    public func call(arguments: UnsafeRawBufferPointer) -> [UInt8] {
        var frame = Frame(count: paramCount)
        defer { frame.release() }
        if let failure = fill(&frame, arguments: arguments) {
            return FFIResultWriter.error("Invalid arguments for '\(spec.name)': \(failure.message)")
        }
        var savedErrno: Int32 = 0
        let fn = unsafeBitCast(symbol, to: (@convention(c) () -> Void).self)
        let captures = spec.errno != nil
        withUnsafeMutablePointer(to: &savedErrno) { errnoCell in
            manifold_ffi_call(cif, fn, frame.returnCell, frame.avalues, captures ? errnoCell : nil, label)
        }
        return result(frame, errno: savedErrno)
    }

    /// Installs the runner's crash handlers. It lives in this file on purpose: the C helpers
    /// of the shim are `static inline`, emitted once per Swift file that uses them, and the
    /// handler must read the same thread-local label `manifold_ffi_call` writes.
    static func installCrashReporter() {
        manifold_ffi_install_crash_handlers()
    }

    public func call(arguments: [UInt8]) -> [UInt8] {
        arguments.withUnsafeBytes { call(arguments: $0) }
    }

    /// Converts the arguments into the frame; returns the first problem.
    private func fill(_ frame: inout Frame, arguments: UnsafeRawBufferPointer) -> FFIArgumentError? {
        var provided = [Bool](repeating: false, count: paramCount)
        var clientLength = [Int128?](repeating: nil, count: paramCount)
        var failure: FFIArgumentError?
        var empty = true
        for byte in arguments where !(byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09) { empty = false; break }
        if !empty {
            var scanner = JSONScanner(arguments)
            scanner.skipWhitespace()
            if scanner.peek() == UInt8(ascii: "n") {
                // `arguments: null` is `{}`.
            } else if scanner.peek() != UInt8(ascii: "{") {
                return FFIArgumentError(parameter: nil, reason: "the arguments must be a JSON object")
            } else {
                do {
                    try scanner.forEachMember { (key, scanner: inout JSONScanner) throws(JSONSyntaxError) in
                        guard failure == nil else { _ = try scanner.skipValue(); return }
                        guard let i = lookup[key] else {
                            _ = try scanner.skipValue()
                            let known = spec.params.indices.filter { clientParams[$0] }.map { spec.params[$0].name }
                            failure = FFIArgumentError(parameter: key, reason: "is unknown (this tool takes: \(known.isEmpty ? "no arguments" : known.joined(separator: ", ")))")
                            return
                        }
                        guard !provided[i] else {
                            _ = try scanner.skipValue()
                            failure = FFIArgumentError(parameter: key, reason: "is given twice")
                            return
                        }
                        provided[i] = true
                        switch try FFIArgumentReader.read(&scanner, for: spec.params[i]) {
                        case .failure(let error):
                            failure = error
                        case .success(let value):
                            place(value, param: i, into: &frame, clientLength: &clientLength)
                        }
                    }
                } catch {
                    return FFIArgumentError(parameter: nil, reason: "the arguments are not valid JSON: \(error)")
                }
            }
        }
        if let failure { return failure }

        // Fixed, default, derived and out parameters; missing ones.
        for (i, param) in spec.params.enumerated() where !provided[i] {
            let slot = frame.slot(i)
            frame.avalues[i] = slot
            if param.fixed != nil || param.defaultValue != nil {
                slot.copyMemory(from: constantCells + 8 * i, byteCount: 8)
                frame.lengths[i] = constantLengths[i]
                continue
            }
            switch param.kind {
            case .scalar, .cstring, .buffer:
                return FFIArgumentError(parameter: param.name, reason: "is missing (it is required)")
            case .length:
                break  // below, once every buffer is known
            case .outScalar:
                slot.storeBytes(of: frame.outCell(i), as: UnsafeMutableRawPointer.self)
            case .outStringRef:
                slot.storeBytes(of: frame.outCell(i), as: UnsafeMutableRawPointer.self)
            case .outString(let capacity):
                // One spare byte, always zero: the copy never reads past the buffer.
                slot.storeBytes(of: frame.allocateZeroed(capacity + 1), as: UnsafeMutableRawPointer.self)
            case .outBuffer(let capacity, _):
                slot.storeBytes(of: frame.allocateZeroed(capacity), as: UnsafeMutableRawPointer.self)
            }
        }
        for (i, param) in spec.params.enumerated() {
            guard case .length(let scalar, let target) = param.kind else { continue }
            let actual: Int
            switch spec.params[target].kind {
            case .outString(let capacity), .outBuffer(let capacity, _): actual = capacity
            default: actual = frame.lengths[target]
            }
            if let given = clientLength[i], given != Int128(actual) {
                return FFIArgumentError(parameter: param.name, reason: "is \(given) but '\(spec.params[target].name)' decodes to \(actual) bytes")
            }
            guard scalar.integerRange.contains(Int128(actual)) else {
                return FFIArgumentError(parameter: spec.params[target].name,
                                        reason: "is \(actual) bytes long, more than '\(param.name)' (\(scalar.rawValue)) can express")
            }
            let slot = frame.slot(i)
            frame.avalues[i] = slot
            FFIFunction.store(.integer(Int128(actual)), as: slotTypes[i]!, at: slot)
        }
        return nil
    }

    /// Writes a client's value into its slot.
    private func place(_ value: FFIValue, param i: Int, into frame: inout Frame, clientLength: inout [Int128?]) {
        let slot = frame.slot(i)
        frame.avalues[i] = slot
        switch value {
        case .string(let bytes):
            slot.storeBytes(of: frame.allocate(bytes, terminate: true), as: UnsafeMutableRawPointer.self)
        case .bytes(let bytes):
            slot.storeBytes(of: frame.allocate(bytes, terminate: false), as: UnsafeMutableRawPointer.self)
            frame.lengths[i] = bytes.count
        case .null:
            slot.storeBytes(of: 0, as: UInt.self)
        case .integer(let v):
            if case .length = spec.params[i].kind {
                clientLength[i] = v  // checked and written once the buffer is known
            } else {
                FFIFunction.store(value, as: slotTypes[i]!, at: slot)
            }
        case .float(let d):
            // f32 parameters round here (and a variadic f32, promoted, is written as double).
            if case .scalar(.f32) = spec.params[i].kind {
                FFIFunction.store(.float(Double(Float(d))), as: slotTypes[i]!, at: slot)
            } else {
                FFIFunction.store(value, as: slotTypes[i]!, at: slot)
            }
        case .bool:
            FFIFunction.store(value, as: slotTypes[i]!, at: slot)
        }
    }

    // MARK: Results

    private func result(_ frame: Frame, errno: Int32) -> [UInt8] {
        var out = FFIResultWriter()
        var returnedLength: Int128?
        switch spec.returns {
        case .void:
            break
        case .scalar(let scalar):
            let value = Self.loadReturn(scalar, from: frame.returnCell)
            if case .integer(let v) = value { returnedLength = v }
            out.member("result", value)
        case .cstring(let ownership):
            let pointer = frame.returnCell.load(as: UnsafeMutablePointer<CChar>?.self)
            out.member("result", pointer.map { .string(Self.copyString($0, limit: nil)) } ?? .null)
            if let pointer, case .freed = ownership, let freeFunction = returnFree {
                manifold_ffi_call_free(unsafeBitCast(freeFunction, to: (@convention(c) () -> Void).self), pointer)
            }
        }
        for (i, param) in spec.params.enumerated() {
            switch param.kind {
            case .outScalar(let scalar):
                out.member(param.name, Self.load(scalar, from: frame.outCell(i)))
            case .outString(let capacity):
                let buffer = frame.slot(i).load(as: UnsafeMutablePointer<CChar>.self)
                out.member(param.name, .string(Self.copyString(buffer, limit: capacity)))
            case .outStringRef(let ownership):
                let pointer = frame.outCell(i).load(as: UnsafeMutablePointer<CChar>?.self)
                out.member(param.name, pointer.map { .string(Self.copyString($0, limit: nil)) } ?? .null)
                if let pointer, case .freed = ownership, let freeFunction = paramFree[i] {
                    manifold_ffi_call_free(unsafeBitCast(freeFunction, to: (@convention(c) () -> Void).self), pointer)
                }
            case .outBuffer(let capacity, let source):
                var length = capacity
                switch source {
                case .capacity: break
                case .returnValue: length = Int(max(0, min(Int128(capacity), returnedLength ?? 0)))
                case .parameter(let p):
                    if case .outScalar(let scalar) = spec.params[p].kind, case .integer(let v) = Self.load(scalar, from: frame.outCell(p)) {
                        length = Int(max(0, min(Int128(capacity), v)))
                    }
                }
                let buffer = frame.slot(i).load(as: UnsafeRawPointer.self)
                out.member(param.name, .base64(UnsafeRawBufferPointer(start: buffer, count: length)))
            default:
                break
            }
        }
        if spec.errno != nil {
            out.member("errno", .integer(Int128(errno)))
            if spec.errno == .fail, errno != 0 {
                return FFIResultWriter.error("\(spec.symbol) failed: errno \(errno) (\(FFIErrno.describe(errno)))")
            }
        }
        return out.finish(errnoNote: spec.errno != nil && errno != 0 ? "errno \(errno) (\(FFIErrno.describe(errno)))" : nil)
    }

    /// A scalar return value: libffi widens integers narrower than a register to `ffi_arg`.
    static func loadReturn(_ scalar: FFIScalar, from cell: UnsafeRawPointer) -> FFIResultValue {
        switch scalar {
        case .f32: return .float(Double(cell.load(as: Float.self)))
        case .f64: return .float(cell.load(as: Double.self))
        case .bool: return .bool(UInt8(truncatingIfNeeded: cell.load(as: UInt64.self)) != 0)
        default:
            let wide = cell.load(as: UInt64.self)
            switch scalar {
            case .i8: return .integer(Int128(Int8(truncatingIfNeeded: wide)))
            case .i16: return .integer(Int128(Int16(truncatingIfNeeded: wide)))
            case .i32: return .integer(Int128(Int32(truncatingIfNeeded: wide)))
            case .i64: return .integer(Int128(Int64(bitPattern: wide)))
            case .u8: return .integer(Int128(UInt8(truncatingIfNeeded: wide)))
            case .u16: return .integer(Int128(UInt16(truncatingIfNeeded: wide)))
            case .u32: return .integer(Int128(UInt32(truncatingIfNeeded: wide)))
            default: return .integer(Int128(wide))
            }
        }
    }

    /// An out-parameter cell, read as exactly its type.
    static func load(_ scalar: FFIScalar, from cell: UnsafeRawPointer) -> FFIResultValue {
        switch scalar {
        case .i8: return .integer(Int128(cell.load(as: Int8.self)))
        case .i16: return .integer(Int128(cell.load(as: Int16.self)))
        case .i32: return .integer(Int128(cell.load(as: Int32.self)))
        case .i64: return .integer(Int128(cell.load(as: Int64.self)))
        case .u8: return .integer(Int128(cell.load(as: UInt8.self)))
        case .u16: return .integer(Int128(cell.load(as: UInt16.self)))
        case .u32: return .integer(Int128(cell.load(as: UInt32.self)))
        case .u64: return .integer(Int128(cell.load(as: UInt64.self)))
        case .size_t: return .integer(Int128(cell.load(as: UInt.self)))
        case .f32: return .float(Double(cell.load(as: Float.self)))
        case .f64: return .float(cell.load(as: Double.self))
        case .bool: return .bool(cell.load(as: UInt8.self) != 0)
        }
    }

    /// A C string copied into Swift (invalid UTF-8 repaired), reading at most `limit` bytes.
    static func copyString(_ pointer: UnsafePointer<CChar>, limit: Int?) -> String {
        let length = limit.map { strnlen(pointer, $0) } ?? strlen(pointer)
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
    static func copyString(_ pointer: UnsafeMutablePointer<CChar>, limit: Int?) -> String {
        copyString(UnsafePointer(pointer), limit: limit)
    }
}
