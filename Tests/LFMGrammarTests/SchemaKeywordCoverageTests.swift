import LFMGrammar
import OrderedJSON
import Testing

/// Keywords enforced through byte automata (`multipleOf`, `not`, `if`/`then`/`else`,
/// `propertyNames`, `patternProperties`, `minProperties`/`maxProperties`): valid instances
/// are accepted token by token, invalid ones rejected.
@Suite struct SchemaKeywordCoverageTests {
    func message(_ json: String) -> String? {
        do { _ = try ToyVocab.compiler.compile(schema(json)); return nil } catch { return error.message }
    }

    @Test func multipleOfIntegers() throws {
        let s = schema(#"{"type":"integer","multipleOf":3}"#)
        for ok in ["9", "-12", "0", "9.0", "123456789"] { #expect(try accepts(s, ok), "\(ok)") }
        for bad in ["10", "-1", "9.5", "1e1", "3.3"] { #expect(try !accepts(s, bad), "\(bad)") }
        let bounded = schema(#"{"type":"integer","multipleOf":5,"minimum":10,"maximum":20}"#)
        for ok in ["10", "15", "20"] { #expect(try accepts(bounded, ok), "\(ok)") }
        for bad in ["5", "25", "12", "0"] { #expect(try !accepts(bounded, bad), "\(bad)") }
        let merged = schema(#"{"allOf":[{"multipleOf":2},{"multipleOf":3}]}"#)
        #expect(try accepts(merged, "12"))
        #expect(try !accepts(merged, "8"))
        #expect(try !accepts(merged, "9"))
        #expect(try accepts(merged, #""not a number""#))
    }

    @Test func multipleOfDecimals() throws {
        let cents = schema(#"{"type":"number","multipleOf":0.01}"#)
        for ok in ["1.25", "3", "1.250", "-0.5", "0.01"] { #expect(try accepts(cents, ok), "\(ok)") }
        for bad in ["1.255", "0.001", "1.2501"] { #expect(try !accepts(cents, bad), "\(bad)") }
        let half = schema(#"{"type":"number","multipleOf":1.5}"#)
        for ok in ["4.5", "3", "0", "-1.5", "15.0"] { #expect(try accepts(half, ok), "\(ok)") }
        for bad in ["35", "0.75", "1.5000001"] { #expect(try !accepts(half, bad), "\(bad)") }
        #expect(message(#"{"multipleOf":0}"#)?.contains("'multipleOf' at /multipleOf") == true)
        #expect(message(#"{"multipleOf":0.123456789}"#)?.contains("multipleOf") == true)
    }

    @Test func notOfTypesValuesAndBounds() throws {
        let notInt = schema(#"{"not":{"type":"integer"}}"#)
        for ok in [#""a""#, "1.5", "true", "null", "[]"] { #expect(try accepts(notInt, ok), "\(ok)") }
        for bad in ["1", "-3", "2.0"] { #expect(try !accepts(notInt, bad), "\(bad)") }
        let notStrNull = schema(#"{"not":{"type":["string","null"]}}"#)
        #expect(try accepts(notStrNull, "1"))
        #expect(try !accepts(notStrNull, #""x""#))
        #expect(try !accepts(notStrNull, "null"))
        let notEnum = schema(#"{"type":"string","not":{"enum":["ab","c"]}}"#)
        for ok in [#""abc""#, #""a""#, #""""#] { #expect(try accepts(notEnum, ok), "\(ok)") }
        for bad in [#""ab""#, #""a\u0062""#, #""c""#] { #expect(try !accepts(notEnum, bad), "\(bad)") }
        let notConst = schema(#"{"type":"integer","not":{"const":5}}"#)
        for ok in ["6", "50", "-5"] { #expect(try accepts(notConst, ok), "\(ok)") }
        for bad in ["5", "5.0"] { #expect(try !accepts(notConst, bad), "\(bad)") }
        let notBool = schema(#"{"type":["boolean","null"],"not":{"enum":[true,null]}}"#)
        #expect(try accepts(notBool, "false"))
        #expect(try !accepts(notBool, "true"))
        #expect(try !accepts(notBool, "null"))
        let notMin = schema(#"{"not":{"minimum":3}}"#)
        for ok in ["2.5", "-7"] { #expect(try accepts(notMin, ok), "\(ok)") }
        // A string passes `minimum`, so it fails its negation.
        for bad in ["3", "4.5", #""s""#] { #expect(try !accepts(notMin, bad), "\(bad)") }
        let notRequired = schema(#"{"type":"object","not":{"required":["a"]}}"#)
        #expect(try accepts(notRequired, "{}"))
        #expect(try accepts(notRequired, #"{"b":1}"#))
        #expect(try !accepts(notRequired, #"{"a":1}"#))
        let notLong = schema(#"{"type":"string","not":{"maxLength":2}}"#)
        #expect(try accepts(notLong, #""abc""#))
        #expect(try !accepts(notLong, #""ab""#))
        let notNot = schema(#"{"not":{"not":{"type":"boolean"}}}"#)
        #expect(try accepts(notNot, "true"))
        #expect(try !accepts(notNot, "1"))
        #expect(message(#"{"not":{}}"#) != nil)
        #expect(message(#"{"not":{"format":"email"}}"#)?.contains("'not' at /not") == true)
    }

    @Test func conditionals() throws {
        let byType = schema(#"{"if":{"type":"string"},"then":{"maxLength":2},"else":{"type":"integer"}}"#)
        #expect(try accepts(byType, #""ab""#))
        #expect(try !accepts(byType, #""abc""#))
        #expect(try accepts(byType, "3"))
        #expect(try !accepts(byType, "true"))
        let byKind = schema(#"{"type":"object","properties":{"kind":{"type":"string"},"x":{},"y":{}},"additionalProperties":false,"if":{"properties":{"kind":{"const":"a"}},"required":["kind"]},"then":{"required":["x"]},"else":{"required":["y"]}}"#)
        #expect(try accepts(byKind, #"{"kind":"a","x":1}"#))
        #expect(try !accepts(byKind, #"{"kind":"a","y":1}"#))
        #expect(try accepts(byKind, #"{"kind":"b","y":1}"#))
        #expect(try !accepts(byKind, #"{"kind":"b","x":1}"#))
        #expect(try accepts(byKind, #"{"y":1}"#))
        #expect(try !accepts(byKind, "{}"))
        // `if` alone, or `then` alone, has no effect.
        #expect(try accepts(schema(#"{"allOf":[{"if":{"minimum":0}},{"then":{"maximum":-5}}]}"#), "3"))
        #expect(message(#"{"if":{"format":"email"},"then":{"maxLength":3}}"#)?.contains("'if' at /if") == true)
    }

    @Test func propertyNames() throws {
        let short = schema(#"{"propertyNames":{"maxLength":3}}"#)
        #expect(try accepts(short, #"{"ab":1,"abc":[]}"#))
        #expect(try !accepts(short, #"{"abcd":1}"#))
        #expect(try accepts(short, "[]"))
        let aOnly = schema(#"{"type":"object","properties":{"abcd":{"type":"integer"}},"propertyNames":{"pattern":"^a+$"}}"#)
        #expect(try accepts(aOnly, #"{"aa":1}"#))
        #expect(try !accepts(aOnly, #"{"abcd":1}"#))
        #expect(try !accepts(aOnly, #"{"b":1}"#))
        let named = schema(#"{"type":"object","propertyNames":{"enum":["name","age"]}}"#)
        #expect(try accepts(named, #"{"name":"x","age":1}"#))
        #expect(try !accepts(named, #"{"x":1}"#))
    }

    @Test func patternProperties() throws {
        let s = schema(#"{"type":"object","patternProperties":{"^a":{"type":"integer"},"b$":{"type":"string"}},"additionalProperties":false}"#)
        #expect(try accepts(s, #"{"a1":1,"xb":"s"}"#))
        #expect(try !accepts(s, #"{"a1":"x"}"#))
        #expect(try !accepts(s, #"{"ab":1}"#))
        #expect(try !accepts(s, #"{"ab":"s"}"#))
        #expect(try !accepts(s, #"{"c":1}"#))
        #expect(try !accepts(s, #"{"\u0061x":"s"}"#))
        #expect(try accepts(s, #"{"\u0061x":2}"#))
        let withProps = schema(#"{"type":"object","properties":{"abc":{"minimum":5}},"patternProperties":{"^a":{"type":"integer"}}}"#)
        #expect(try accepts(withProps, #"{"abc":7,"z":"s"}"#))
        #expect(try !accepts(withProps, #"{"abc":7.5}"#))
        #expect(try !accepts(withProps, #"{"abc":3}"#))
        #expect(try !accepts(withProps, #"{"ax":"s"}"#))
        let g = try ToyVocab.compiler.compile(s)
        expectMaskMatchesBruteForce(g, tokens: ToyVocab.tokenize(#"{"ab1":1, "b":"x"}"#).dropLast(0).map { $0 })
    }

    /// Many patterns: only the non-empty regions are built (disjoint prefixes give n + 1, not
    /// 2^n); overlapping patterns combine their schemas. Every key of a small alphabet agrees
    /// with the patterns it matches.
    @Test func manyPatternPropertiesBruteForce() throws {
        let prefixes = ["a", "b", "c", "d", "e", "f"]
        var pp = prefixes.map { #""^\#($0)":{"type":"integer"}"# }
        pp.append(#""x$":{"minimum":3}"#)
        let s = schema(#"{"type":"object","patternProperties":{"# + pp.joined(separator: ",") + #"},"additionalProperties":{"type":"string"}}"#)
        let g = try ToyVocab.compiler.compile(s)
        for key in NegatedPatternTests.strings(["a", "f", "x", "z"], upTo: 2) {
            let prefixed = prefixes.contains { key.hasPrefix($0) }, suffixed = key.hasSuffix("x")
            for value in ["1", "5", #""s""#] {
                let isInt = value != #""s""#
                // prefixes: integers; "x$": numbers from 3 (other types pass); the rest: strings.
                let ok = (!prefixed || isInt) && (!suffixed || value != "1") && (prefixed || suffixed || !isInt)
                let text = #"{""# + key + #"":"# + value + "}"
                #expect(matches(g, tokens: ToyVocab.tokenize(text)) == ok, "\(text)")
            }
        }
        #expect(message(#"{"patternProperties":{"# + (0..<17).map { #""^k\#($0)":{}"# }.joined(separator: ",") + "}}")?.contains("more than 16") == true)
    }

    @Test func propertyCounts() throws {
        let s = schema(#"{"type":"object","minProperties":1,"maxProperties":2}"#)
        #expect(try !accepts(s, "{}"))
        #expect(try accepts(s, #"{"a":1}"#))
        #expect(try accepts(s, #"{"a":1,"b":2}"#))
        #expect(try !accepts(s, #"{"a":1,"b":2,"c":3}"#))
        let one = schema(#"{"type":"object","properties":{"a":{},"b":{}},"minProperties":1}"#)
        #expect(try !accepts(one, "{}"))
        #expect(try accepts(one, #"{"b":1}"#))
        #expect(try accepts(one, #"{"a":1,"b":2}"#))
        #expect(try accepts(one, #"{"x":1,"a":2}"#))
        #expect(try accepts(one, #"{"x":1}"#))
        let closed = schema(#"{"type":"object","properties":{"a":{}},"additionalProperties":false,"maxProperties":1}"#)
        #expect(try accepts(closed, #"{"a":1}"#))
        #expect(message(#"{"type":"object","properties":{"a":{},"b":{},"c":{}},"minProperties":2}"#)?.contains("'minProperties' at /minProperties") == true)
    }
}

@Suite struct SchemaKeywordMergeTests {
    @Test func closedPartRestrictsOtherPartsPatterns() throws {
        // The first part admits only "a"; the second part's pattern must not reopen the object:
        // the closed part's additionalProperties joins the pattern's schema.
        let s = schema(#"{"allOf":[{"properties":{"a":{}},"additionalProperties":false},{"patternProperties":{"^x":{"type":"integer"}}}]}"#)
        #expect(try accepts(s, #"{"a":1}"#))
        #expect(try !accepts(s, #"{"x1":1}"#))
        #expect(try !accepts(s, #"{"b":1}"#))
        let typed = schema(#"{"allOf":[{"properties":{"a":{}},"additionalProperties":{"type":"string"}},{"patternProperties":{"^x":{"minLength":2}}}]}"#)
        #expect(try accepts(typed, #"{"xy":"ab","b":"s","a":1}"#))
        #expect(try !accepts(typed, #"{"xy":"a"}"#))
        #expect(try !accepts(typed, #"{"xy":5}"#))
        #expect(try !accepts(typed, #"{"b":1}"#))
        // A declared name of the closed part that a pattern matches: not merged (refused).
        let declared = schema(#"{"allOf":[{"properties":{"xa":{}},"additionalProperties":false},{"patternProperties":{"^x":{"type":"integer"}}}]}"#)
        #expect(throws: GrammarError.self) { try accepts(declared, #"{"xa":1}"#) }
        let same = schema(#"{"allOf":[{"patternProperties":{"^x":{}},"additionalProperties":false},{"patternProperties":{"^x":{}}}]}"#)
        #expect(try accepts(same, #"{"xy":1}"#))
        #expect(try !accepts(same, #"{"a":1}"#))
    }
}

@Suite struct StringLengthProductTests {
    @Test func patternOrFormatWithLength() throws {
        let p = schema(#"{"type":"string","pattern":"^[a-z]+$","minLength":2,"maxLength":3}"#)
        #expect(try accepts(p, #""ab""#))
        #expect(try accepts(p, #""abc""#))
        #expect(try !accepts(p, #""a""#))
        #expect(try !accepts(p, #""abcd""#))
        #expect(try !accepts(p, #""a1""#))
        let search = schema(#"{"type":"string","pattern":"x","maxLength":2}"#)
        #expect(try accepts(search, #""ax""#))
        #expect(try !accepts(search, #""aax""#))
        #expect(try !accepts(search, #""ab""#))
        let email = schema(#"{"type":"string","format":"email","maxLength":5}"#)
        #expect(try accepts(email, #""a@b.c""#))
        #expect(try !accepts(email, #""ab@b.c""#))
        #expect(try !accepts(email, #""abc""#))
    }
}

@Suite struct NegatedPropertyTests {
    @Test func negatedAnyOfPropertyIsAConjunction() throws {
        // not {properties: {a: anyOf[const "x", integer]}}: a present and neither "x" nor an integer.
        let s = schema(#"{"type":"object","not":{"properties":{"a":{"anyOf":[{"const":"x"},{"type":"integer"}]}}}}"#)
        #expect(try accepts(s, #"{"a":"y"}"#))
        #expect(try accepts(s, #"{"a":1.5}"#))
        #expect(try !accepts(s, #"{"a":"x"}"#))
        #expect(try !accepts(s, #"{"a":3}"#))
        #expect(try !accepts(s, "{}"))
    }
}
