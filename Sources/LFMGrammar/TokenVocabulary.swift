/// The byte strings of a tokenizer's vocabulary, arranged as a trie for mask computation.
///
/// Build it once per tokenizer (e.g. from `LFMTokenizer.Tokenizer`: `bytes(of:)`,
/// `isSpecial(_:)`, `vocabularySize`) and share it between compiled grammars. Special tokens
/// never match text in a grammar; they only match ``GrammarExpr/token(_:)`` terminals.
public final class TokenVocabulary: @unchecked Sendable {
    /// Number of token ids (mask bits).
    public let size: Int
    /// Number of 64-bit words of a mask.
    public let maskWords: Int
    /// The end-of-output token(s), allowed exactly when the grammar may end.
    public let eosIDs: [Int]
    /// Bytes of each id (nil for undefined ids).
    public let tokenBytes: [[UInt8]?]
    /// Whether an id is special.
    public let isSpecial: [Bool]

    /// Trie nodes in preorder; node 0 is the root (empty prefix).
    let nodeCount: Int
    /// Children of node n: `edgeByte/edgeChild[edgeStart[n] ..< edgeStart[n+1]]`, sorted by byte.
    let edgeStart: UnsafeMutablePointer<Int32>
    let edgeByte: UnsafeMutablePointer<UInt8>
    let edgeChild: UnsafeMutablePointer<Int32>
    /// Tokens whose bytes end at node n: `tokenIDs[tokenStart[n] ..< tokenStart[n+1]]`.
    let tokenStart: UnsafeMutablePointer<Int32>
    let tokenIDs: UnsafeMutablePointer<Int32>
    /// One past the last node of n's subtree (preorder), so its tokens are
    /// `tokenIDs[tokenStart[n] ..< tokenStart[subtreeEnd[n]]]`.
    let subtreeEnd: UnsafeMutablePointer<Int32>
    /// Whether every byte path below node n, read from a character boundary, is a prefix of
    /// valid UTF-8 text without `"`, `\\` or control characters (plain JSON string content).
    let plainBelow: [Bool]
    /// The most characters (UTF-8 lead bytes) on a path below node n, not counting n's own
    /// byte: with ``plainBelow``, every token below n is a prefix of plain string content of at
    /// most this many characters (capped at 255).
    let maxCharsBelow: [UInt8]
    /// The bytes on the edges below node n (4 words per node).
    let subtreeBytes: UnsafeMutablePointer<UInt64>
    /// Per node: every token in its subtree (the node's own included), read from the root, is
    /// a prefix of plain JSON string content (see ``plainBelow``) of at most this many
    /// characters; -1 when some token there is not plain content.
    let plainCharsFromRoot: [Int16]
    /// `plainUpTo[k - 1]`: the mask (``maskWords`` words) of the tokens that are prefixes of
    /// plain string content of at most `k` characters, for k = 1 ... the longest such token. A
    /// state that reads any k plain characters (``MaskWalker/run(_:)``) allows all of them, so
    /// its mask walk starts from this set and skips subtrees inside it. Schema-independent:
    /// built once per vocabulary.
    let plainUpTo: [[UInt64]]

    /// A vocabulary from the byte strings of every id.
    /// - Parameters:
    ///   - tokenBytes: bytes of each id (index = id); nil for ids without a token.
    ///   - specialIDs: ids of special (control) tokens; they never match text.
    ///   - eosIDs: ids that end the output (EOS, `<|im_end|>`), allowed when the grammar may end.
    public init(tokenBytes: [[UInt8]?], specialIDs: Set<Int>, eosIDs: [Int]) {
        size = tokenBytes.count
        maskWords = (tokenBytes.count + 63) / 64
        self.eosIDs = eosIDs.filter { $0 >= 0 && $0 < tokenBytes.count }
        self.tokenBytes = tokenBytes
        var special = [Bool](repeating: false, count: tokenBytes.count)
        for s in specialIDs where s >= 0 && s < special.count { special[s] = true }
        for e in self.eosIDs { special[e] = true }
        isSpecial = special
        // Sort the ordinary tokens by bytes, then build the trie in preorder.
        var ids = (0..<tokenBytes.count).filter { !special[$0] && (tokenBytes[$0]?.isEmpty == false) }
        ids.sort { tokenBytes[$0]!.lexicographicallyPrecedes(tokenBytes[$1]!) }
        var parent: [Int32] = [-1], byte: [UInt8] = [0]
        var nodeOfToken: [(Int32, Int32)] = []
        var path: [Int32] = [0]
        var prev: [UInt8] = []
        for id in ids {
            let b = tokenBytes[id]!
            var lcp = 0
            while lcp < min(b.count, prev.count) && b[lcp] == prev[lcp] { lcp += 1 }
            path.removeLast(path.count - 1 - lcp)
            for k in lcp..<b.count {
                parent.append(path[path.count - 1]); byte.append(b[k])
                path.append(Int32(parent.count - 1))
            }
            nodeOfToken.append((path[path.count - 1], Int32(id)))
            prev = b
        }
        nodeCount = parent.count
        let edgeStart = UnsafeMutablePointer<Int32>.allocate(capacity: nodeCount + 1)
        let edgeByte = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, nodeCount))
        let edgeChild = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, nodeCount))
        self.edgeStart = edgeStart; self.edgeByte = edgeByte; self.edgeChild = edgeChild
        var counts = [Int32](repeating: 0, count: parent.count + 1)
        for n in 1..<parent.count { counts[Int(parent[n])] += 1 }
        var acc: Int32 = 0
        for n in 0..<parent.count { edgeStart[n] = acc; acc += counts[n] }
        edgeStart[parent.count] = acc
        var fill = (0..<parent.count).map { edgeStart[$0] }
        for n in 1..<parent.count {
            let p = Int(parent[n])
            edgeByte[Int(fill[p])] = byte[n]; edgeChild[Int(fill[p])] = Int32(n); fill[p] += 1
        }
        let tokenStart = UnsafeMutablePointer<Int32>.allocate(capacity: nodeCount + 1)
        let tokenIDs = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, nodeOfToken.count))
        self.tokenStart = tokenStart; self.tokenIDs = tokenIDs
        var tc = [Int32](repeating: 0, count: parent.count)
        for (n, _) in nodeOfToken { tc[Int(n)] += 1 }
        acc = 0
        for n in 0..<parent.count { tokenStart[n] = acc; acc += tc[n] }
        tokenStart[parent.count] = acc
        let subtreeEnd = UnsafeMutablePointer<Int32>.allocate(capacity: parent.count)
        let subtreeBytes = UnsafeMutablePointer<UInt64>.allocate(capacity: parent.count * 4)
        subtreeBytes.initialize(repeating: 0, count: parent.count * 4)
        for n in 0..<parent.count { subtreeEnd[n] = Int32(n + 1) }
        for n in stride(from: parent.count - 1, through: 1, by: -1) {
            let p = Int(parent[n])
            subtreeEnd[p] = max(subtreeEnd[p], subtreeEnd[n])
            for w in 0..<4 { subtreeBytes[p * 4 + w] |= subtreeBytes[n * 4 + w] }
            subtreeBytes[p * 4 + Int(byte[n] >> 6)] |= UInt64(1) << UInt64(byte[n] & 63)
        }
        self.subtreeEnd = subtreeEnd; self.subtreeBytes = subtreeBytes
        // okBelow[n * 8 + u]: every path below n is fine starting in UTF-8 state u.
        var okBelow = [Bool](repeating: true, count: parent.count * 8)
        for n in stride(from: parent.count - 1, through: 1, by: -1) {
            let p = Int(parent[n])
            for u in 0..<8 {
                let next = UTF8Walk.next(u, byte[n])
                if next < 0 || !okBelow[n * 8 + next] { okBelow[p * 8 + u] = false }
            }
        }
        plainBelow = (0..<parent.count).map { okBelow[$0 * 8] }
        var chars = [UInt8](repeating: 0, count: parent.count)
        for n in stride(from: parent.count - 1, through: 1, by: -1) {
            let p = Int(parent[n])
            let c = chars[n] &+ (byte[n] & 0xC0 == 0x80 || chars[n] == 255 ? 0 : 1)
            if c > chars[p] { chars[p] = c }
        }
        maxCharsBelow = chars
        // Plain content read from the root: per node, the UTF-8 state after its path (-1: not
        // plain) and the characters on it; then per subtree the most characters of its tokens.
        var pathU = [Int8](repeating: 0, count: parent.count)
        var pathChars = [Int16](repeating: 0, count: parent.count)
        for n in 1..<parent.count {
            let p = Int(parent[n])
            let pu = Int(pathU[p])
            let nu = pu < 0 ? -1 : UTF8Walk.next(pu, byte[n])
            pathU[n] = Int8(nu)
            pathChars[n] = pathChars[p] + (byte[n] & 0xC0 == 0x80 ? 0 : 1)
        }
        var rootChars = [Int16](repeating: 0, count: parent.count)
        var tokenCount = [Int32](repeating: 0, count: parent.count)
        for (n, _) in nodeOfToken { tokenCount[Int(n)] += 1 }
        for n in 0..<parent.count { rootChars[n] = pathU[n] < 0 ? -1 : (tokenCount[n] > 0 ? pathChars[n] : 0) }
        for n in stride(from: parent.count - 1, through: 1, by: -1) {
            let p = Int(parent[n])
            if rootChars[n] < 0 || rootChars[p] < 0 { rootChars[p] = -1 } else if rootChars[n] > rootChars[p] { rootChars[p] = rootChars[n] }
        }
        plainCharsFromRoot = rootChars
        var byChars: [[Int32]] = []
        for (n, id) in nodeOfToken where pathU[Int(n)] >= 0 {
            let c = Int(pathChars[Int(n)])
            while byChars.count <= c { byChars.append([]) }
            byChars[c].append(id)
        }
        var upTo: [[UInt64]] = []
        var cum = [UInt64](repeating: 0, count: (tokenBytes.count + 63) / 64)
        for k in 1..<max(1, byChars.count) {
            for id in byChars[k] { cum[Int(id) >> 6] |= UInt64(1) << UInt64(id & 63) }
            upTo.append(cum)
        }
        plainUpTo = upTo
        var h = Hasher()
        h.combine(size)
        h.combine(self.eosIDs)
        for (i, b) in tokenBytes.enumerated() { h.combine(b); h.combine(special[i]) }
        fingerprint = h.finalize()
        var tf = (0..<parent.count).map { tokenStart[$0] }
        for (n, id) in nodeOfToken { tokenIDs[Int(tf[Int(n)])] = id; tf[Int(n)] += 1 }
    }

    deinit {
        edgeStart.deallocate(); edgeByte.deallocate(); edgeChild.deallocate()
        tokenStart.deallocate(); tokenIDs.deallocate(); subtreeEnd.deallocate(); subtreeBytes.deallocate()
    }

    /// A fingerprint of the vocabulary (part of the compiled-grammar cache key).
    public let fingerprint: Int
}

/// The UTF-8 structure as a small automaton (state 0: at a character boundary), with the
/// ASCII characters JSON strings cannot hold literally (`"`, `\\`, controls) rejected.
enum UTF8Walk {
    /// ``next(_:_:)`` as a table: `table[u * 256 + b]` (built once per process).
    nonisolated(unsafe) static let table: UnsafeMutablePointer<Int8> = {
        let t = UnsafeMutablePointer<Int8>.allocate(capacity: 8 * 256)
        for u in 0..<8 { for b in 0..<256 { t[u * 256 + b] = Int8(next(u, UInt8(b))) } }
        return t
    }()
    /// The smallest and largest byte valid in each state.
    static let lowest: [Int] = (0..<8).map { u in (0..<256).first { next(u, UInt8($0)) >= 0 } ?? 0 }
    static let highest: [Int] = (0..<8).map { u in (0..<256).last { next(u, UInt8($0)) >= 0 } ?? 0 }

    /// The next state, or -1 when the byte cannot come next.
    static func next(_ u: Int, _ b: UInt8) -> Int {
        switch u {
        case 0:
            switch b {
            case 0x20...0x7F: return b == 0x22 || b == 0x5C ? -1 : 0
            case 0xC2...0xDF: return 1
            case 0xE0: return 3
            case 0xE1...0xEC, 0xEE...0xEF: return 2
            case 0xED: return 4
            case 0xF0: return 6
            case 0xF1...0xF3: return 5
            case 0xF4: return 7
            default: return -1
            }
        case 1: return (0x80...0xBF).contains(b) ? 0 : -1
        case 2: return (0x80...0xBF).contains(b) ? 1 : -1
        case 3: return (0xA0...0xBF).contains(b) ? 1 : -1
        case 4: return (0x80...0x9F).contains(b) ? 1 : -1
        case 5: return (0x80...0xBF).contains(b) ? 2 : -1
        case 6: return (0x90...0xBF).contains(b) ? 2 : -1
        default: return (0x80...0x8F).contains(b) ? 2 : -1
        }
    }
}
