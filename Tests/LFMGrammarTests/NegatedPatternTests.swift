import LFMGrammar
import OrderedJSON
import Testing

/// `not` of a pattern (the complement of the pattern's string automaton) and of several
/// independent keywords (De Morgan: the union of their complements).
@Suite struct NegatedPatternTests {
    static func strings(_ alphabet: [String], upTo n: Int) -> [String] {
        var out = [""], frontier = [""]
        for _ in 0..<n {
            frontier = frontier.flatMap { s in alphabet.map { s + $0 } }
            out += frontier
        }
        return out
    }

    @Test func notPatternBruteForce() throws {
        let g = try ToyVocab.compiler.compile(schema(#"{"not":{"pattern":"ab|c$"}}"#))
        for s in Self.strings(["a", "b", "c", "é"], upTo: 4) {
            let matchesPattern = s.contains("ab") || s.hasSuffix("c")
            #expect(matches(g, tokens: ToyVocab.tokenize("\"\(s)\"")) == !matchesPattern, "\(s)")
        }
        // A pattern accepts every non-string, so its negation rejects them.
        for other in ["1", "null", "{}", "[]"] { #expect(try !accepts(schema(#"{"not":{"pattern":"x"}}"#), other), "\(other)") }
        // An escaped spelling of a matching string is that string.
        #expect(try !accepts(schema(#"{"not":{"pattern":"é"}}"#), #""\u00e9""#))
    }

    @Test func severalNegatedPatternsInAllOf() throws {
        // dependabot's branch-name template: none of three patterns may match.
        let s = schema(#"{"type":"string","allOf":[{"not":{"pattern":"[ ~]"}},{"not":{"pattern":"\\.\\."}},{"not":{"pattern":"@\\{"}}]}"#)
        let g = try ToyVocab.compiler.compile(s)
        for text in Self.strings(["a", ".", "@", "{", " "], upTo: 3) {
            let bad = text.contains(" ") || text.contains("~") || text.contains("..") || text.contains("@{")
            #expect(matches(g, tokens: ToyVocab.tokenize("\"\(text)\"")) == !bad, "\(text)")
        }
    }

    /// A keyword of one type (bounds, lengths, counts, properties) passes every other type, so
    /// its negation rejects them unless `type` is negated beside it.
    @Test func negatedSingleTypeKeywordsRejectOtherTypes() throws {
        let cases: [(String, [String], [String])] = [
            (#"{"not":{"minimum":5}}"#, ["3", "-1.5"], ["7", "5", #""abc""#, "null", "{}"]),
            (#"{"not":{"minLength":2}}"#, [#""a""#, #""""#], [#""ab""#, "5", "[]"]),
            (#"{"not":{"maxItems":1}}"#, ["[1,2]"], ["[1]", "[]", "true", #""x""#]),
            (#"{"not":{"properties":{"a":{"type":"string"}}}}"#, [#"{"a":1}"#], [#"{"a":"s"}"#, "{}", "5", #""a""#]),
            (#"{"not":{"required":["a"]}}"#, ["{}", #"{"b":1}"#], [#"{"a":1}"#, "5", "[]"]),
        ]
        for (json, good, bad) in cases {
            let s = schema(json)
            for t in good { #expect(try accepts(s, t), "\(json) \(t)") }
            for t in bad { #expect(try !accepts(s, t), "\(json) \(t)") }
        }
    }

    @Test func deMorganOverIndependentKeywords() throws {
        // not (string and length >= 2) = non-strings or strings shorter than 2.
        let g = try ToyVocab.compiler.compile(schema(#"{"not":{"type":"string","minLength":2}}"#))
        for s in Self.strings(["a", "é"], upTo: 3) {
            #expect(matches(g, tokens: ToyVocab.tokenize("\"\(s)\"")) == (s.count < 2), "\(s)")
        }
        for other in ["1", "null", "{}", "[]", "true"] { #expect(matches(g, tokens: ToyVocab.tokenize(other)), "\(other)") }
        // not (string and in [a, b]) = non-strings or other strings.
        let e = try ToyVocab.compiler.compile(schema(#"{"not":{"type":"string","enum":["a","b"]}}"#))
        for s in Self.strings(["a", "b"], upTo: 2) {
            #expect(matches(e, tokens: ToyVocab.tokenize("\"\(s)\"")) == !(s == "a" || s == "b"), "\(s)")
        }
        #expect(matches(e, tokens: ToyVocab.tokenize("3")))
    }
}
