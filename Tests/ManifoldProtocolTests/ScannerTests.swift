import Testing
@testable import ManifoldProtocol

/// JSONScanner and JSONValue: the single-pass reader, its limits, and round trips.
@Suite struct ScannerTests {
    // MARK: Round trips

    @Test func parsedValueWritesBackWithKeyOrderAndNumberTextKept() throws {
        let compact = #"{"zeta":1.50,"alpha":[-0,2e10,1E-7,12345678901234567890123,0.000],"mid":{"z":null,"y":true,"x":false},"s":"plain é 😀"}"#
        let value = try JSONValue.parse(compact)
        #expect(value.objectValue?.keys == ["zeta", "alpha", "mid", "s"])
        #expect(value["mid"]?.objectValue?.keys == ["z", "y", "x"])
        #expect(value["zeta"] == .number("1.50"))
        #expect(value["alpha"]?.arrayValue?[3] == .number("12345678901234567890123"))
        #expect(text(value.serialized()) == compact)
    }

    @Test func whitespaceBetweenTokensIsDroppedOnWrite() throws {
        let value = try JSONValue.parse(" {\n\t\"a\" : [ 1 , 2 ] ,\r\n \"b\" : { } , \"c\" : [ ] } ")
        #expect(value.jsonText == #"{"a":[1,2],"b":{},"c":[]}"#)
    }

    @Test func everyScalarTypeParses() throws {
        #expect(try JSONValue.parse("null") == .null)
        #expect(try JSONValue.parse("true") == .bool(true))
        #expect(try JSONValue.parse("false") == .bool(false))
        #expect(try JSONValue.parse("-12.5e+3") == .number("-12.5e+3"))
        #expect(try JSONValue.parse(#""x""#) == .string("x"))
        #expect(try JSONValue.parse("[]") == .array([]))
        #expect(try JSONValue.parse("{}") == .object([:]))
    }

    // MARK: Strings and escapes

    @Test func simpleEscapesDecode() throws {
        let value = try JSONValue.parse(#""q\" b\\ s\/ \b\f\n\r\t end""#)
        #expect(value == .string("q\" b\\ s/ \u{08}\u{0C}\n\r\t end"))
    }

    @Test func unicodeEscapesDecodeIncludingSurrogatePairs() throws {
        #expect(try JSONValue.parse(#""\u00e9\u00C9""#) == .string("éÉ"))
        #expect(try JSONValue.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONValue.parse(#""a\uD834\uDD1Eb""#) == .string("a𝄞b"))
    }

    @Test func unpairedSurrogatesBecomeReplacementCharacters() throws {
        #expect(try JSONValue.parse(#""\ud83d""#) == .string("\u{FFFD}"))
        #expect(try JSONValue.parse(#""\ude00x""#) == .string("\u{FFFD}x"))
        // A high surrogate followed by an escape that is not a low surrogate keeps the second one.
        #expect(try JSONValue.parse(#""\ud83d\u0041""#) == .string("\u{FFFD}A"))
    }

    @Test func escapedBackslashBeforeULeavesTheTextLiteral() throws {
        #expect(try JSONValue.parse(#""\\u0041""#) == .string(#"\u0041"#))
    }

    @Test func invalidEscapesAreRefusedWithTheirOffset() {
        #expect(syntaxError(#""a\x""#) == JSONSyntaxError(offset: 3, reason: "invalid escape"))
        #expect(syntaxError(#""\u12G4""#) == JSONSyntaxError(offset: 2, reason: "invalid \\u escape"))
        #expect(syntaxError(#""\u12"#) == JSONSyntaxError(offset: 2, reason: "truncated \\u escape"))
    }

    @Test(arguments: [UInt8(0x00), 0x01, 0x0A, 0x0D, 0x09, 0x1F])
    func rawControlCharactersInStringsAreRefused(control: UInt8) {
        let input: [UInt8] = [UInt8(ascii: "\""), UInt8(ascii: "a"), control, UInt8(ascii: "\"")]
        let result = Result { () throws(JSONSyntaxError) -> JSONValue in try JSONValue.parse(input) }
        guard case .failure(let error) = result else {
            Issue.record("control character 0x\(String(control, radix: 16)) was accepted")
            return
        }
        #expect(error == JSONSyntaxError(offset: 2, reason: "control character in string"))
    }

    @Test func readStringDecodesWithoutCopyingUnescapedText() {
        let result = withScanner(#"  "k\u00e9y" rest"#) { (s: inout JSONScanner) throws(JSONSyntaxError) in
            let value = try s.readString()
            return (value, s.position)
        }
        let (value, position) = try! result.get()
        #expect(value == "kéy")
        #expect(position == 12)
    }

    @Test func skipStringReportsWhetherTheLiteralHadEscapes() throws {
        #expect(try withScanner(#""plain""#) { (s: inout JSONScanner) throws(JSONSyntaxError) in try s.skipString() }.get() == false)
        #expect(try withScanner(#""tab\t""#) { (s: inout JSONScanner) throws(JSONSyntaxError) in try s.skipString() }.get() == true)
    }

    // MARK: Writer

    @Test func writerEscapesQuotesBackslashesAndControlCharacters() {
        var writer = JSONWriter()
        writer.string("a\"b\\c\n\r\t\u{08}\u{0C}\u{01}\u{1F}\u{00}é😀/\u{7F}")
        #expect(text(writer.bytes) == #""a\"b\\c\n\r\t\b\f\u0001\u001f\u0000é😀/"# + "\u{7F}\"")
    }

    @Test func writtenStringsNeverContainARawNewlineAndParseBack() throws {
        let original = "line1\nline2\r\n\u{2028}\u{0B}tab\tquote\"back\\slash"
        let written = JSONValue.string(original).serialized()
        #expect(!written.contains(0x0A))
        #expect(!written.contains(0x0D))
        #expect(try JSONValue.parse(written) == .string(original))
    }

    @Test func writerPrintsIntegralDoublesWithoutAFraction() {
        #expect(JSONValue.double(2.0) == .number("2"))
        #expect(JSONValue.double(-3.0) == .number("-3"))
        #expect(JSONValue.double(0.5) == .number("0.5"))
        #expect(JSONValue.double(.nan) == .null)
        #expect(JSONValue.double(.infinity) == .null)
    }

    // MARK: Nesting limit

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let depth = JSONScanner.maxDepth
        let input = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(parsed(input) != nil)
        #expect(input.utf8.withContiguousStorageIfAvailable { JSONValue.isValid(UnsafeRawBufferPointer($0)) } == true)
    }

    @Test func nestingDeeperThanTheLimitIsRefused() {
        let depth = JSONScanner.maxDepth + 1
        let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(syntaxError(arrays) == JSONSyntaxError(offset: 256, reason: "nesting deeper than 256"))
        let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
        #expect(syntaxError(objects)?.reason == "nesting deeper than 256")
        #expect(withScanner(arrays) { (s: inout JSONScanner) throws(JSONSyntaxError) in try s.skipValue() }.failureReason
            == "nesting deeper than 256")
    }

    @Test func hundredThousandOpeningBracketsFailWithoutExhaustingTheStack() {
        let hostile = String(repeating: "[", count: 100_000)
        #expect(syntaxError(hostile)?.reason == "nesting deeper than 256")
        let bytes = Array(hostile.utf8)
        #expect(bytes.withUnsafeBytes { JSONValue.isValid($0) } == false)
        #expect(envelopeError(hostile)?.code == .parseError)
        let objects = String(repeating: #"{"a":"#, count: 100_000)
        #expect(syntaxError(objects)?.reason == "nesting deeper than 256")
    }

    // MARK: Truncated and malformed input

    @Test(arguments: [
        (#"{"a":[1,2"#, 9, "unterminated array"),
        (#"{"a":"abc"#, 9, "unterminated string"),
        (#"{"a":1"#, 6, "unterminated object"),
        (#"{"a""#, 4, "expected ':'"),
        ("", 0, "unexpected end of input"),
        ("tru", 0, "invalid literal"),
        ("nul", 0, "invalid literal"),
        ("-", 1, "invalid value"),
        ("1.", 2, "invalid number"),
        ("1e+", 3, "invalid number"),
        ("[1,]", 3, "invalid value"),
        (#"{"a" 1}"#, 5, "expected ':'"),
        ("[1 2]", 3, "expected ',' or ']'"),
        (#"{"a":1 "b":2}"#, 7, "expected ',' or '}'"),
        ("{1:2}", 1, "expected a string"),
        ("1 2", 2, "unexpected data after the value"),
        ("01", 1, "unexpected data after the value"),
    ] as [(String, Int, String)])
    func malformedInputIsRefusedWithTheOffsetWhereReadingStopped(input: String, offset: Int, reason: String) {
        #expect(syntaxError(input) == JSONSyntaxError(offset: offset, reason: reason))
    }

    @Test func syntaxErrorDescriptionNamesTheByte() {
        #expect(JSONSyntaxError(offset: 9, reason: "unterminated array").description == "invalid JSON at byte 9: unterminated array")
    }

    // MARK: skipValue / forEachMember

    @Test func skipValueReturnsTheExactByteRangeOfOneValue() {
        let input = #"   {"a": [1, {"b": "}"}], "c": "]"}  , 5"#
        let range = try! withScanner(input) { (s: inout JSONScanner) throws(JSONSyntaxError) in try s.skipValue() }.get()
        #expect(text(Array(input.utf8)[range]) == #"{"a": [1, {"b": "}"}], "c": "]"}"#)
    }

    @Test func forEachMemberVisitsKeysInOrderWithValueRanges() {
        let input = #"{ "first" : 1 , "se\u0063ond":[true, null], "third": {"x":"y"} }"#
        let members = try! withScanner(input) { (s: inout JSONScanner) throws(JSONSyntaxError) in
            var seen: [(String, Range<Int>)] = []
            try s.forEachMember { (key, inner: inout JSONScanner) throws(JSONSyntaxError) in
                seen.append((key, try inner.skipValue()))
            }
            return seen
        }.get()
        let bytes = Array(input.utf8)
        #expect(members.map(\.0) == ["first", "second", "third"])
        #expect(members.map { text(bytes[$0.1]) } == ["1", "[true, null]", #"{"x":"y"}"#])
    }

    @Test func forEachMemberOnAnEmptyObjectCallsNothing() {
        let count = try! withScanner(" {  } ") { (s: inout JSONScanner) throws(JSONSyntaxError) in
            var n = 0
            try s.forEachMember { (_, inner: inout JSONScanner) throws(JSONSyntaxError) in
                n += 1
                _ = try inner.skipValue()
            }
            return n
        }.get()
        #expect(count == 0)
    }

    // MARK: JSONValue and JSONObject

    @Test func objectSubscriptReplacesInPlaceAppendsNewKeysAndRemovesOnNil() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["b"] = "two"
        object["d"] = 4
        object["a"] = nil
        #expect(object.keys == ["b", "c", "d"])
        #expect(object["b"] == "two")
        #expect(JSONValue.object(object).jsonText == #"{"b":"two","c":3,"d":4}"#)
    }

    @Test func integerAccessorsAcceptIntegralNumbersOnly() {
        #expect(JSONValue.number("42").intValue == 42)
        #expect(JSONValue.number("1e3").intValue == 1000)
        #expect(JSONValue.number("1.5").intValue == nil)
        #expect(JSONValue.string("1").intValue == nil)
        #expect(JSONValue.number("1.5").typeName == "number")
        #expect(JSONValue.number("7").typeName == "integer")
        #expect(JSONValue.object([:]).typeName == "object")
    }
}

extension Result {
    /// The failure's reason when the failure is a syntax error.
    var failureReason: String? {
        if case .failure(let error as JSONSyntaxError) = self { return error.reason }
        return nil
    }
}

/// JSON text is UTF-8 (RFC 8259 §8.1): invalid sequences inside strings are syntax errors, so
/// they are never passed to a plugin or echoed to a client.
@Suite struct UTF8ValidationTests {
    @Test(arguments: [
        [0xFF], [0xC0, 0xAF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3],
        [0xE2, 0x82],
    ] as [[UInt8]])
    func invalidUTF8InAStringIsRejected(sequence: [UInt8]) {
        let text = Array("\"a".utf8) + sequence + Array("b\"".utf8)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
    }

    @Test func validMultiByteUTF8IsKept() throws {
        let text = "\"é€𝄞 ok\""
        #expect(try JSONValue.parse(text) == .string("é€𝄞 ok"))
    }
}
