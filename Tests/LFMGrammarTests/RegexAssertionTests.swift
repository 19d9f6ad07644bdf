import LFMGrammar
import Testing

/// Zero-width assertions in patterns — lookaheads `(?=…)` / `(?!…)` and word boundaries
/// `\b` / `\B` (automaton intersections) — checked against the standard library's regex engine
/// over every short string of a small alphabet (with ECMAScript's simple word boundaries).
@Suite struct RegexAssertionTests {
    /// The `regex` form matches the whole text: lookaheads over [abc], word boundaries over [ab.].
    @Test(arguments: [
        (#"(?!ab)[abc]+"#, "abc"),
        (#"a(?=b)[bc]*"#, "abc"),
        (#"(?=.*c)[abc]{2,3}"#, "abc"),
        (#"(?!a|bb$)[ab]*"#, "abc"),
        (#"(?=a)(?!ab)[ab]+"#, "abc"),
        (#"[ab](?!b)[abc]*"#, "abc"),
        (#"a(?!c)[abc]?c?"#, "abc"),
        (#"(?:b(?!a))c*"#, "abc"),
        (#"(?=(?!ab)[ab])\w*"#, "abc"),
        (#"a\b.*"#, "ab."),
        (#"\ba[ab]*"#, "ab."),
        (#"[ab.]+\b\.?"#, "ab."),
        (#"a\Bb.*"#, "ab."),
        (#"[a.]*\b[b.]+"#, "ab."),
        (#"(?:a|\.)\b(?!\.)[ab.]*"#, "ab."),
    ])
    func wholeText(pattern: String, alphabet: String) throws {
        let reference = try Regex(pattern).wordBoundaryKind(.simple)
        let g = try ToyVocab.compiler.compile(.regex(pattern))
        for s in NegatedPatternTests.strings(alphabet.map(String.init), upTo: 4) {
            let expected = (try? reference.wholeMatch(in: s)) != nil
            #expect(matches(g, tokens: ToyVocab.tokenize(s)) == expected, "/\(pattern)/ on \(s)")
        }
    }

    /// The common URL pattern (dein's, and many others'): `\b` between the top-level domain and the path.
    @Test func urlPatternWithWordBoundary() throws {
        let pattern = #"^https?:\/\/(www\.)?[-a-zA-Z0-9@:%._\+~#=]{1,64}\.[a-zA-Z0-9()]{1,6}\b([-a-zA-Z0-9()@:%_\+.~#?&//=]*)$"#
        let reference = try Regex(pattern).wordBoundaryKind(.simple)
        let escaped = pattern.replacingOccurrences(of: "\\", with: "\\\\")
        let s = schema(#"{"type":"string","pattern":"\#(escaped)"}"#)
        for url in ["https://example.com", "http://www.a.io/x?y=1", "https://a.b", "https://a.(b)/", "https://a.bc(/", "ftp://a.b", "https://a."] {
            let expected = (try? reference.firstMatch(in: url)) != nil
            #expect(try accepts(s, "\"" + url.replacingOccurrences(of: "/", with: "\\/") + "\"") == expected, "\(url)")
        }
    }

    /// JSON Schema `pattern` searches the string; SchemaStore's forms (a leading negative
    /// lookahead before the real pattern, `^` and `$` inside the group).
    @Test(arguments: [
        #"^(?!@@)[@a.]+$"#,
        #"^(?!a\.)([a.][ab]*\.)*[ab]+$"#,
        #"^(?!^ab|b\.|a$).*"#,
        #"^(?!ab$)[ab.]+$"#,
        #"(?!b)a"#,
        #"a(?=.*\.)"#,
        #"(?=.*a)(?=.*b).{3,}"#,
        #"\bab\b"#,
        #"^a\b"#,
        #"\B@"#,
    ])
    func schemaPatternSearches(pattern: String) throws {
        let reference = try Regex(pattern).wordBoundaryKind(.simple)
        let escaped = pattern.replacingOccurrences(of: "\\", with: "\\\\")
        let g = try ToyVocab.compiler.compile(schema(#"{"type":"string","pattern":"\#(escaped)"}"#))
        for s in NegatedPatternTests.strings(["a", "b", ".", "@"], upTo: 4) {
            let expected = (try? reference.firstMatch(in: s)) != nil
            #expect(matches(g, tokens: ToyVocab.tokenize("\"\(s)\"")) == expected, "/\(pattern)/ on \(s)")
        }
    }

    @Test func escapedSpellingsAreTheCharacters() throws {
        let s = schema(#"{"type":"string","pattern":"^(?!@@)[@a]+$"}"#)
        #expect(try !accepts(s, #""\u0040@a""#))
        #expect(try !accepts(s, #""\u0040\u0040""#))
        #expect(try accepts(s, #""\u0040a@""#))
    }

    @Test func lookaheadInPatternPropertiesKeys() throws {
        let s = schema(#"{"type":"object","patternProperties":{"^(?!x)":{"type":"integer"}},"additionalProperties":{"type":"string"}}"#)
        #expect(try accepts(s, #"{"a":1}"#))
        #expect(try accepts(s, #"{"x":"s"}"#))
        #expect(try accepts(s, #"{"xa":"s","ab":2}"#))
        #expect(try !accepts(s, #"{"x":1}"#))
        #expect(try !accepts(s, #"{"a":"s"}"#))
    }

    @Test func unsupportedFormsAreNamed() {
        func message(_ spec: GrammarSpec) -> String? {
            do { _ = try ToyVocab.compiler.compile(spec); return nil } catch { return error.message }
        }
        #expect(message(.regex("((?!a).)*"))?.contains("top-level sequence") == true)
        #expect(message(.regex("(?=a)*b"))?.contains("quantifier after a lookahead") == true)
        #expect(message(.regex("(?<=a)b"))?.contains("lookbehind") == true)
        #expect(message(.regex("(?<!a)b"))?.contains("lookbehind") == true)
        #expect(message(.regex("b(?!^a)"))?.contains("^ inside a lookahead") == true)
        #expect(message(.regex("(a\\b)*"))?.contains("top-level sequence") == true)
        #expect(message(.regex("a\\b+"))?.contains("quantifier after") == true)
        #expect(message(schema(#"{"type":"string","pattern":"(x|(?=a))b"}"#))?.contains("/pattern") == true)
    }
}
