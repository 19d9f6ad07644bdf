import LFMGrammar
import OrderedJSON
import Testing

/// Object keys: extra keys that must differ from the declared names (the exclusion trie) and
/// objects with many long names, whose names are called rules instead of inline copies.
@Suite struct ObjectKeysTests {
    /// Every key of up to three characters over ASCII and non-ASCII letters is an extra key
    /// exactly when it is not a declared name (the extra value's type tells which was taken).
    @Test func extraKeysExcludeDeclaredNamesBruteForce() throws {
        let s = schema(#"{"properties":{"ab":{"type":"string"},"abc":{"type":"string"},"é":{"type":"string"}},"additionalProperties":{"type":"integer"}}"#)
        let g = try ToyVocab.compiler.compile(s)
        let alphabet = ["a", "b", "c", "é", "ü"]
        var keys = [""]
        var frontier = [""]
        for _ in 0..<3 {
            frontier = frontier.flatMap { k in alphabet.map { k + $0 } }
            keys += frontier
        }
        let declared: Set<String> = ["ab", "abc", "é"]
        for k in keys {
            let asExtra = #"{""# + k + #"":1}"#
            let asDeclared = #"{""# + k + #"":"x"}"#
            #expect(matches(g, tokens: ToyVocab.tokenize(asExtra)) == !declared.contains(k), "\(asExtra)")
            #expect(matches(g, tokens: ToyVocab.tokenize(asDeclared)) == declared.contains(k), "\(asDeclared)")
        }
        // Other spellings of a declared name are that name.
        #expect(try !accepts(s, #"{"\u00e9":1}"#))
        #expect(try accepts(s, #"{"\u00fc":1}"#))
    }

    /// Property names spell printable ASCII as itself: a `\u` escape of it is refused in a
    /// declared name and in an extra one while it could still spell a declared name (so no
    /// spelling of a declared name passes as extra),
    /// while the escapes JSON writers do use — of `"`, `\`, `/`, control and non-ASCII
    /// characters — are accepted in both.
    @Test func namesSpellPrintableASCIIAsItself() throws {
        let open = schema(#"{"properties":{"foo":{"type":"string"},"a/b":{"type":"string"},"q\"":{"type":"string"},"é":{"type":"string"}},"additionalProperties":{"type":"integer"}}"#)
        let closed = schema(#"{"properties":{"foo":{"type":"string"}},"additionalProperties":false}"#)
        for s in [open, closed] {
            #expect(try accepts(s, #"{"foo":"x"}"#))
            #expect(try !accepts(s, #"{"\u0066oo":"x"}"#))
            #expect(try !accepts(s, #"{"f\u006Fo":"x"}"#))
        }
        #expect(try !accepts(open, #"{"\u0066oo":1}"#))      // not an extra name either
        #expect(try accepts(open, #"{"x\u0066":1}"#))        // "xf": once no declared name can follow, any spelling
        #expect(try accepts(open, #"{"fo":1,"fooo":2}"#))
        #expect(try accepts(open, #"{"a\/b":"x","q\"":"y","\u00e9":"z"}"#))
        #expect(try !accepts(open, #"{"a\/b":1}"#))           // declared, so not extra
        #expect(try !accepts(open, #"{"\u00e9":1}"#))
        #expect(try accepts(open, #"{"\u00e8":1,"tab\tkey":2}"#))
    }

    /// Eighty long names (inline, every name at every position up to its own would need about
    /// 150,000 states, beyond the 50,000 limit): called key rules; members keep schema order.
    @Test func manyLongNamesAreCalledRules() throws {
        let names = (0..<80).map { "property_with_a_rather_long_name_\($0)" }
        let props = names.enumerated().map { #""\#($1)":{"type":"\#($0 % 2 == 0 ? "integer" : "string")"}"# }.joined(separator: ",")
        let s = schema(#"{"properties":{"# + props + #"},"required":[""# + names[3] + #""],"additionalProperties":false}"#)
        let g = try ToyVocab.compiler.compile(s)
        func obj(_ members: [(Int, String)]) -> String { "{" + members.map { "\"\(names[$0.0])\":\($0.1)" }.joined(separator: ",") + "}" }
        for ok in [obj([(3, #""x""#)]), obj([(0, "1"), (3, #""x""#), (39, #""y""#)]), obj([(3, #""x""#), (38, "7")])] {
            #expect(try accepts(s, ok), "\(ok)")
        }
        for bad in [obj([(0, "1")]), obj([(3, "1")]), obj([(4, "1"), (3, #""x""#)]), #"{"property_with_a_rather_long_name_3":"x","other":1}"#,
                    #"{"property_with_a_rather_long_name_80":1,"property_with_a_rather_long_name_3":"x"}"#] {
            #expect(try !accepts(s, bad), "\(bad)")
        }
    }
}
