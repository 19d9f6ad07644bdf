import Foundation
import LFMTestSupport
import OrderedJSON
import Testing

@Suite struct JSONParserTests {
    @Test func parsesScalarsAndKeepsIntVsFloat() throws {
        let v = try JSONValue.parse(#"{"i":1,"f":1.0,"e":1e2,"n":-0,"big":9223372036854775807,"huge":9223372036854775808,"min":-9223372036854775808}"#)
        #expect(v["i"] == .integer(1))
        #expect(v["f"] == .double(1.0))
        #expect(v["e"] == .double(100))
        #expect(v["n"] == .integer(0))
        #expect(v["big"] == .integer(Int64.max))
        #expect(v["huge"] == .double(9223372036854775808.0))
        #expect(v["min"] == .integer(Int64.min))
    }

    @Test func keepsKeyOrderAndLastDuplicateWinsAtFirstPosition() throws {
        let v = try JSONValue.parse(#"{"z":1,"a":2,"z":3}"#)
        #expect(v.objectValue?.keys == ["z", "a"])
        #expect(v["z"] == .integer(3))
    }

    @Test func decodesEscapesAndSurrogates() throws {
        let v = try JSONValue.parse(#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#)
        #expect(v.stringValue == "a\"\\/\u{8}\u{C}\n\r\té😀")
        // Lone surrogates (kept by Python) become U+FFFD.
        #expect(try JSONValue.parse(#""x\ud800y""#).stringValue == "x\u{FFFD}y")
        #expect(try JSONValue.parse(#""\udc00\ud800\u0041""#).stringValue == "\u{FFFD}\u{FFFD}A")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "tru", "nul", "\"abc", "\"\u{01}\"",
        "\"\\x\"", "\"\\u12\"", "[1 2]", "{\"a\" 1}", "{1:2}", "NaN", "Infinity", "1 2", "'a'",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsInvalidUTF8WithOffset() {
        let bytes: [UInt8] = Array("[\"ab".utf8) + [0xC3, 0x28] + Array("\"]".utf8)
        #expect(throws: JSONError("invalid UTF-8", offset: 4)) { try JSONValue.parse(bytes) }
        #expect(throws: JSONError.self) { try JSONValue.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }  // encoded surrogate
        #expect(throws: JSONError.self) { try JSONValue.parse([0x22, 0xC0, 0x80, 0x22]) }  // overlong
    }

    @Test func errorCarriesOffset() {
        #expect(throws: JSONError("expected ',' or ']' in array", offset: 3)) { try JSONValue.parse("[1 2]") }
    }

    @Test func limitsNestingDepth() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONValue.parse(ok) }
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: JSONError.self) { try JSONValue.parse(deep) }
    }

    @Test func parsesTokenizerJSONQuickly() throws {
        let url = Fixtures.root.appendingPathComponent("lfm2-tokenizer/tokenizer.json")
        let data = try Data(contentsOf: url)
        let clock = ContinuousClock()
        var value = JSONValue.null
        let elapsed = try clock.measure { value = try JSONValue.parse(data) }
        print("tokenizer.json (\(data.count) bytes) parsed in \(elapsed)")
        #expect(value["model"]?["vocab"]?.objectValue?.count ?? 0 > 60000)
    }
}

@Suite struct JSONValueAPITests {
    @Test func literalsAndAccessors() {
        let v: JSONValue = ["a": 1, "b": [true, nil, 2.5, "s"]]
        #expect(v["a"]?.intValue == 1)
        #expect(v["b"]?[0]?.boolValue == true)
        #expect(v["b"]?[1]?.isNull == true)
        #expect(v["b"]?[2]?.doubleValue == 2.5)
        #expect(v["b"]?[3]?.stringValue == "s")
        #expect(v["b"]?[9] == nil)
        #expect(v["zz"] == nil)
        #expect(v.serialized() == #"{"a":1,"b":[true,null,2.5,"s"]}"#)
    }

    @Test func objectEqualityIgnoresOrder() {
        let a: JSONValue = ["x": 1, "y": 2]
        let b: JSONValue = ["y": 2, "x": 1]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
    }

    @Test func orderedMapRemoval() {
        var m: OrderedMap<Int> = ["a": 1, "b": 2, "c": 3]
        m["b"] = nil
        #expect(m.keys == ["a", "c"])
        #expect(m["c"] == 3)
        m["b"] = 4
        #expect(m.keys == ["a", "c", "b"])
    }
}
