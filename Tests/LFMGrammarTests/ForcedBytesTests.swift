import LFMGrammar
import Testing

/// ``GrammarMatcher/forcedBytes(limit:)``: the bytes every accepted continuation starts with.
@Suite struct ForcedBytesTests {
    let person = #"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}"#

    func matcher(_ spec: GrammarSpec, after text: String) throws -> GrammarMatcher {
        var m = try ToyVocab.compiler.compile(spec).makeMatcher()
        for t in ToyVocab.tokenize(text) {
            let ok = m.accept(t)
            #expect(ok, "prefix \(text) refused")
        }
        return m
    }

    func forced(_ spec: GrammarSpec, after text: String, limit: Int = 256) throws -> (String, Bool) {
        let f = try matcher(spec, after: text).forcedBytes(limit: limit)

        return (String(decoding: f.bytes, as: UTF8.self), f.endsOutput)
    }

    @Test func objectsStopAtWhitespaceChoices() throws {
        // `{` may be followed by whitespace or the first key: only `{` is forced.
        #expect(try forced(schema(person), after: "") == ("{", false))
        // Inside the first key (properties in schema order), up to the whitespace before `:`.
        #expect(try forced(schema(person), after: "{\"") == ("name\"", false))
        #expect(try forced(schema(person), after: "{\"na") == ("me\"", false))
        // After `:`, whitespace or the value's `"`.
        #expect(try forced(schema(person), after: "{\"name\":") == ("", false))
        #expect(try forced(schema(person), after: "{\"name\":\"Ada\",\"") == ("age\"", false))
    }

    @Test func enumsAndConstsForceTheirCommonPrefix() throws {
        #expect(try forced(schema(#"{"enum":["alpha","alpine"]}"#), after: "") == ("\"alp", false))
        // A JSON text may end with whitespace: the closing quote does not end the output.
        #expect(try forced(schema(#"{"enum":["alpha","alpine"]}"#), after: "\"alph") == ("a\"", false))
        #expect(try forced(schema(#"{"const":"hello"}"#), after: "") == ("\"hello\"", false))
        #expect(try forced(.choice(["hello"]), after: "") == ("hello", true))
        #expect(try forced(.choice(["yes", "yesterday"]), after: "") == ("yes", false))
    }

    @Test func freeValuesForceNothing() throws {
        #expect(try forced(schema(#"{"type":"integer"}"#), after: "") == ("", false))
        #expect(try forced(schema(#"{"type":"string"}"#), after: "") == ("\"", false))
        #expect(try forced(schema(#"{"type":"string"}"#), after: "\"ab") == ("", false))
        // A complete integer may end or go on: nothing is forced, and it does not end the output.
        #expect(try forced(schema(#"{"type":"integer"}"#), after: "12") == ("", false))
    }

    @Test func theLimitBoundsTheWalk() throws {
        #expect(try forced(schema(#"{"const":"hello"}"#), after: "", limit: 3) == ("\"he", false))
        let long = String(repeating: "x", count: 400)
        let (f, ends) = try forced(.choice([long]), after: "")
        #expect(f.utf8.count == 256 && !ends)
    }

    @Test func specialTokensStopTheWalk() throws {
        var grammar = Grammar()
        _ = grammar.add("root", .seq([.literal("a"), .token(ToyVocab.specialStart), .literal("bc")]))
        let g = try ToyVocab.compiler.compile(.grammar(grammar))
        var m = g.makeMatcher()
        #expect(m.forcedBytes().bytes == Array("a".utf8))
        _ = m.accept(Int(UInt8(ascii: "a")))
        #expect(m.forcedBytes().bytes.isEmpty)
        _ = m.accept(ToyVocab.specialStart)
        #expect(m.forcedBytes() == ForcedBytes(bytes: Array("bc".utf8), endsOutput: true))
    }

    @Test func escapesAreSpellingsOnlyInJSONGrammars() throws {
        // A regex that allows `n` or the six characters `\u006e`: a real choice, nothing forced.
        #expect(try forced(.regex(#"^(n|\\u006e)x$"#), after: "") == ("", false))
        // Non-ASCII key characters are forced in their UTF-8 spelling.
        let s = #"{"type":"object","properties":{"né":{"type":"integer"}},"required":["né"],"additionalProperties":false}"#
        #expect(try forced(schema(s), after: "{\"") == ("né\"", false))
    }

    @Test func theMatcherIsUnchanged() throws {
        let m = try matcher(schema(person), after: "{\"")
        let before = m.acceptedCount
        _ = m.forcedBytes()
        #expect(m.acceptedCount == before)
        var copy = m
        let ok = copy.accept(Int(UInt8(ascii: "n")))
        #expect(ok)
    }

    /// Every token the mask allows agrees with the forced bytes on their common length (or
    /// departs from them with a backslash: an escape spelling the same character), and the
    /// forced bytes are accepted byte by byte: on several schemas and every prefix of a valid
    /// instance.
    @Test func everyAllowedTokenAgreesWithTheForcedBytes() throws {
        let cases: [(String, String)] = [
            (person, #"{"name": "Ada", "age": 36}"#),
            (#"{"type":"array","items":{"enum":["red","green","reed"]},"maxItems":3}"#, #"["red","reed"]"#),
            (#"{"anyOf":[{"const":"abc"},{"const":"abd"},{"type":"null"}]}"#, #""abd""#),
        ]
        for (s, text) in cases {
            let g = try ToyVocab.compiler.compile(schema(s))
            var m = g.makeMatcher()
            var mask: [UInt64] = []
            for t in Array(text.utf8).map(Int.init) + [-1] {
                let f = m.forcedBytes()
                m.fillMask(into: &mask)
                for id in 0..<g.vocabulary.size where mask[id >> 6] >> UInt64(id & 63) & 1 == 1 {
                    guard let b = g.vocabulary.tokenBytes[id], !g.vocabulary.isSpecial[id] else {
                        #expect(f.bytes.isEmpty, "end of output allowed although \(f.bytes) is forced")
                        continue
                    }
                    let n = min(b.count, f.bytes.count)
                    let split = (0..<n).first { b[$0] != f.bytes[$0] }
                    #expect(split.map { b[$0] == UInt8(ascii: "\\") } ?? true, "token \(b) disagrees with forced \(f.bytes) in \(s)")
                }
                var probe = m
                for b in f.bytes { let ok = probe.accept(Int(b)); #expect(ok) }
                if f.endsOutput { #expect(probe.canTerminate) }
                if t >= 0 { let ok = m.accept(t); #expect(ok) }
            }
        }
    }
}
