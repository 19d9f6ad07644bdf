import Foundation
import LFMTestSupport
import Testing
@testable import LFMTokenizer

/// The real LFM2 tokenizer, loaded once for all tests.
let lfm2Tokenizer: Tokenizer = try! Tokenizer.load(directory: Fixtures.url("lfm2-tokenizer"))

/// The spec vectors (text, ids without BOS) from their committed fixture.
let tokenizerSpecVectors: [(String, [Int])] = try! Fixtures.jsonLines("tokenizer-spec-vectors.jsonl").map {
    ($0["text"] as! String, $0["ids"] as! [Int])
}

@Suite struct TokenizerTests {
    let tok = lfm2Tokenizer

    /// Hand-picked cases whose ids were produced by `tokenizers`
    /// (scripts/make_tokenizer_spec_vectors.py → Tests/Fixtures/tokenizer-spec-vectors.jsonl).
    @Test(arguments: tokenizerSpecVectors)
    func specVectors(text: String, ids: [Int]) {
        #expect(tok.encode(text, addSpecialTokens: false) == ids)
        #expect(tok.encode(text) == [1] + ids)
        #expect(tok.decode(ids) == text)
    }

    @Test func specVectorFixtureIsThere() {
        #expect(tokenizerSpecVectors.count >= 8)
    }

    @Test func specialTokensFromConfig() {
        #expect(tok.bosTokenID == 1)
        #expect(tok.eosTokenID == 7)
        #expect(tok.padTokenID == 0)
        #expect(tok.bosToken == "<|startoftext|>")
        #expect(tok.eosToken == "<|im_end|>")
        #expect(tok.addsBOS)
        #expect(tok.isSpecial(7) && !tok.isSpecial(64014))
        #expect(tok.id(forToken: "<|im_end|>") == 7)
        #expect(tok.vocabularySize == 64400)
    }

    /// ≥ 2,000 strings whose ids were produced by `tokenizers` (scripts/make_tokenizer_goldens.py).
    @Test func goldensMatchReference() throws {
        let goldens = try Fixtures.jsonLines("tokenizer-goldens.jsonl")
        #expect(goldens.count >= 2000)
        var failures: [String] = []
        for g in goldens {
            let text = g["text"] as! String
            let ids = g["ids"] as! [Int]
            let got = tok.encode(text, addSpecialTokens: false)
            if got != ids { failures.append("encode \(text.debugDescription): got \(got) want \(ids)") }
            let decoded = g["decoded"] as? String ?? "<|startoftext|>" + text
            if tok.decode([1] + ids) != decoded { failures.append("decode \(text.debugDescription)") }
            let skipped = g["decoded_skip"] as? String ?? text
            if tok.decode([1] + ids, skipSpecialTokens: true) != skipped { failures.append("decode skip \(text.debugDescription)") }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(5))")
    }

    /// Feeding each golden's ids one at a time concatenates to the full decode.
    @Test func streamingDecodeConcatenatesToFullDecode() throws {
        let goldens = try Fixtures.jsonLines("tokenizer-goldens.jsonl")
        var bad = 0
        for g in goldens {
            let ids = g["ids"] as! [Int]
            for skip in [false, true] {
                var stream = StreamingDetokenizer(tokenizer: tok, skipSpecialTokens: skip)
                var text = ""
                for id in ids { text += stream.push(id) }
                text += stream.finish()
                if text != tok.decode(ids, skipSpecialTokens: skip) { bad += 1 }
            }
        }
        #expect(bad == 0)
    }

    @Test func streamingHoldsBackIncompleteCharacters() {
        // " 🚀" is 20 F0 9F 9A 80, split over three tokens: 23805 (20 F0 9F), 758 (9A), 732 (80).
        var stream = StreamingDetokenizer(tokenizer: tok)
        #expect(stream.push(23805) == " ")
        #expect(stream.pendingByteCount == 2)
        #expect(stream.push(758) == "")
        #expect(stream.push(732) == "🚀")
        #expect(stream.finish() == "")
        // An incomplete character at the end becomes one replacement character.
        var cut = StreamingDetokenizer(tokenizer: tok)
        #expect(cut.push(23805) == " ")
        #expect(cut.finish() == "\u{FFFD}")
        // A continuation byte that can never complete is replaced at once.
        var stray = StreamingDetokenizer(tokenizer: tok)
        #expect(stray.push(758) == "\u{FFFD}")
        #expect(tok.decode([758]) == "\u{FFFD}")
    }

    @Test func undefinedIdsDecodeToNothing() {
        #expect(tok.decode([36309, 65000, 2031, -1]) == "Hello world")
        var s = StreamingDetokenizer(tokenizer: tok)
        #expect(s.push(65535) == "")
    }

    @Test func specialTokenTextInsideContentBecomesSpecialToken() {
        // Same as tokenizers / transformers: literal special-token text is matched before BPE.
        #expect(tok.encode("a<|im_end|>b", addSpecialTokens: false) == [tok.encode("a", addSpecialTokens: false)[0], 7, tok.encode("b", addSpecialTokens: false)[0]])
    }

    @Test func longPiecesUseTheHeapMergerConsistently() {
        let long = String(repeating: " ", count: 1000) + String(repeating: "!", count: 777)
        let ids = tok.encode(long, addSpecialTokens: false)
        #expect(tok.decode(ids) == long)
    }

    @Test func ggufArraysGiveTheSameIds() throws {
        // Rebuild the tokenizer from flat arrays, as GGUF metadata stores it.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("lfm2-tokenizer/tokenizer.json"))) as! [String: Any]
        let model = json["model"] as! [String: Any]
        let vocab = model["vocab"] as! [String: Int]
        var tokens = (0..<65536).map { "[PAD\($0)]" }
        var types = [Int32](repeating: 5, count: 65536)
        for (t, id) in vocab { tokens[id] = t; types[id] = 1 }
        for a in json["added_tokens"] as! [[String: Any]] {
            let id = a["id"] as! Int
            tokens[id] = a["content"] as! String
            types[id] = (a["special"] as! Bool) ? 3 : 4
        }
        let merges = (model["merges"] as! [[String]]).map { "\($0[0]) \($0[1])" }
        let g = try Tokenizer.fromGGUF(model: "gpt2", pre: "lfm2", tokens: tokens, types: types, merges: merges,
                                       bosID: 1, eosID: 7, padID: 0, addBOS: true, source: "test.gguf")
        for g0 in try Fixtures.jsonLines("tokenizer-goldens.jsonl").prefix(400) {
            #expect(g.encode(g0["text"] as! String, addSpecialTokens: false) == g0["ids"] as! [Int])
        }
        #expect(g.eosTokenID == 7 && g.bosTokenID == 1)
        #expect(g.decode([65000]) == "")
    }
}
