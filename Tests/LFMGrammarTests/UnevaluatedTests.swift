import LFMGrammar
import OrderedJSON
import Testing

/// `unevaluatedProperties` / `unevaluatedItems` beside merged applicators (allOf, $ref, anyOf).
@Suite struct UnevaluatedTests {
    func message(_ json: String) -> String? {
        do { _ = try ToyVocab.compiler.compile(schema(json)); return nil } catch { return error.message }
    }

    @Test func besideAllOfAndRef() throws {
        let s = schema(#"{"allOf":[{"properties":{"a":{}}}],"properties":{"b":{}},"unevaluatedProperties":false}"#)
        for ok in ["{}", #"{"b":1,"a":2}"#, #"{"a":1}"#] { #expect(try accepts(s, ok), "\(ok)") }
        for bad in [#"{"b":1,"c":3}"#, #"{"c":1}"#] { #expect(try !accepts(s, bad), "\(bad)") }
        let ref = schema(##"{"$defs":{"A":{"properties":{"a":{"type":"integer"}}}},"$ref":"#/$defs/A","unevaluatedProperties":{"type":"string"}}"##)
        for ok in [#"{"a":1}"#, #"{"z":"x"}"#] { #expect(try accepts(ref, ok), "\(ok)") }
        for bad in [#"{"z":1}"#, #"{"a":"x"}"#] { #expect(try !accepts(ref, bad), "\(bad)") }
        // A part's own unevaluatedProperties does not see its cousins' properties.
        let cousins = schema(#"{"allOf":[{"properties":{"a":{}}},{"unevaluatedProperties":false}]}"#)
        #expect(try accepts(cousins, "{}"))
        #expect(try !accepts(cousins, #"{"a":1}"#))
        let closed = schema(#"{"allOf":[{"properties":{"a":{}}},{"additionalProperties":false}]}"#)
        #expect(try !accepts(closed, #"{"a":1}"#))
        // An adjacent additionalProperties evaluates every member.
        let adjacent = schema(#"{"allOf":[{"properties":{"a":{}}}],"additionalProperties":true,"unevaluatedProperties":false}"#)
        #expect(try accepts(adjacent, #"{"a":1,"x":2}"#))
    }

    @Test func besideAnyOf() throws {
        let s = schema(#"{"anyOf":[{"properties":{"a":{"type":"integer"}},"required":["a"]},{"properties":{"b":{"type":"string"}},"required":["b"]}],"unevaluatedProperties":false}"#)
        for ok in [#"{"a":1}"#, #"{"b":"x"}"#] { #expect(try accepts(s, ok), "\(ok)") }
        for bad in [#"{"a":1,"c":2}"#, #"{"b":"x","c":1}"#, "{}"] { #expect(try !accepts(s, bad), "\(bad)") }
    }

    @Test func items() throws {
        let s = schema(#"{"allOf":[{"type":"array"}],"unevaluatedItems":{"type":"integer"}}"#)
        #expect(try accepts(s, "[1,2]"))
        #expect(try !accepts(s, #"[1,"x"]"#))
        // Items after a part's positional ones are evaluated only when a part names them.
        let prefix = schema(#"{"allOf":[{"prefixItems":[{"type":"integer"}]}],"unevaluatedItems":false}"#)
        #expect(try accepts(prefix, "[1]"))
        #expect(try !accepts(prefix, "[1,2]"))
        let named = schema(#"{"allOf":[{"prefixItems":[{"type":"integer"}]},{"items":{"type":"integer"}}],"unevaluatedItems":false}"#)
        #expect(try accepts(named, "[1,2]"))
        #expect(try !accepts(named, #"[1,"x"]"#))
        // A part's own unevaluatedItems acts as its items.
        let own = schema(#"{"allOf":[{"prefixItems":[{"type":"integer"}],"unevaluatedItems":false}]}"#)
        #expect(try accepts(own, "[1]"))
        #expect(try !accepts(own, "[1,2]"))
    }

    /// `not` and a failed `if` evaluate nothing: the members only they name stay unevaluated
    /// (Tests/GrammarTests/test_grammar_check.py compares more of these with python jsonschema).
    @Test func besideNotAndConditionals() throws {
        let not = schema(#"{"allOf":[{"not":{"required":["x"]}}],"unevaluatedProperties":false}"#)
        #expect(try accepts(not, "{}"))
        for bad in [#"{"x":1}"#, #"{"y":1}"#] { #expect(try !accepts(not, bad), "\(bad)") }
        let notNot = schema(#"{"properties":{"foo":{}},"not":{"not":{"required":["bar"]}},"unevaluatedProperties":{"type":"string"}}"#)
        #expect(try accepts(notNot, #"{"foo":1,"bar":"b"}"#))
        for bad in [#"{"foo":1}"#, #"{"foo":1,"bar":2}"#] { #expect(try !accepts(notNot, bad), "\(bad)") }
        // `required` in the condition evaluates nothing either: only {} is left.
        let cond = schema(#"{"if":{"required":["a"]},"then":{"properties":{"b":{}}},"unevaluatedProperties":false}"#)
        #expect(try accepts(cond, "{}"))
        for bad in [#"{"a":1}"#, #"{"a":1,"b":2}"#, #"{"b":2}"#] { #expect(try !accepts(cond, bad), "\(bad)") }
        let full = schema(#"{"if":{"properties":{"foo":{"const":"then"}},"required":["foo"]},"then":{"properties":{"bar":{"type":"string"}},"required":["bar"]},"else":{"properties":{"baz":{"type":"string"}},"required":["baz"]},"unevaluatedProperties":false}"#)
        for ok in [#"{"foo":"then","bar":"x"}"#, #"{"baz":"x"}"#] { #expect(try accepts(full, ok), "\(ok)") }
        for bad in [#"{"foo":"else","baz":"x"}"#, #"{"foo":"then","bar":"x","baz":"y"}"#] { #expect(try !accepts(full, bad), "\(bad)") }
    }

    @Test func refusedWhereMembersCouldBeEvaluatedUnseen() throws {
        #expect(message(#"{"allOf":[{"contains":{"type":"integer"}}],"unevaluatedItems":false}"#)?.contains("unevaluatedItems") == true)
        #expect(message(#"{"if":{"patternProperties":{"f":{"type":"string"}}},"unevaluatedProperties":false}"#)?.contains("if") == true)
    }
}
