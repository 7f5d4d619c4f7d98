import ManifoldProtocol
import Testing
@testable import ManifoldPlugins

/// JSON → C conversion failures: each an isError result naming the parameter, the C function
/// never called.
@Suite struct ConversionTests {
    static let function: FFIFunction = {
        // strlen is never reached by a failing conversion; any successful call is harmless.
        try! prepare("""
            {"name": "f", "symbol": "strlen", "params": [
               {"name": "s", "type": "cstring"},
               {"name": "i", "type": "i8", "default": 0},
               {"name": "u", "type": "u64", "default": 0},
               {"name": "d", "type": "f64", "default": 0},
               {"name": "g", "type": "f32", "default": 0},
               {"name": "b", "type": "bool", "default": false},
               {"name": "data", "type": "buffer", "default": ""},
               {"name": "len", "type": "u8", "lengthOf": "data"},
               {"name": "fixed", "type": "i32", "value": 1},
               {"name": "n", "type": "cstring", "nullable": true, "default": null},
               {"name": "narrow", "type": "i32", "minimum": 1, "maximum": 10, "default": 1}],
             "returns": "size_t"}
            """, in: "libc.so.6")
    }()

    @Test(arguments: [
        (#"{"s": "x", "i": 128}"#, "argument 'i' must be an integer between -128 and 127 (i8), found 128"),
        (#"{"s": "x", "i": -129}"#, "argument 'i' must be an integer between -128 and 127 (i8), found -129"),
        (#"{"s": "x", "i": 1.5}"#, "argument 'i' must be an integer between -128 and 127 (i8), found 1.5"),
        (#"{"s": "x", "i": "1"}"#, "argument 'i' must be an integer between -128 and 127 (i8), found a string"),
        (#"{"s": "x", "i": true}"#, "argument 'i' must be an integer between -128 and 127 (i8), found a boolean"),
        (#"{"s": "x", "u": -1}"#, "argument 'u' must be an integer between 0 and 18446744073709551615 (u64), found -1"),
        (#"{"s": "x", "u": 18446744073709551616}"#, "argument 'u' must be an integer between 0 and 18446744073709551615 (u64), found 18446744073709551616"),
        (#"{"s": "x", "d": "NaN"}"#, "argument 'd' must be a number (f64), found a string"),
        (#"{"s": "x", "d": 1e400}"#, "argument 'd' must be a finite number (f64), found 1e400"),
        (#"{"s": "x", "g": 1e39}"#, "argument 'g' must be a number within ±3.4028235e+38 (f32), found 1e39"),
        (#"{"s": "x", "b": 0}"#, "argument 'b' must be true or false, found a number"),
        (#"{"s": 5}"#, "argument 's' must be a string, found a number"),
        (#"{"s": null}"#, "argument 's' must be a string, found null"),
        (#"{"s": "a\u0000b"}"#, "argument 's' contains a NUL character (\\u0000) at byte 1, which a C string cannot hold"),
        (#"{"s": "x", "n": "\u0000"}"#, "argument 'n' contains a NUL character (\\u0000) at byte 0, which a C string cannot hold"),
        (#"{"s": "x", "data": "!!!!"}"#, "argument 'data' is not valid base64: invalid character '!' at offset 0"),
        (#"{"s": "x", "data": 12}"#, "argument 'data' must be a base64 string, found a number"),
        (#"{"s": "x", "data": "aGk=", "len": 3}"#, "argument 'len' is 3 but 'data' decodes to 2 bytes"),
        (#"{"s": "x", "data": "aGk=", "len": -1}"#, "argument 'len' must be an integer between 0 and 255 (u8), found -1"),
        (#"{"s": "x", "data": "\#(String(repeating: "A", count: 344))"}"#, "argument 'data' is 258 bytes long, more than 'len' (u8) can express"),
        (#"{"s": "x", "fixed": 2}"#, "argument 'fixed' is unknown (this tool takes: s, i, u, d, g, b, data, len, n, narrow)"),
        (#"{"s": "x", "zz": 2}"#, "argument 'zz' is unknown (this tool takes: s, i, u, d, g, b, data, len, n, narrow)"),
        (#"{"s": "x", "s": "y"}"#, "argument 's' is given twice"),
        (#"{"i": 1}"#, "argument 's' is missing (it is required)"),
        (#"{}"#, "argument 's' is missing (it is required)"),
        (#"[1]"#, "the arguments must be a JSON object"),
        (#"{"s": "x", "narrow": 11}"#, "argument 'narrow' must be an integer between 1 and 10 (i32), found 11"),
        (#"{"s": "x", "#, "the arguments are not valid JSON"),
    ])
    func failuresNameTheParameter(arguments: String, expected: String) throws {
        let text = try errorText(Self.function, arguments)
        #expect(text?.hasPrefix("Invalid arguments for 'f': " + expected) == true, "\(text ?? "nil")")
    }

    @Test func validCallsStillWork() throws {
        #expect(try structured(Self.function, #"{"s": "hello"}"#) == ["result": 5])
        #expect(try structured(Self.function, #"{"s": "h\u00e9", "n": null, "data": "aGk=", "len": 2, "u": 18446744073709551615}"#) == ["result": 3])
        #expect(try structured(Self.function, #"  {"s": "\ud83d\ude00"} "#) == ["result": 4])
    }

    @Test func emptyOrNullArgumentsAreAnEmptyObject() throws {
        let getpid = try prepare(#"{"name": "getpid", "returns": "i32"}"#, in: "libc.so.6")
        #expect(try structured(getpid, "") == ["result": .int(getpid_())])
        #expect(try structured(getpid, "null") == ["result": .int(getpid_())])
        #expect(try structured(getpid, "{}") == ["result": .int(getpid_())])
    }
}

#if canImport(Glibc)
import Glibc
func getpid_() -> Int32 { Glibc.getpid() }
#endif
