import Foundation
import ManifoldCore
import ManifoldManifest
import ManifoldProtocol
import Testing
@testable import ManifoldPlugins

#if canImport(Glibc)
import Glibc
#endif

/// In-process calls through libffi: call interfaces prepared once, arguments converted from
/// JSON, results read back per type.
@Suite struct CallTests {
    static let libm = "libm.so.6"
    static let libc = "libc.so.6"

    @Test func libmDoubles() throws {
        let pow = try prepare(#"{"name": "pow", "params": [{"name": "x", "type": "f64"}, {"name": "y", "type": "f64"}], "returns": "f64"}"#, in: Self.libm)
        #expect(try structured(pow, #"{"x": 2, "y": 10}"#) == ["result": 1024])
        #expect(try structured(pow, #"{"y": 0.5, "x": 2}"#) == ["result": .double(Glibc.pow(2.0, 0.5))])
        #expect(try structured(pow, #"{"x": 10, "y": 400}"#) == ["result": "Infinity"])
        let text = try call(pow, #"{"x": 2, "y": 3}"#)["content"]?.arrayValue?.first
        #expect(text == ["type": "text", "text": "8"])
    }

    @Test func errnoCaptureAndFail() throws {
        let capture = try prepare(#"{"name": "log", "params": [{"name": "x", "type": "f64"}], "returns": "f64", "errno": "capture"}"#, in: Self.libm)
        #expect(try structured(capture, #"{"x": 1}"#) == ["result": 0, "errno": 0])
        #expect(try structured(capture, #"{"x": 0}"#) == ["result": "-Infinity", "errno": .int(ERANGE)])
        let fail = try prepare(#"{"name": "log", "params": [{"name": "x", "type": "f64"}], "returns": "f64", "errno": "fail"}"#, in: Self.libm)
        #expect(try errorText(fail, #"{"x": -1}"#) == "log failed: errno \(EDOM) (EDOM: Numerical argument out of domain)")
    }

    @Test func f32ArgumentsAndResults() throws {
        let cosf = try prepare(#"{"name": "cosf", "params": [{"name": "x", "type": "f32"}], "returns": "f32"}"#, in: Self.libm)
        let expected = Double(Foundation.cosf(Float(0.1)))
        #expect(try structured(cosf, #"{"x": 0.1}"#) == ["result": .double(expected)])
    }

    @Test func stringsInAndOut() throws {
        let strlen = try prepare(#"{"name": "strlen", "params": [{"name": "s", "type": "cstring"}], "returns": "size_t"}"#, in: Self.libc)
        #expect(try structured(strlen, #"{"s": "h\u00e9llo"}"#) == ["result": 6])
        #expect(try structured(strlen, #"{"s": ""}"#) == ["result": 0])
        let strtol = try prepare("""
            {"name": "strtol", "params": [{"name": "s", "type": "cstring"}, {"name": "rest", "type": "cstring", "out": true, "ownership": "borrowed"},
             {"name": "base", "type": "i32", "default": 10}], "returns": "i64", "errno": "capture"}
            """, in: Self.libc)
        #expect(try structured(strtol, #"{"s": "42 apples"}"#) == ["result": 42, "rest": " apples", "errno": 0])
        #expect(try structured(strtol, #"{"s": "zz", "base": 36}"#) == ["result": 1295, "rest": "", "errno": 0])
        #expect(try structured(strtol, #"{"s": "99999999999999999999"}"#) == ["result": .int(Int64.max), "rest": "", "errno": .int(ERANGE)])
        let strdup = try prepare(#"{"name": "strdup", "params": [{"name": "s", "type": "cstring"}], "returns": {"type": "cstring", "ownership": "freed", "free": "free"}}"#, in: Self.libc)
        #expect(try structured(strdup, #"{"s": "copy"}"#) == ["result": "copy"])
    }

    @Test func variadicWithFixedFormatAndOutString() throws {
        let snprintf = try prepare("""
            {"name": "fmt", "symbol": "snprintf", "params": [
               {"name": "out", "type": "cstring", "out": true, "capacity": 16},
               {"name": "size", "type": "size_t", "lengthOf": "out"},
               {"name": "format", "type": "cstring", "value": "%s|%d|%.2f|%lld"},
               {"name": "s", "type": "cstring"}, {"name": "i", "type": "i8"}, {"name": "f", "type": "f32"}, {"name": "l", "type": "i64"}],
             "variadic": {"fixed": 3}, "returns": "i32"}
            """, in: Self.libc)
        #expect(try structured(snprintf, #"{"s": "ab", "i": -5, "f": 1.25, "l": 7}"#) == ["result": 12, "out": "ab|-5|1.25|7"])
        // Truncated to the capacity (15 characters and the NUL), the full length reported.
        #expect(try structured(snprintf, #"{"s": "abcdefghij", "i": 1, "f": 0, "l": 123456789}"#)
            == ["result": 27, "out": "abcdefghij|1|0."])
    }

    @Test func callInterfacesArePreparedOnceWithPromotedVariadics() throws {
        let pow = try prepare(#"{"name": "pow", "params": [{"name": "x", "type": "f64"}, {"name": "y", "type": "f64"}], "returns": "f64"}"#, in: Self.libm)
        #expect(pow.preparedInterface.arguments == 2)
        #expect(pow.preparedInterface.argumentSizes == [8, 8])
        #expect(pow.preparedInterface.returnSize == 8)
        // printf-style: the fixed parameters as declared; i8, bool and f32 after '...' promoted
        // to int, int and double; pointers for strings and out-parameters.
        let snprintf = try prepare("""
            {"name": "fmt", "symbol": "snprintf", "params": [
               {"name": "out", "type": "cstring", "out": true, "capacity": 8}, {"name": "size", "type": "u32", "lengthOf": "out"},
               {"name": "format", "type": "cstring", "value": "%d%d%f"},
               {"name": "a", "type": "i8"}, {"name": "b", "type": "bool"}, {"name": "c", "type": "f32"}],
             "variadic": {"fixed": 3}, "returns": "i32"}
            """, in: Self.libc)
        #expect(snprintf.preparedInterface.argumentSizes == [8, 4, 8, 4, 4, 8])
        #expect(snprintf.preparedInterface.returnSize == 4)
        let void = try prepare(#"{"name": "srand", "params": [{"name": "seed", "type": "u32"}]}"#, in: Self.libc)
        #expect(void.preparedInterface.returnSize == 1, "ffi_type_void has size 1")
        #expect(try call(void, #"{"seed": 1}"#) == ["content": [["type": "text", "text": "OK"]]])
        guard FileManager.default.fileExists(atPath: ffiTestLibrary) else {
            Issue.record("libFFITest.so not built next to the tests (\(ffiTestLibrary))")
            return
        }
        let describe = try prepare("""
            {"name": "describe", "symbol": "ffitest_describe", "params": [
              {"name": "a", "type": "i8"}, {"name": "b", "type": "u8"}, {"name": "c", "type": "i16"}, {"name": "d", "type": "u16"},
              {"name": "e", "type": "i32"}, {"name": "f", "type": "u32"}, {"name": "g", "type": "i64"}, {"name": "h", "type": "u64"},
              {"name": "i", "type": "f32"}, {"name": "j", "type": "f64"}, {"name": "k", "type": "bool"}, {"name": "l", "type": "size_t"},
              {"name": "text", "type": "cstring", "out": true, "capacity": 200}, {"name": "cap", "type": "size_t", "lengthOf": "text"}],
             "returns": "i32"}
            """, in: ffiTestLibrary)
        // 14 arguments: 6 integer registers and 8 SSE registers are not enough; libffi lays out the stack once.
        #expect(describe.preparedInterface.arguments == 14)
        #expect(describe.preparedInterface.bytes > 0)
        for _ in 0..<3 {
            let out = try structured(describe, """
                {"a": -128, "b": 255, "c": -32768, "d": 65535, "e": -2147483648, "f": 4294967295, "g": -9223372036854775808,
                 "h": 18446744073709551615, "i": 1.5, "j": 0.25, "k": true, "l": 18446744073709551615}
                """)
            #expect(out["text"] == "-128 255 -32768 65535 -2147483648 4294967295 -9223372036854775808 18446744073709551615 1.5 0.25 true 18446744073709551615")
        }
    }

    @Test func everyIntegerWidthRoundTripsItsExtremes() throws {
        guard FileManager.default.fileExists(atPath: ffiTestLibrary) else {
            Issue.record("libFFITest.so not built next to the tests (\(ffiTestLibrary))")
            return
        }
        for scalar in FFIScalar.allCases where scalar.isInteger {
            let symbol = scalar == .size_t ? "ffitest_size" : "ffitest_\(scalar.rawValue)"
            let function = try prepare(#"{"name": "f", "symbol": "\#(symbol)", "params": [{"name": "x", "type": "\#(scalar.rawValue)"}], "returns": "\#(scalar.rawValue)"}"#, in: ffiTestLibrary)
            for value in [scalar.integerRange.lowerBound, scalar.integerRange.upperBound, 0, 1] {
                #expect(try structured(function, #"{"x": \#(value)}"#) == ["result": .number(String(value))], "\(scalar)")
            }
            let over = scalar.integerRange.upperBound + 1
            #expect(try errorText(function, #"{"x": \#(over)}"#)?.contains("argument 'x' must be an integer between") == true)
        }
    }

    @Test func outParametersBuffersAndFreedStrings() throws {
        guard FileManager.default.fileExists(atPath: ffiTestLibrary) else {
            Issue.record("libFFITest.so not built next to the tests (\(ffiTestLibrary))")
            return
        }
        let divmod = try prepare(#"{"name": "divmod", "symbol": "ffitest_divmod", "params": [{"name": "a", "type": "i32"}, {"name": "b", "type": "i32"}, {"name": "q", "type": "i32", "out": true}, {"name": "r", "type": "i32", "out": true}], "returns": "bool"}"#, in: ffiTestLibrary)
        #expect(try structured(divmod, #"{"a": 17, "b": 5}"#) == ["result": true, "q": 3, "r": 2])
        #expect(try structured(divmod, #"{"a": 1, "b": 0}"#) == ["result": false, "q": 0, "r": 0])
        let fill = try prepare(#"{"name": "fill", "symbol": "ffitest_fill", "params": [{"name": "bytes", "type": "buffer", "out": true, "capacity": 4, "lengthFrom": "return"}, {"name": "cap", "type": "size_t", "lengthOf": "bytes"}, {"name": "seed", "type": "u8"}, {"name": "count", "type": "size_t"}], "returns": "size_t"}"#, in: ffiTestLibrary)
        #expect(try structured(fill, #"{"seed": 0, "count": 3}"#) == ["result": 3, "bytes": .string(FFIBase64.encode([0, 7, 14]))])
        #expect(try structured(fill, #"{"seed": 0, "count": 99}"#) == ["result": 4, "bytes": .string(FFIBase64.encode([0, 7, 14, 21]))])
        let fnv = try prepare(#"{"name": "fnv", "symbol": "ffitest_fnv1a", "params": [{"name": "data", "type": "buffer"}, {"name": "len", "type": "size_t", "lengthOf": "data"}], "returns": "u32"}"#, in: ffiTestLibrary)
        #expect(try structured(fnv, #"{"data": "aGVsbG8="}"#) == ["result": .int(ffitest_fnv1a_reference(Array("hello".utf8)))])
        let repeat_ = try prepare(#"{"name": "repeat", "symbol": "ffitest_repeat", "params": [{"name": "s", "type": "cstring"}, {"name": "times", "type": "i32"}], "returns": {"type": "cstring", "ownership": "freed", "free": "ffitest_free"}}"#, in: ffiTestLibrary)
        let upper = try prepare(#"{"name": "upper", "symbol": "ffitest_upper_dup", "params": [{"name": "s", "type": "cstring"}, {"name": "u", "type": "cstring", "out": true, "ownership": "freed", "free": "ffitest_free"}]}"#, in: ffiTestLibrary)
        let live = try prepare(#"{"name": "live", "symbol": "ffitest_live_allocations", "returns": "i32"}"#, in: ffiTestLibrary)
        let before = try structured(live, "{}")
        for _ in 0..<50 {
            #expect(try structured(repeat_, #"{"s": "ab", "times": 2}"#) == ["result": "abab"])
            #expect(try structured(upper, #"{"s": "ab"}"#) == ["u": "AB"])
        }
        #expect(try structured(repeat_, #"{"s": "ab", "times": -1}"#) == ["result": .null])
        #expect(try structured(live, "{}") == before, "every string handed out was freed")
    }

    @Test func variadicPromotions() throws {
        guard FileManager.default.fileExists(atPath: ffiTestLibrary) else {
            Issue.record("libFFITest.so not built next to the tests (\(ffiTestLibrary))")
            return
        }
        let small = try prepare(#"{"name": "s", "symbol": "ffitest_sum_small", "params": [{"name": "n", "type": "i32", "value": 4}, {"name": "a", "type": "i8"}, {"name": "b", "type": "u8"}, {"name": "c", "type": "u16"}, {"name": "d", "type": "bool"}], "variadic": {"fixed": 1}, "returns": "i32"}"#, in: ffiTestLibrary)
        #expect(try structured(small, #"{"a": -1, "b": 200, "c": 65535, "d": true}"#) == ["result": .int(-1 + 200 + 65535 + 1)])
        let avg = try prepare(#"{"name": "a", "symbol": "ffitest_avg_f64", "params": [{"name": "n", "type": "i32", "value": 2}, {"name": "a", "type": "f32"}, {"name": "b", "type": "f32"}], "variadic": {"fixed": 1}, "returns": "f64"}"#, in: ffiTestLibrary)
        #expect(try structured(avg, #"{"a": 0.1, "b": 0.3}"#) == ["result": .double((Double(Float(0.1)) + Double(Float(0.3))) / 2)])
    }
}

/// FNV-1a 32-bit, as ffitest_fnv1a computes it.
func ffitest_fnv1a_reference(_ bytes: [UInt8]) -> UInt32 {
    var h: UInt32 = 2166136261
    for b in bytes { h ^= UInt32(b); h = h &* 16777619 }
    return h
}

/// The bridge's own cost per call (conversion, frame, libffi, result writing), without any
/// transport: printed for Benchmarks/ffi/README.md, bounded loosely against regressions.
@Suite struct CallCostTests {
    @Test func oneCallCostsMicroseconds() throws {
        let abs = try prepare(#"{"name": "labs", "params": [{"name": "n", "type": "i64"}], "returns": "i64"}"#, in: "libc.so.6")
        let strlen = try prepare(#"{"name": "strlen", "params": [{"name": "s", "type": "cstring"}], "returns": "size_t"}"#, in: "libc.so.6")
        let arguments = Array(#"{"n": -123456}"#.utf8)
        let text = Array(#"{"s": "hello, world"}"#.utf8)
        let calls = 20_000
        var bytes = 0
        let clock = ContinuousClock()
        let integer = clock.measure { for _ in 0..<calls { bytes &+= abs.call(arguments: arguments).count } }
        let string = clock.measure { for _ in 0..<calls { bytes &+= strlen.call(arguments: text).count } }
        let perInteger = integer / calls
        let perString = string / calls
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        print("ffi call cost (\(build) build): labs(i64) \(perInteger), strlen(cstring) \(perString) [\(bytes) bytes]")
        #expect(perInteger < .milliseconds(1))
        #expect(perString < .milliseconds(1))
    }
}
