import LFMGrammar
import LFMTestSupport
import LFMTokenizer
import OrderedJSON
import Testing

/// The mask walk's shortcuts (plain-content runs: counted strings, object keys beside declared
/// names; few-byte states looked up among many trie children) against brute force.
@Suite struct MaskWalkerTests {
    /// A vocabulary with long plain tokens (so subtrees are longer than short runs), tokens that
    /// mix content with quotes and escapes, partial UTF-8 characters and a 4-byte character.
    static let pieces: [String] = ["QQ", "QQQQ", "QQQQQQQQ", "QQQQQQQQQQQQ", "abcdefghij", "abc", "ab", "é", "éé", "ééé😀", "😀",
                                   "\\n", "\\\"", "\\u00e9", "\\u", "a\"", "\",", "\"}", "\": \"", "QQ\"", "é\"", " \"", "{\"", "\":",
                                   "name", "names", "nam", "x y z", "\n  "]
    static let partial: [[UInt8]] = [[0xF0, 0x9F], [0xF0, 0x9F, 0x98], [0x98, 0x80], [0xC3]]
    static let eos = 400
    static let vocabulary: TokenVocabulary = {
        var t: [[UInt8]?] = (0..<256).map { [UInt8($0)] }
        t += pieces.map { Array($0.utf8) }
        t += partial
        while t.count < eos { t.append(nil) }
        t.append(Array("<|im_end|>".utf8))
        return TokenVocabulary(tokenBytes: t, specialIDs: [eos], eosIDs: [eos])
    }()

    /// Greedy longest-match tokenization over this vocabulary.
    static func tokenize(_ text: String) -> [Int] {
        let b = Array(text.utf8)
        let all = pieces.map { Array($0.utf8) } + partial
        var out: [Int] = []
        var i = 0
        while i < b.count {
            var best = Int(b[i]), bestLen = 1
            for (k, p) in all.enumerated() where p.count > bestLen && i + p.count <= b.count && Array(b[i..<(i + p.count)]) == p {
                best = 256 + k; bestLen = p.count
            }
            out.append(best); i += bestLen
        }
        return out
    }

    func check(_ s: String, _ texts: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let g = try GrammarCompiler(vocabulary: Self.vocabulary).compile(schema(s))
        for text in texts {
            expectMaskMatchesBruteForce(g, tokens: Self.tokenize(text), sourceLocation: sourceLocation)
            expectMaskMatchesBruteForce(g, tokens: Array(text.utf8).map(Int.init), sourceLocation: sourceLocation)
        }
    }

    @Test func countedStringsSmallBounds() throws {
        try check(#"{"type":"string","maxLength":3}"#, [#""QQé""#, #""\n\"a""#, #""😀""#])
        try check(#"{"type":"string","minLength":2,"maxLength":5}"#, [#""QQQQQ""#, #""é\u00e9😀a""#])
        try check(#"{"type":"string","minLength":9,"maxLength":13}"#, [#""QQQQQQQQQQQQ""#, #""abcdefghij\"""#])
        try check(#"{"type":"object","properties":{"s":{"type":"string","maxLength":4},"t":{"type":"string","minLength":1}},"additionalProperties":false}"#,
                  [#"{"s": "QQ", "t": "x y z"}"#, #"{"s":"ééé😀","t":"\u00e9"}"#])
    }

    @Test func countedStringsLargeBounds() throws {
        // Above 64 characters the character is a called rule: the run goes through the call.
        let long = String(repeating: "QQQQ", count: 17)
        try check(#"{"type":"string","maxLength":70}"#, ["\"" + long + "\"", #""é😀\n\\\"x""#])
        try check(#"{"type":"string","minLength":66,"maxLength":100}"#, ["\"" + long + "ééé😀\""])
        try check(#"{"type":"array","items":{"type":"string","minLength":2,"maxLength":80}}"#, ["[\"" + long + "\", \"ab\"]"])
    }

    @Test func objectKeysBesideDeclaredNames() throws {
        try check(#"{"type":"object","properties":{"name":{"type":"integer"},"nam":{"type":"boolean"}}}"#,
                  [#"{"names": 1, "name": 2, "nam": true, "QQQQ": "x"}"#, #"{"na": {"name": "é\""}}"#])
    }

    @Test func exactLengthLimitsWithEscapesAndUnicode() throws {
        let spec = schema(#"{"type":"string","minLength":2,"maxLength":3}"#)
        let g = try GrammarCompiler(vocabulary: Self.vocabulary).compile(spec)
        func ok(_ text: String) -> Bool { matchesAll(g, Self.tokenize(text)) && matchesAll(g, Array(text.utf8).map(Int.init)) }
        #expect(ok(#""é😀""#))
        #expect(ok(#""\u00e9\n\"""#))
        #expect(!ok(#""😀""#))
        #expect(!ok(#""ééé😀""#))
        #expect(!ok(#""QQQQ""#))
        let long = try GrammarCompiler(vocabulary: Self.vocabulary).compile(schema(#"{"type":"string","maxLength":70}"#))
        #expect(matchesAll(long, Self.tokenize("\"" + String(repeating: "é", count: 70) + "\"")))
        #expect(!matchesAll(long, Self.tokenize("\"" + String(repeating: "é", count: 71) + "\"")))
        #expect(!matchesAll(long, Self.tokenize("\"" + String(repeating: "\\n", count: 71) + "\"")))
    }

    @Test func realTokenizerCountedStringsEqualBruteForce() throws {
        let tok = try Tokenizer.load(directory: Fixtures.url("lfm2-tokenizer"))
        let size = tok.vocabularySize
        let vocab = TokenVocabulary(tokenBytes: (0..<size).map { tok.bytes(of: $0) },
                                    specialIDs: Set((0..<size).filter { tok.isSpecial($0) }), eosIDs: tok.eosTokenID.map { [$0] } ?? [])
        let cases: [(String, String)] = [
            (#"{"type":"object","properties":{"a":{"type":"string","maxLength":6},"b":{"type":"string","minLength":3,"maxLength":120}},"additionalProperties":false}"#,
             #"{"a": "Zoë \"", "b": "déjà vu\n😀 ok"}"#),
            (#"{"type":"object","properties":{"title":{"type":"string"}}}"#, #"{"titles": "x", "title": "y"}"#),
        ]
        for (s, text) in cases {
            let g = try GrammarCompiler(vocabulary: vocab).compile(schema(s))
            let ids = tok.encode(text, addSpecialTokens: false)
            var m = g.makeMatcher()
            var mask: [UInt64] = []
            for (i, id) in ids.enumerated() {
                m.fillMask(into: &mask)
                if i % 2 == 1 || i == ids.count - 1 {
                    for t in 0..<size {
                        var c = m.copy()
                        let bit = mask[t >> 6] >> UInt64(t & 63) & 1 == 1
                        if bit != c.accept(t) { Issue.record("\(s) state \(i) token \(t): mask \(bit)"); return }
                    }
                }
                let ok = m.accept(id)
                #expect(ok, "token \(i) of \(text)")
                if !ok { break }
            }
            #expect(m.canTerminate)
        }
    }
}

/// Whether the matcher takes every token and may end after them.
func matchesAll(_ g: CompiledGrammar, _ tokens: [Int]) -> Bool {
    var m = g.makeMatcher()
    for t in tokens where !m.accept(t) { return false }
    return m.canTerminate
}
