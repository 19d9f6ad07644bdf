import LFMGrammar
import OrderedJSON
import Testing

/// A small byte-level vocabulary: every single byte, some multi-byte pieces that span JSON
/// lexemes (`{"`, `":`, `",`, `"}` …), two special tokens (ids 300, 301) and EOS (302).
enum ToyVocab {
    static let pieces: [String] = ["{\"", "\":", "\",", "\"}", "\": \"", "\", \"", "true", "false", "null", "12", "0.", "e+", "\\u",
                                   "name", "age", "\n  ", "  ", "}]", "[{", "],", "ab", "abc", "é", "\"é\"", "-1", "00"]
    static let specialStart = 300, specialEnd = 301, eos = 302

    static let tokenBytes: [[UInt8]?] = {
        var t: [[UInt8]?] = (0..<256).map { [UInt8($0)] }
        t += pieces.map { Array($0.utf8) }
        while t.count < 300 { t.append(nil) }
        t.append(Array("<|tool_call_start|>".utf8))
        t.append(Array("<|tool_call_end|>".utf8))
        t.append(Array("<|im_end|>".utf8))
        return t
    }()

    static let vocabulary = TokenVocabulary(tokenBytes: tokenBytes, specialIDs: [specialStart, specialEnd, eos], eosIDs: [eos])
    static let compiler = GrammarCompiler(vocabulary: vocabulary)

    /// Greedy longest-match tokenization over the toy vocabulary (ordinary tokens only).
    static func tokenize(_ text: String) -> [Int] {
        let b = Array(text.utf8)
        var out: [Int] = []
        var i = 0
        while i < b.count {
            var best = Int(b[i]), bestLen = 1
            for (k, p) in pieces.enumerated() {
                let pb = Array(p.utf8)
                if pb.count > bestLen && i + pb.count <= b.count && Array(b[i..<(i + pb.count)]) == pb { best = 256 + k; bestLen = pb.count }
            }
            out.append(best); i += bestLen
        }
        return out
    }
}

/// Whether the matcher allows `tokens` one by one (checking that the mask bit agrees with
/// `accept` for every token) and may end after them.
func matches(_ g: CompiledGrammar, tokens: [Int]) -> Bool {
    var m = g.makeMatcher()
    var mask: [UInt64] = []
    for t in tokens {
        m.fillMask(into: &mask)
        let bit = mask[t >> 6] >> UInt64(t & 63) & 1 == 1
        let ok = m.accept(t)
        #expect(bit == ok, "mask bit \(bit) disagrees with accept \(ok) for token \(t)")
        if !ok { return false }
    }
    m.fillMask(into: &mask)
    let eos = ToyVocab.eos
    if g.vocabulary.eosIDs.contains(eos) {
        #expect((mask[eos >> 6] >> UInt64(eos & 63) & 1 == 1) == m.canTerminate)
    }
    return m.canTerminate
}

/// Compiles `spec` on the toy vocabulary and tells whether `text` is accepted, tokenized both
/// greedily and byte by byte (both must agree).
func accepts(_ spec: GrammarSpec, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Bool {
    let g = try ToyVocab.compiler.compile(spec)
    let greedy = matches(g, tokens: ToyVocab.tokenize(text))
    let bytes = matches(g, tokens: Array(text.utf8).map(Int.init))
    #expect(greedy == bytes, "greedy and byte tokenizations disagree on \(text)", sourceLocation: sourceLocation)
    return greedy
}

func schema(_ json: String) -> GrammarSpec {
    .jsonSchema(try! JSONValue.parse(json), strict: false)
}

/// Checks every token of the vocabulary one by one against the mask at each prefix of `tokens`.
func expectMaskMatchesBruteForce(_ g: CompiledGrammar, tokens: [Int], sourceLocation: SourceLocation = #_sourceLocation) {
    var m = g.makeMatcher()
    var mask: [UInt64] = []
    for step in 0...tokens.count {
        m.fillMask(into: &mask)
        for id in 0..<g.vocabulary.size {
            let bit = mask[id >> 6] >> UInt64(id & 63) & 1 == 1
            var c = m.copy()
            let ok = c.accept(id)
            if bit != ok {
                Issue.record("step \(step) token \(id): mask \(bit), accept \(ok)", sourceLocation: sourceLocation)
                return
            }
        }
        if step < tokens.count { guard m.accept(tokens[step]) else { Issue.record("token \(step) rejected", sourceLocation: sourceLocation); return } }
    }
}
