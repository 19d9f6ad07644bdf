import LFMGrammar
import OrderedJSON
import Testing

@Suite struct JSONSchemaCompilerTests {
    @Test func types() throws {
        #expect(try accepts(schema(#"{"type":"string"}"#), #""hi""#))
        #expect(try !accepts(schema(#"{"type":"string"}"#), "12"))
        #expect(try accepts(schema(#"{"type":"integer"}"#), "-120"))
        #expect(try accepts(schema(#"{"type":"integer"}"#), "1.0"))
        #expect(try !accepts(schema(#"{"type":"integer"}"#), "1.5"))
        #expect(try !accepts(schema(#"{"type":"integer"}"#), "012"))
        #expect(try accepts(schema(#"{"type":"number"}"#), "-1.5e+10"))
        #expect(try accepts(schema(#"{"type":"boolean"}"#), "false"))
        #expect(try accepts(schema(#"{"type":"null"}"#), "null"))
        #expect(try accepts(schema(#"{"type":["string","null"]}"#), "null"))
        #expect(try !accepts(schema(#"{"type":["string","null"]}"#), "true"))
        #expect(try accepts(schema(#"{"type":"string","nullable":true}"#), "null"))
        #expect(try accepts(schema("{}"), #"{"a":[1,{"b":null}]}"#))
        #expect(throws: GrammarError.self) { try accepts(schema("false"), "1") }
    }

    @Test func objects() throws {
        let s = schema(#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name"],"additionalProperties":false}"#)
        #expect(try accepts(s, #"{"name":"ab","age":12}"#))
        #expect(try accepts(s, #"{"name": "ab"}"#))
        #expect(try accepts(s, "{\n  \"name\": \"x\",\n  \"age\": 1\n}"))
        #expect(try !accepts(s, #"{"age":12}"#))
        #expect(try !accepts(s, #"{"name":"ab","x":1}"#))
        #expect(try !accepts(s, #"{"name":"ab",}"#))
        #expect(try !accepts(s, #"{"name":"ab"  }"#))
        let open = schema(#"{"type":"object","properties":{"name":{"type":"string"}},"additionalProperties":{"type":"integer"}}"#)
        #expect(try accepts(open, #"{"x":1,"name":"a","y":2}"#))
        #expect(try !accepts(open, #"{"x":"s"}"#))
        #expect(try !accepts(open, #"{"name":1}"#))
        let strict = GrammarSpec.jsonSchema(try JSONValue.parse(#"{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}"#), strict: true)
        #expect(try !accepts(strict, #"{"a":1,"b":2}"#))
        #expect(try accepts(schema(#"{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}"#), #"{"a":1,"b":2}"#))
        #expect(try accepts(.jsonObject, #"{"k": [true, 1.5, "s"]}"#))
        #expect(try !accepts(.jsonObject, "[1]"))
    }

    @Test func arrays() throws {
        let s = schema(#"{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3}"#)
        #expect(try accepts(s, "[1]"))
        #expect(try accepts(s, "[1, 2, 3]"))
        #expect(try !accepts(s, "[]"))
        #expect(try !accepts(s, "[1,2,3,4]"))
        #expect(try !accepts(s, #"[1,"a"]"#))
        let tuple = schema(#"{"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],"items":false}"#)
        #expect(try accepts(tuple, #"["a",1]"#))
        #expect(try accepts(tuple, #"["a"]"#))
        #expect(try !accepts(tuple, #"["a",1,2]"#))
        #expect(try !accepts(tuple, #"[1]"#))
        let old = schema(#"{"items":[{"type":"integer"}],"additionalItems":{"type":"string"}}"#)
        #expect(try accepts(old, #"[1,"a","b"]"#))
        #expect(try !accepts(old, #"[1,2]"#))
    }

    @Test func enumsAndConst() throws {
        let s = schema(#"{"enum":["red","green",3,null,{"a":[1]}]}"#)
        #expect(try accepts(s, #""red""#))
        #expect(try accepts(s, "3.0"))
        #expect(try accepts(s, #"{"a": [1]}"#))
        #expect(try !accepts(s, #""blue""#))
        #expect(try accepts(schema(#"{"const":"é"}"#), #""\u00e9""#))
        #expect(try accepts(schema(#"{"const":"é"}"#), #""é""#))
        #expect(try !accepts(schema(#"{"const":"é"}"#), #""e""#))
    }

    @Test func combinators() throws {
        let any = schema(#"{"anyOf":[{"type":"string","maxLength":2},{"type":"integer","minimum":10}]}"#)
        #expect(try accepts(any, #""ab""#))
        #expect(try accepts(any, "10"))
        #expect(try !accepts(any, "9"))
        #expect(try !accepts(any, #""abc""#))
        let all = schema(#"{"allOf":[{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]},{"properties":{"b":{"type":"string"}},"required":["b"]}]}"#)
        #expect(try accepts(all, #"{"a":1,"b":"x"}"#))
        #expect(try !accepts(all, #"{"a":1}"#))
        let one = schema(#"{"type":"object","oneOf":[{"required":["a"]},{"required":["b"]}],"properties":{"a":{"type":"integer"},"b":{"type":"integer"}}}"#)
        #expect(try accepts(one, #"{"b":1}"#))
        #expect(try !accepts(one, #"{}"#))
    }

    @Test func refsAndRecursion() throws {
        let tree = schema(##"{"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"],"additionalProperties":false}},"$ref":"#/$defs/node"}"##)
        #expect(try accepts(tree, #"{"v":1,"kids":[{"v":2,"kids":[{"v":3}]},{"v":4}]}"#))
        #expect(try !accepts(tree, #"{"v":1,"kids":[{"kids":[]}]}"#))
        let defs = schema(##"{"definitions":{"a":{"type":"string"}},"properties":{"x":{"$ref":"#/definitions/a"}},"type":"object"}"##)
        #expect(try accepts(defs, #"{"x":"s"}"#))
        #expect(try !accepts(defs, #"{"x":1}"#))
        let rootRef = schema(##"{"type":"array","items":{"anyOf":[{"type":"integer"},{"$ref":"#"}]}}"##)
        #expect(try accepts(rootRef, "[1,[2,[]]]"))
    }

    @Test func strings() throws {
        let len = schema(#"{"type":"string","minLength":2,"maxLength":3}"#)
        #expect(try accepts(len, #""éé""#))
        #expect(try accepts(len, #""a\"b""#))
        #expect(try accepts(len, #""\ud83d\ude00a""#))
        #expect(try !accepts(len, #""a""#))
        #expect(try !accepts(len, #""abcd""#))
        let pat = schema(#"{"type":"string","pattern":"^[a-z]+-\\d{2}$"}"#)
        #expect(try accepts(pat, #""ab-12""#))
        #expect(try !accepts(pat, #""ab-1""#))
        #expect(try accepts(schema(#"{"type":"string","pattern":"b"}"#), #""abc""#))
        #expect(try !accepts(schema(#"{"type":"string","pattern":"b"}"#), #""ac""#))
        #expect(try accepts(schema(#"{"type":"string"}"#), #""tab\t quote\" uni\u00e9 é \/""#))
        #expect(try !accepts(schema(#"{"type":"string"}"#), "\"raw\nnewline\""))
        #expect(try !accepts(schema(#"{"type":"string"}"#), #""bad \x escape""#))
    }

    @Test(arguments: [
        ("date-time", "2024-02-29T12:30:00Z", "2024-13-01T00:00:00Z"),
        ("date", "2024-01-31", "2024-1-31"),
        ("time", "23:59:59+01:00", "24:00:00Z"),
        ("email", "a.b@example.com", "a@@b"),
        ("uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456"),
        ("uri", "https://example.com/a?b=c", "not a uri"),
        ("ipv4", "192.168.0.255", "256.1.1.1"),
    ])
    func formats(format: String, good: String, bad: String) throws {
        let s = schema(#"{"type":"string","format":""# + format + #""}"#)
        #expect(try accepts(s, "\"" + good + "\""))
        #expect(try !accepts(s, "\"" + bad + "\""))
    }

    @Test func numberBounds() throws {
        let i = schema(#"{"type":"integer","minimum":-5,"exclusiveMaximum":120}"#)
        for v in [-5, -1, 0, 7, 99, 119] { #expect(try accepts(i, String(v)), "\(v)") }
        for v in [-6, -10, 120, 1000] { #expect(try !accepts(i, String(v)), "\(v)") }
        let n = schema(#"{"type":"number","exclusiveMinimum":0,"maximum":10}"#)
        for v in ["0.5", "10", "10.0", "9.99", "1"] { #expect(try accepts(n, v), "\(v)") }
        for v in ["0", "0.0", "-0.5", "10.01", "11"] { #expect(try !accepts(n, v), "\(v)") }
        let neg = schema(#"{"type":"number","minimum":-2,"maximum":-1}"#)
        for v in ["-1.5", "-2", "-1", "-2.0"] { #expect(try accepts(neg, v), "\(v)") }
        for v in ["-2.5", "-0.5", "0", "1"] { #expect(try !accepts(neg, v), "\(v)") }
        let draft4 = schema(#"{"type":"integer","minimum":3,"exclusiveMinimum":true}"#)
        #expect(try !accepts(draft4, "3"))
        #expect(try accepts(draft4, "4"))
    }

    @Test func errorsNameKeywordAndPointer() throws {
        func message(_ json: String) -> String? {
            do { _ = try ToyVocab.compiler.compile(schema(json)); return nil } catch { return error.message }
        }
        #expect(message(#"{"properties":{"a":{"not":{"format":"email"}}}}"#)?.contains("'not' at /properties/a/not") == true)
        #expect(message(#"{"$ref":"http://example.com/s.json"}"#)?.contains("$ref") == true)
        #expect(message(#"{"type":"integer","minimum":5,"maximum":2}"#)?.contains("minimum") == true)
        #expect(message(#"{"type":"object","properties":{"a":false},"required":["a"]}"#)?.contains("required") == true)
        #expect(message(#"{"type":"string","pattern":"(?<=a)b"}"#)?.contains("pattern") == true)
        #expect(message(#"{"type":"wat"}"#)?.contains("unknown type") == true)
        #expect(message(#"{"type":"string","maxLength":100000000}"#)?.contains("maxLength") == true)
    }
}

@Suite struct JSONSchemaApplicatorTests {
    @Test func containsNeedsOneMatchingElement() throws {
        let s = schema(#"{"type":"array","items":{"type":"integer"},"contains":{"minimum":5}}"#)
        #expect(try accepts(s, "[1, 7, 2]"))
        #expect(try accepts(s, "[5]"))
        #expect(try !accepts(s, "[1, 2]"))
        #expect(try !accepts(s, "[]"))
        #expect(try !accepts(s, #"[7, "a"]"#))
    }

    @Test func unevaluatedWithoutApplicatorsActsAsAdditional() throws {
        let p = schema(#"{"type":"object","properties":{"a":{"type":"integer"}},"unevaluatedProperties":false}"#)
        #expect(try accepts(p, #"{"a":1}"#))
        #expect(try !accepts(p, #"{"a":1,"b":2}"#))
        let i = schema(#"{"prefixItems":[{"type":"string"}],"unevaluatedItems":false}"#)
        #expect(try accepts(i, #"["x"]"#))
        #expect(try !accepts(i, #"["x", 1]"#))
        let merged = schema(#"{"allOf":[{"type":"object"}],"unevaluatedProperties":false}"#)
        #expect(try accepts(merged, "{}"))
        #expect(try !accepts(merged, #"{"x":1}"#))
    }

    /// An integer may carry a zero fraction (`14.0`) of at most 16 zeros, so a model cannot
    /// loop on zeros and a bounded integer always ends.
    @Test func integerZeroFractionsAreBounded() throws {
        for s in [#"{"type":"integer"}"#, #"{"type":"integer","minimum":0,"maximum":99}"#] {
            #expect(try accepts(schema(s), "14.0"))
            #expect(try accepts(schema(s), "14." + String(repeating: "0", count: 16)))
            #expect(try !accepts(schema(s), "14." + String(repeating: "0", count: 17)))
        }
    }
}
