import LFMGrammar
import Testing

/// Zero-width assertions in patterns — lookaheads `(?=…)` / `(?!…)` and word boundaries
/// `\b` / `\B` (automaton intersections) — checked against the standard library's regex engine
/// over every short string of a small alphabet (with ECMAScript's simple word boundaries).
@Suite struct RegexAssertionTests {
    static func strings(_ alphabet: [String], upTo n: Int) -> [String] {
        var out = [""], frontier = [""]
        for _ in 0..<n {
            frontier = frontier.flatMap { s in alphabet.map { s + $0 } }
            out += frontier
        }
        return out
    }

    /// The `regex` form matches the whole text.
    @Test(arguments: [
        #"(?!ab)[abc]+"#,
        #"a(?=b)[bc]*"#,
        #"(?=.*c)[abc]{2,3}"#,
        #"(?!a|bb$)[ab]*"#,
        #"(?=a)(?!ab)[ab]+"#,
        #"[ab](?!b)[abc]*"#,
        #"a(?!c)[abc]?c?"#,
        #"(?:b(?!a))c*"#,
        #"(?=(?!ab)[ab])\w*"#,
    ])
    func wholeText(pattern: String) throws {
        let reference = try Regex(pattern).wordBoundaryKind(.simple)
        let g = try ToyVocab.compiler.compile(.regex(pattern))
        for s in Self.strings(["a", "b", "c"], upTo: 4) {
            let expected = (try? reference.wholeMatch(in: s)) != nil
            #expect(matches(g, tokens: ToyVocab.tokenize(s)) == expected, "/\(pattern)/ on \(s)")
        }
    }

    @Test(arguments: [
        #"a\b.*"#,
        #"\ba[ab]*"#,
        #"[ab.]+\b\.?"#,
        #"a\Bb.*"#,
        #"[a.]*\b[b.]+"#,
        #"(?:a|\.)\b(?!\.)[ab.]*"#,
    ])
    func wordBoundaryWholeText(pattern: String) throws {
        let reference = try Regex(pattern).wordBoundaryKind(.simple)
        let g = try ToyVocab.compiler.compile(.regex(pattern))
        for s in Self.strings(["a", "b", "."], upTo: 4) {
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
        for s in Self.strings(["a", "b", ".", "@"], upTo: 4) {
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
