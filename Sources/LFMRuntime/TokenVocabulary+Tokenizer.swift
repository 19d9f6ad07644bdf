import LFMGrammar
import LFMTokenizer

extension TokenVocabulary {
    /// The grammar vocabulary of `tokenizer`: each id's bytes, its special tokens flagged, and
    /// `eosIDs` as the ids that end the output.
    public convenience init(tokenizer: Tokenizer, eosIDs: [Int]) {
        let size = tokenizer.vocabularySize
        self.init(tokenBytes: (0..<size).map { tokenizer.bytes(of: $0) },
                  specialIDs: Set((0..<size).filter { tokenizer.isSpecial($0) }), eosIDs: eosIDs)
    }
}
