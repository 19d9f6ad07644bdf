import Testing
@testable import LFMTokenizer

/// ``Tokenizer/encodePieces(_:)``: the encoding split at pre-tokenizer pieces.
@Suite struct TokenizerPiecesTests {
    let tok = lfm2Tokenizer

    @Test(arguments: tokenizerSpecVectors.map(\.0).filter { !$0.contains("<") && !$0.contains("python") } + [#"{"name": "Ada", "age": 36}"#, "{\n  \"a\": [1, 2]\n}", "", "héllo  wörld\n\n x"])
    func piecesConcatenateToTheEncoding(text: String) throws {
        let bytes = Array(text.utf8)
        let pieces = try #require(tok.encodePieces(bytes))
        #expect(pieces.flatMap(\.ids) == tok.encode(text, addSpecialTokens: false))
        // The pieces tile the text, in order, each non-empty and spelled by its ids.
        var at = 0
        for p in pieces {
            #expect(p.range.lowerBound == at && !p.range.isEmpty)
            #expect(p.ids.flatMap { tok.bytes(of: $0) ?? [] } == Array(bytes[p.range]))
            at = p.range.upperBound
        }
        #expect(at == bytes.count)
    }

    @Test func jsonSplitsAtPunctuationAndWords() throws {
        let pieces = try #require(tok.encodePieces(Array(#"{"name": 36}"#.utf8)))
        let texts = pieces.map { String(decoding: Array(#"{"name": 36}"#.utf8)[$0.range], as: UTF8.self) }
        #expect(texts == ["{\"", "name", "\":", " ", "36", "}"])
    }

    @Test func addedTokenTextHasNoPieces() {
        #expect(tok.encodePieces(Array("a<|im_end|>b".utf8)) == nil)
        // LFM2 also has ordinary added tokens (`python`).
        #expect(tok.encodePieces(Array(" pythonic".utf8)) == nil)
    }
}
