extension Tokenizer {
    /// One pre-tokenizer piece of an encoding (BPE never merges across pieces).
    public struct EncodedPiece: Sendable, Equatable {
        /// The piece's bytes in the encoded input.
        public var range: Range<Int>
        /// Its ids.
        public var ids: [Int]
    }

    /// Encodes raw bytes (no BOS) piece by piece: the ids of the pieces, concatenated, are
    /// ``encode(_:addSpecialTokens:)`` of the same text with `addSpecialTokens: false`.
    /// Returns nil when the text holds an added token's text (it would be cut out as that token).
    /// Used to tell which tokens of a text no later text can change (docs/architecture.md, "Fast-forward").
    public func encodePieces(_ bytes: [UInt8]) -> [EncodedPiece]? {
        bytes.withUnsafeBufferPointer { buf -> [EncodedPiece]? in
            var first: [AddedTokenMatcher.Segment] = []
            firstPass.split(buf, 0..<buf.count, into: &first)
            var segments: [AddedTokenMatcher.Segment] = []
            for s in first {
                if case .text(let r) = s { secondPass.split(buf, r, into: &segments) } else { segments.append(s) }
            }
            guard segments.count <= 1, case .text(let r)? = segments.first ?? .text(0..<0) else { return nil }
            var pieces: [EncodedPiece] = []
            preTokenizer.split(UnsafeBufferPointer(rebasing: buf[r])) { piece in
                let lo = r.lowerBound + piece.lowerBound
                var ids: [Int32] = []
                model.encode(UnsafeBufferPointer(rebasing: buf[lo..<(lo + piece.count)]), into: &ids)
                pieces.append(EncodedPiece(range: lo..<(lo + piece.count), ids: ids.map(Int.init)))
            }
            return pieces
        }
    }
}
