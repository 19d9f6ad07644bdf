/// GPT-2's byte-level alphabet: every byte maps to one printable Unicode scalar, so BPE
/// vocabularies can be stored as strings. Printable Latin-1 bytes map to themselves; the
/// rest (control bytes, space, 0x7F–0xA0, 0xAD) map to U+0100 onwards in byte order.
/// This is the `ByteLevel` pre-tokenizer / decoder of Hugging Face `tokenizers`.
enum ByteLevel {
    /// `scalarForByte[b]` is the alphabet scalar that stands for byte `b`.
    static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// Inverse of `scalarForByte`, keyed by scalar value.
    static let byteForScalar: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (b, s) in scalarForByte.enumerated() { map[s.value] = UInt8(b) }
        return map
    }()

    /// The alphabet string for raw bytes.
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(scalarForByte[Int(b)]) }
        return String(s)
    }

    /// The raw bytes of a vocabulary string, as the `ByteLevel` decoder of `tokenizers` does it:
    /// if any scalar is outside the alphabet, the token's own UTF-8 bytes are used unchanged.
    static func decode(_ token: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for s in token.unicodeScalars {
            guard let b = byteForScalar[s.value] else { return Array(token.utf8) }
            out.append(b)
        }
        return out
    }
}
