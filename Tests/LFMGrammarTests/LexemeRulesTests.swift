import LFMGrammar
import OrderedJSON
import Testing

/// Strings whose automaton depends only on their keywords (bounded lengths, formats) are rules
/// of their own, called from every use; allowed string values spell printable ASCII as itself;
/// a small rule called from many places is inlined only within a budget. Each keeps the
/// automaton small without changing what is accepted.
@Suite struct LexemeRulesTests {
    /// States of the compiled automaton of `json`.
    func states(_ json: String) throws -> Int { try ToyVocab.compiler.compile(schema(json)).buildAllStates() }

    @Test func boundedStringsCountCallsOfOneCharacter() throws {
        // One state per length (each reads a character through a call), not a copy of the
        // character automaton (about 38 states) per length.
        let n = try states(#"{"type":"string","maxLength":280}"#)
        #expect(n < 1_000, "\(n) states")
        let s = schema(#"{"type":"string","minLength":2,"maxLength":4}"#)
        #expect(try !accepts(s, #""a""#))
        #expect(try accepts(s, #""ab""#))
        #expect(try accepts(s, #""abcd""#))
        #expect(try !accepts(s, #""abcde""#))
        // A character in any spelling counts once: UTF-8, escapes, surrogate pairs.
        #expect(try accepts(s, #""é😀\n\u00e9""#))
        #expect(try accepts(s, #""\ud83d\ude00\"""#))
        #expect(try !accepts(s, #""\ud83d\ude00abcd""#))
        #expect(try !accepts(s, #""\ud83dab""#))   // a lone high surrogate is not a character
        let long = schema(#"{"type":"string","maxLength":280}"#)
        #expect(try accepts(long, "\"" + String(repeating: "é", count: 280) + "\""))
        #expect(try !accepts(long, "\"" + String(repeating: "a", count: 281) + "\""))
    }

    @Test func boundedStringsInsideKeyAndNegatedSchemas() throws {
        // Both compile the string into one byte automaton (the calls are inlined there).
        let names = schema(#"{"type":"object","propertyNames":{"maxLength":3},"additionalProperties":{"type":"integer"}}"#)
        #expect(try accepts(names, #"{"abc":1,"\u00e9":2}"#))
        #expect(try !accepts(names, #"{"abcd":1}"#))
        let negated = schema(#"{"type":"string","maxLength":5,"not":{"pattern":"^a"}}"#)
        #expect(try accepts(negated, #""bcd""#))
        #expect(try !accepts(negated, #""abc""#))
        #expect(try !accepts(negated, #""\u0061bc""#))
        #expect(try !accepts(negated, #""bcdefg""#))
    }

    @Test func formatsAreOneRuleCalledFromEveryUse() throws {
        func object(_ count: Int) -> String {
            #"{"type":"object","properties":{"# + (0..<count).map { #""p\#($0)":{"type":"string","format":"date-time"}"# }.joined(separator: ",") + "}}"
        }
        let one = try states(object(1)), many = try states(object(24))
        // 23 more properties cost their names and separators, not 23 more date-time automata.
        #expect(many - one < 23 * 40, "1 property: \(one) states, 24: \(many)")
        let s = schema(object(3))
        #expect(try accepts(s, #"{"p0":"2024-02-29T12:00:00Z","p2":"1999-12-31t23:59:60.5+01:00"}"#))
        #expect(try !accepts(s, #"{"p0":"2023-02-29T12:00:00Z"}"#))
        let bounded = schema(#"{"type":"string","format":"date","maxLength":10,"minLength":10}"#)
        #expect(try accepts(bounded, #""2024-01-31""#))
        #expect(try !accepts(bounded, #""2024-01-32""#))
    }

    @Test func allowedStringValuesSpellPrintableASCIIAsItself() throws {
        let e = schema(#"{"enum":["foo","é\n",{"a/b":"x"}]}"#)
        #expect(try accepts(e, #""foo""#))
        #expect(try !accepts(e, #""\u0066oo""#))
        #expect(try accepts(e, #""\u00e9\u000a""#))          // other characters in every spelling
        #expect(try accepts(e, #""é\n""#))
        #expect(try accepts(e, #"{"a\/b":"x"}"#))
        #expect(try !accepts(e, #"{"a/b":"\u0078"}"#))
        // Excluded values stay excluded in every spelling.
        let ex = schema(#"{"type":"string","not":{"enum":["foo"]}}"#)
        #expect(try !accepts(ex, #""foo""#))
        #expect(try !accepts(ex, #""\u0066oo""#))
        #expect(try accepts(ex, #""fop""#))
    }

    /// Any string but some values: the key trie (no automaton product); excluded values are
    /// refused in every spelling, other strings taken in every spelling once off the trie.
    @Test func stringsExceptValuesRefuseEverySpelling() throws {
        let ex = schema(#"{"type":"string","not":{"enum":["foo","é\n","a\"b","AC1156F7-BB77"]}}"#)
        for text in [#""foo""#, #""\u0066oo""#, #""f\u006fo""#, #""é\n""#, #""\u00e9\n""#, #""\u00E9\u000a""#, #""a\"b""#, #""a\u0022b""#,
                     #""AC1156F7-BB77""#, #""AC1156F7\u002dBB77""#] {
            #expect(try !accepts(ex, text), "\(text)")
        }
        for text in [#""fo""#, #""fooo""#, #""g\u006fo""#, #""é""#, #""é\n\n""#, #""a\"c""#, #""AC1156F7-BB78""#, "\"\"", #""\ud83d\ude00""#] {
            #expect(try accepts(ex, text), "\(text)")
        }
        // While on a prefix of an excluded value (here the start), printable ASCII is read only
        // as itself, as JSON writers write it (like allowed values and keys).
        #expect(try !accepts(ex, #""\u0067oo""#))
        // Beside other types: only the strings lose values.
        let any = schema(#"{"not":{"enum":["x", 1]}}"#)
        #expect(try !accepts(any, #""x""#))
        #expect(try !accepts(any, "1"))
        #expect(try accepts(any, #""y""#))
        #expect(try accepts(any, "2"))
    }

    /// `propertyNames` excluding names becomes a byte automaton (the product path, not the key
    /// trie): excluded names refused in every spelling, others taken.
    @Test func propertyNamesExcludingValues() throws {
        let s = schema(#"{"type":"object","properties":{"$schema":{"type":"string"}},"propertyNames":{"not":{"enum":["ignore","relative"]}},"additionalProperties":{"type":"integer"}}"#)
        for text in [#"{"*.js":1}"#, #"{"$schema":"x","ign":2,"ignored":3}"#, #"{"\u0069gnorf":1}"#] {
            #expect(try accepts(s, text), "\(text)")
        }
        for text in [#"{"ignore":1}"#, #"{"\u0069gnore":1}"#, #"{"a":1,"relative":2}"#, #"{"rel\u0061tive":2}"#] {
            #expect(try !accepts(s, text), "\(text)")
        }
    }

    @Test func sharedRulesAreInlinedWithinABudget() throws {
        // A definition used by many properties stays one called rule once its copies together
        // would pass the budget: the automaton grows by the call sites, not by their copies.
        let def = #""r":{"anyOf":[{"enum":["on","off","warn"]},{"type":"array","items":[{"enum":["on","off"]},{"type":"object"}],"minItems":2,"additionalItems":false}]}"#
        func object(_ count: Int) -> String {
            #"{"definitions":{"# + def + #"},"type":"object","properties":{"# + (0..<count).map { ##""rule\##($0)":{"$ref":"#/definitions/r"}"## }.joined(separator: ",") + #"},"additionalProperties":false}"#
        }
        let few = try states(object(10)), many = try states(object(100))
        #expect(many < few * 4, "10 uses: \(few) states, 100 uses: \(many)")
        let s = schema(object(100))
        #expect(try accepts(s, #"{"rule1":"on","rule99":["off",{"x":1}]}"#))
        #expect(try !accepts(s, #"{"rule1":"maybe"}"#))
    }
}

/// Alternatives of objects that take extra members are rules of their own from three on (one
/// automaton would hold the product of their member positions); patterns are rules shared by
/// every use. What is accepted stays the same.
@Suite struct SharedBranchRulesTests {
    func states(_ json: String) throws -> Int { try ToyVocab.compiler.compile(schema(json)).buildAllStates() }

    /// `count` branches, each an object with a `type` tag, its own key and extra members.
    func tagged(_ count: Int) -> String {
        let names = ["cargo", "git", "go", "linux", "maven", "npm", "nuget", "other", "pip", "pod", "gems", "vcpkg"]
        let branches = names.prefix(count).map { n in
            #"{"type":"object","properties":{"type":{"enum":["\#(n)"]},"\#(n)":{"type":"object","properties":{"name":{"type":"string"},"version":{"type":"string"}},"required":["name"]}},"required":["type","\#(n)"]}"#
        }
        return #"{"oneOf":["# + branches.joined(separator: ",") + "]}"
    }

    @Test func openObjectBranchesAreRulesOfTheirOwn() throws {
        let six = try states(tagged(6)), twelve = try states(tagged(12))
        // Twelve branches cost about twice six (their own automata), not the product.
        #expect(twelve < six * 3, "6 branches: \(six) states, 12: \(twelve)")
        let s = schema(tagged(12))
        #expect(try accepts(s, #"{"type":"git","git":{"name":"x"}}"#))
        #expect(try accepts(s, #"{"note":1,"type":"npm","extra":[],"npm":{"name":"a","version":"1"},"more":{}}"#))
        #expect(try accepts(s, #"{"type":"pip","cargo":{"other":1},"pip":{"name":"p"}}"#))   // cargo: extra to pip
        #expect(try !accepts(s, #"{"type":"git","npm":{"name":"x"}}"#))                         // git's own key missing
        #expect(try !accepts(s, #"{"type":"git","git":{"version":"1"}}"#))                      // its name missing
        #expect(try !accepts(s, #"{"type":"svn","svn":{"name":"x"}}"#))
    }

    @Test func patternsAreOneRuleCalledFromEveryUse() throws {
        let pattern = #""pattern":"^[a-z]+-[0-9]{1,3}(\\.[0-9]+)?$""#
        func object(_ count: Int) -> String {
            #"{"type":"object","properties":{"# + (0..<count).map { #""p\#($0)":{"type":"string",\#(pattern)}"# }.joined(separator: ",") + "}}"
        }
        let one = try states(object(1)), many = try states(object(20))
        #expect(many - one < 19 * 30, "1 property: \(one) states, 20: \(many)")
        let s = schema(object(3))
        #expect(try accepts(s, #"{"p0":"ab-12","p2":"x-1.5"}"#))
        #expect(try !accepts(s, #"{"p1":"ab-1234"}"#))
        // A pattern beside a negated pattern, and one with length bounds.
        let both = schema(#"{"type":"string","pattern":"^a","not":{"pattern":"b$"}}"#)
        #expect(try accepts(both, #""aac""#))
        #expect(try !accepts(both, #""aab""#))
        #expect(try !accepts(both, #""cab""#))
        let bounded = schema(#"{"type":"string","pattern":"^[0-9]+$","minLength":2,"maxLength":3}"#)
        #expect(try accepts(bounded, #""12""#))
        #expect(try !accepts(bounded, #""1""#))
        #expect(try !accepts(bounded, #""1234""#))
    }
}
