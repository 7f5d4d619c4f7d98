import ManifoldProtocol
import Testing
@testable import ManifoldPlugins

@Suite struct VocabularyTests {
    @Test func integerRangesAreTheCTypes() {
        #expect(FFIScalar.i8.integerRange == -128...127)
        #expect(FFIScalar.i16.integerRange == -32768...32767)
        #expect(FFIScalar.i32.integerRange == Int128(Int32.min)...Int128(Int32.max))
        #expect(FFIScalar.i64.integerRange == Int128(Int64.min)...Int128(Int64.max))
        #expect(FFIScalar.u8.integerRange == 0...255)
        #expect(FFIScalar.u16.integerRange == 0...65535)
        #expect(FFIScalar.u32.integerRange == 0...Int128(UInt32.max))
        #expect(FFIScalar.u64.integerRange == 0...Int128(UInt64.max))
        #expect(FFIScalar.size_t.integerRange == 0...Int128(UInt.max))
    }

    @Test func sizesAndSignedness() {
        #expect(FFIScalar.allCases.map(\.byteSize) == [1, 2, 4, 8, 1, 2, 4, 8, MemoryLayout<Int>.size, 4, 8, 1])
        #expect(FFIScalar.allCases.filter(\.isSigned) == [.i8, .i16, .i32, .i64])
        #expect(FFIScalar.allCases.filter(\.isInteger).count == 9)
    }

    @Test func aliasesAreSizedOnly() {
        #expect(FFIScalar(name: "double") == .f64)
        #expect(FFIScalar(name: "float") == .f32)
        #expect(FFIScalar(name: "int") == nil)
        #expect(FFIScalar(name: "long") == nil)
        #expect(FFIScalar(name: "size_t") == .size_t)
    }

    @Test func variadicPromotionsFollowC() {
        #expect(FFIScalar.i8.promotedForVarargs == .i32)
        #expect(FFIScalar.u16.promotedForVarargs == .i32)
        #expect(FFIScalar.bool.promotedForVarargs == .i32)
        #expect(FFIScalar.f32.promotedForVarargs == .f64)
        #expect(FFIScalar.u32.promotedForVarargs == .u32)
        #expect(FFIScalar.i64.promotedForVarargs == .i64)
    }

    @Test func integerTextIsExact() {
        #expect(FFIIntegerText.parse(Array("18446744073709551615".utf8)) == Int128(UInt64.max))
        #expect(FFIIntegerText.parse(Array("-9223372036854775808".utf8)) == Int128(Int64.min))
        #expect(FFIIntegerText.parse(Array("1e3".utf8)) == 1000)
        #expect(FFIIntegerText.parse(Array("-2.0".utf8)) == -2)
        #expect(FFIIntegerText.parse(Array("1.5".utf8)) == nil)
        #expect(FFIIntegerText.parse(Array("1e400".utf8)) == nil)
        // Beyond Int128: clamped, still out of every C range.
        #expect(FFIIntegerText.parse(Array(String(repeating: "9", count: 60).utf8)) == Int128.max)
        #expect(FFIIntegerText.parse(Array(("-" + String(repeating: "9", count: 60)).utf8)) == Int128.min)
    }

    @Test func base64RoundTripsAndIsStrict() throws {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Array(FFIBase64.encode(bytes).utf8)
            #expect(text.withUnsafeBytes { FFIBase64.decode($0) } == .success(bytes))
        }
        func decode(_ s: String) -> Result<[UInt8], FFIBase64.DecodeError> {
            Array(s.utf8).withUnsafeBytes { FFIBase64.decode($0) }
        }
        #expect(decode("aGVsbG8") == .success(Array("hello".utf8)), "padding is optional")
        #expect(decode("") == .success([]))
        if case .failure(let e) = decode("aGVs bG8=") { #expect(e.description == "invalid character ' ' at offset 4") } else { Issue.record("space accepted") }
        if case .failure(let e) = decode("a") { #expect(e.description.contains("cannot be base64")) } else { Issue.record("1 char accepted") }
        if case .failure = decode("aGVsbG8=x") {} else { Issue.record("trailing data accepted") }
        if case .failure(let e) = decode("aGVsbG8=aGVs") { #expect(e.description == "invalid character '=' at offset 7") } else { Issue.record("inner padding accepted") }
        if case .failure(let e) = decode("aR==") { #expect(e.description.contains("spare bits")) } else { Issue.record("non-canonical accepted") }
        if case .failure = decode("aGVsbG8-") {} else { Issue.record("url-safe alphabet accepted") }
    }
}
