@testable import LFMGrammar
import Testing

/// The vocabulary's plain-content token sets (`TokenVocabulary.plainUpTo`,
/// `plainCharsFromRoot`), which mask walks start from, against a direct computation per token.
@Suite struct PlainTokenSetsTests {
    /// Whether `bytes` is a prefix of plain JSON string content, and its character count.
    static func plain(_ bytes: [UInt8]) -> (Bool, Int) {
        var u = 0, chars = 0
        for b in bytes {
            u = UTF8Walk.next(u, b)
            if u < 0 { return (false, 0) }
            if b & 0xC0 != 0x80 { chars += 1 }
        }
        return (true, chars)
    }

    @Test func plainSetsMatchEveryToken() {
        let v = MaskWalkerTests.vocabulary
        #expect(!v.plainUpTo.isEmpty)
        for k in 1...v.plainUpTo.count {
            for id in 0..<v.size {
                guard let b = v.tokenBytes[id], !b.isEmpty, !v.isSpecial[id] else { continue }
                let (ok, chars) = Self.plain(b)
                let bit = v.plainUpTo[k - 1][id >> 6] >> UInt64(id & 63) & 1 == 1
                #expect(bit == (ok && chars <= k), "token \(id) \(b) k \(k)")
            }
        }
        // Per trie node: the most characters of the subtree's tokens when all are plain.
        var stack: [(node: Int, bytes: [UInt8])] = [(0, [])]
        while let (n, path) = stack.popLast() {
            var most = 0, allPlain = true
            var sub: [(Int, [UInt8])] = [(n, path)]
            while let (m, p) = sub.popLast() {
                for i in Int(v.tokenStart[m])..<Int(v.tokenStart[m + 1]) {
                    let (ok, chars) = Self.plain(v.tokenBytes[Int(v.tokenIDs[i])]!)
                    #expect(v.tokenBytes[Int(v.tokenIDs[i])]! == p)
                    if ok { most = max(most, chars) } else { allPlain = false }
                }
                for e in Int(v.edgeStart[m])..<Int(v.edgeStart[m + 1]) { sub.append((Int(v.edgeChild[e]), p + [v.edgeByte[e]])) }
            }
            #expect(Int(v.plainCharsFromRoot[n]) == (allPlain ? most : -1), "node \(n) \(path)")
            for e in Int(v.edgeStart[n])..<Int(v.edgeStart[n + 1]) { stack.append((Int(v.edgeChild[e]), path + [v.edgeByte[e]])) }
        }
    }
}
