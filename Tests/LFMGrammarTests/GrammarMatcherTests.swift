import LFMGrammar
import LFMTestSupport
import LFMTokenizer
import OrderedJSON
import Testing

@Suite struct GrammarMatcherTests {
    let person = #"{"type":"object","properties":{"name":{"type":"string","maxLength":4},"age":{"type":"integer","minimum":0},"tags":{"type":"array","items":{"enum":["ab","x"]}}},"required":["name"],"additionalProperties":false}"#

    @Test func masksEqualBruteForceOnToyVocabulary() throws {
        let cases: [(String, String)] = [
            (person, #"{"name": "é\"a", "age": 12, "tags": ["ab","x"]}"#),
            ("{}", #"{"a":[1,{"b":null}],"c":"\u00e9"}"#),
            (#"{"anyOf":[{"type":"number","minimum":-3,"maximum":7},{"type":"string","pattern":"^a+b$"}]}"#, #""aab""#),
        ]
        for (s, text) in cases {
            let g = try ToyVocab.compiler.compile(schema(s))
            expectMaskMatchesBruteForce(g, tokens: ToyVocab.tokenize(text))
            expectMaskMatchesBruteForce(g, tokens: Array(text.utf8).map(Int.init))
        }
    }

    @Test func eosOnlyWhenComplete() throws {
        let g = try ToyVocab.compiler.compile(schema(#"{"type":"integer"}"#))
        var m = g.makeMatcher()
        #expect(!m.canTerminate)
        do { let ok = m.accept(ToyVocab.eos); #expect(!ok) }
        do { let ok = m.accept(Int(UInt8(ascii: "1"))); #expect(ok) }
        #expect(m.canTerminate)
        do { let ok = m.accept(Int(UInt8(ascii: "2"))); #expect(ok) }
        do { let ok = m.accept(ToyVocab.eos); #expect(ok) }
        #expect(m.isTerminated)
        do { let ok = m.accept(Int(UInt8(ascii: "3"))); #expect(!ok) }
        var mask: [UInt64] = []
        m.fillMask(into: &mask)
        #expect(mask.allSatisfy { $0 == 0 })
    }

    @Test func rollbackRestoresEarlierState() throws {
        let g = try ToyVocab.compiler.compile(schema(person))
        let tokens = ToyVocab.tokenize(#"{"name": "ab", "age": 1"#)
        var m = g.makeMatcher()
        var masks: [[UInt64]] = []
        for t in tokens {
            var mask: [UInt64] = []
            m.fillMask(into: &mask)
            masks.append(mask)
            do { let ok = m.accept(t); #expect(ok) }
        }
        let snapshot = m.copy()
        m.rollback(3)
        #expect(m.acceptedCount == tokens.count - 3)
        var mask: [UInt64] = []
        m.fillMask(into: &mask)
        #expect(mask == masks[tokens.count - 3])
        do { var probe = m; let ok = probe.accept(Int(UInt8(ascii: "}"))); #expect(!ok) }
        var copy = snapshot
        do { let ok = copy.accept(Int(UInt8(ascii: "}"))); #expect(ok) }
        #expect(copy.canTerminate)
        m.rollback(100)
        #expect(m.acceptedCount == 0)
    }

    @Test func forcedTokensFastForward() throws {
        let g = try ToyVocab.compiler.compile(.gbnf(#"root ::= "xyz" [0-9]"#))
        let forced = g.makeMatcher().forcedTokens()
        #expect(forced == [Int(UInt8(ascii: "x")), Int(UInt8(ascii: "y")), Int(UInt8(ascii: "z"))])
        var m = g.makeMatcher()
        for t in forced { do { let ok = m.accept(t); #expect(ok) } }
        do { let ok = m.accept(Int(UInt8(ascii: "7"))); #expect(ok) }
        #expect(m.forcedTokens() == [ToyVocab.eos])
    }

    @Test func specialTokenTerminals() throws {
        var gr = Grammar()
        let args = gr.add("args", .plus(.byteRange(0x61...0x7A)))
        gr.start = gr.add("call", .seq([.token(ToyVocab.specialStart), .literal("["), .ref(args), .literal("]"), .token(ToyVocab.specialEnd)]))
        let g = try ToyVocab.compiler.compile(.grammar(gr))
        var m = g.makeMatcher()
        var mask: [UInt64] = []
        m.fillMask(into: &mask)
        let allowed = (0..<ToyVocab.vocabulary.size).filter { mask[$0 >> 6] >> UInt64($0 & 63) & 1 == 1 }
        #expect(allowed == [ToyVocab.specialStart])
        do { let ok = m.accept(ToyVocab.specialStart); #expect(ok) }
        for t in ToyVocab.tokenize("[abc]") { do { let ok = m.accept(t); #expect(ok) } }
        #expect(!m.canTerminate)
        do { let ok = m.accept(ToyVocab.specialEnd); #expect(ok) }
        #expect(m.canTerminate)
        // The text of a special token never matches its terminal.
        var text = g.makeMatcher()
        do { let ok = text.accept(Int(UInt8(ascii: "<"))); #expect(!ok) }
        expectMaskMatchesBruteForce(g, tokens: [ToyVocab.specialStart] + ToyVocab.tokenize("[ab]") + [ToyVocab.specialEnd])
    }

    @Test func realTokenizerMasksEqualBruteForce() throws {
        let tok = try Tokenizer.load(directory: Fixtures.url("lfm2-tokenizer"))
        let size = tok.vocabularySize
        let vocab = TokenVocabulary(tokenBytes: (0..<size).map { tok.bytes(of: $0) },
                                    specialIDs: Set((0..<size).filter { tok.isSpecial($0) }), eosIDs: tok.eosTokenID.map { [$0] } ?? [])
        #expect(vocab.size == tok.vocabularySize && vocab.size > 60_000)
        let g = try GrammarCompiler(vocabulary: vocab).compile(schema(person))
        let text = #"{"name": "Zoë\n", "age": 31, "tags": ["x"]}"#
        let ids = tok.encode(text, addSpecialTokens: false)
        var m = g.makeMatcher()
        var mask: [UInt64] = []
        for (i, id) in ids.enumerated() {
            m.fillMask(into: &mask)
            #expect(mask[id >> 6] >> UInt64(id & 63) & 1 == 1, "token \(i) (\(id)) masked out")
            // Brute force at the states up to the end of the name string (key, inside a
            // string with non-ASCII and escapes, after it) and at the end.
            if i < 9 || i == ids.count - 1 {
                for t in 0..<size {
                    var c = m.copy()
                    let bit = mask[t >> 6] >> UInt64(t & 63) & 1 == 1
                    if bit != c.accept(t) { Issue.record("state \(i) token \(t): mask \(bit)"); break }
                }
            }
            do { let ok = m.accept(id); #expect(ok) }
        }
        #expect(m.canTerminate)
        do { let ok = m.accept(tok.eosTokenID!); #expect(ok) }
    }
}
