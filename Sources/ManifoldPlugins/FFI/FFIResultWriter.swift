import ManifoldProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One value of a result, as read back from C.
enum FFIResultValue {
    case integer(Int128)
    /// Non-finite values are written as the strings "Infinity", "-Infinity", "NaN".
    case float(Double)
    case bool(Bool)
    case string(String)
    /// Written as base64 (the pointer is only read during `member`).
    case base64(UnsafeRawBufferPointer)
    case null
}

/// Writes a CallToolResult straight to bytes: `structuredContent` with one member per output
/// (`result`, out-parameters, `errno`), and the same as a text block — just the value when the
/// only output is `result` (`"8"`, `"Hello"`), the JSON object otherwise.
struct FFIResultWriter {
    private var structured = JSONWriter(capacity: 128)
    private var count = 0
    private var firstKeyIsResult = false
    private var firstText: String?

    mutating func member(_ key: String, _ value: FFIResultValue) {
        structured.raw(count == 0 ? "{" : ",")
        structured.string(key)
        structured.raw(":")
        let start = structured.bytes.count
        switch value {
        case .integer(let v): structured.raw(String(v).utf8)
        case .float(let d): Self.write(d, to: &structured)
        case .bool(let b): structured.bool(b)
        case .string(let s): structured.string(s)
        case .base64(let bytes):
            structured.raw("\"")
            FFIBase64.encode(bytes, into: &structured.bytes)
            structured.raw("\"")
        case .null: structured.raw("null")
        }
        if count == 0 {
            firstKeyIsResult = key == "result"
            if case .string(let s) = value {
                firstText = s
            } else if case .float(let d) = value, !d.isFinite {
                firstText = d.isNaN ? "NaN" : d < 0 ? "-Infinity" : "Infinity"
            } else {
                firstText = String(decoding: structured.bytes[start...], as: UTF8.self)
            }
        }
        count += 1
    }

    static func write(_ value: Double, to writer: inout JSONWriter) {
        if value.isNaN {
            writer.raw("\"NaN\"")
        } else if value.isInfinite {
            if value < 0 { writer.raw("\"-Infinity\"") } else { writer.raw("\"Infinity\"") }
        } else {
            writer.value(.double(value))
        }
    }

    /// The CallToolResult. `errnoNote` is appended to the text when errno was set.
    mutating func finish(errnoNote: String?) -> [UInt8] {
        var writer = JSONWriter(capacity: structured.bytes.count * 2 + 64)
        guard count > 0 else {
            writer.raw(#"{"content":[{"type":"text","text":"OK"}]}"#)
            return writer.bytes
        }
        structured.raw("}")
        var text = count == 1 && firstKeyIsResult ? firstText ?? "" : String(decoding: structured.bytes, as: UTF8.self)
        if let errnoNote { text += " — \(errnoNote)" }
        writer.raw(#"{"content":[{"type":"text","text":"#)
        writer.string(text)
        writer.raw(#"}],"structuredContent":"#)
        writer.raw(structured.bytes)
        writer.raw("}")
        return writer.bytes
    }

    /// A tool error result (`isError: true`) with one text block.
    static func error(_ message: String) -> [UInt8] {
        var writer = JSONWriter(capacity: message.utf8.count + 64)
        writer.raw(#"{"content":[{"type":"text","text":"#)
        writer.string(message)
        writer.raw(#"}],"isError":true}"#)
        return writer.bytes
    }
}

/// errno values by name, for messages: "34 (ERANGE: Numerical result out of range)".
enum FFIErrno {
    static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO",
        E2BIG: "E2BIG", ENOEXEC: "ENOEXEC", EBADF: "EBADF", ECHILD: "ECHILD", EAGAIN: "EAGAIN",
        ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST",
        EXDEV: "EXDEV", ENODEV: "ENODEV", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL",
        ENFILE: "ENFILE", EMFILE: "EMFILE", ENOTTY: "ENOTTY", EFBIG: "EFBIG", ENOSPC: "ENOSPC",
        ESPIPE: "ESPIPE", EROFS: "EROFS", EMLINK: "EMLINK", EPIPE: "EPIPE", EDOM: "EDOM", ERANGE: "ERANGE",
        ENAMETOOLONG: "ENAMETOOLONG", ENOSYS: "ENOSYS", ENOTEMPTY: "ENOTEMPTY", EILSEQ: "EILSEQ",
        EOVERFLOW: "EOVERFLOW", ETIMEDOUT: "ETIMEDOUT", ENOTSUP: "ENOTSUP",
    ]

    /// "ERANGE: Numerical result out of range"
    static func describe(_ code: Int32) -> String {
        let message = strerror(code).map { String(cString: $0) } ?? "unknown error"
        return names[code].map { "\($0): \(message)" } ?? message
    }
}
