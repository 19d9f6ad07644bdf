/// The per-sequence state of incremental decoding (docs/lfm2.md §3): a block table of KV pages
/// for the attention layers and, for each conv layer, the last K−1 inputs of the depthwise
/// conv (`u = B⊙x`), which cannot be rewound and so is snapshotted by the prefix cache.
public final class SequenceState: @unchecked Sendable {
    // Safety: mutated only by the engine thread that runs forward passes.
    /// Tokens already in the cache (the next token's position).
    public internal(set) var length: Int = 0
    /// KV pages in position order; page i holds positions `i*pageSize ..< (i+1)*pageSize`.
    public internal(set) var pages: [Int32] = []
    /// Conv state `[conv layer][K−1][D]`, zeros at sequence start.
    public var convState: [Float]
    let convRows: Int
    let hidden: Int
    /// Conv state at page boundaries crossed by the last forward pass, keyed by position
    /// (the number of tokens before the boundary), when `snapshotInterval` is set.
    /// Layout as `convState`. The prefix cache takes these; the runtime clears them.
    public var boundarySnapshots: [Int: [Float]] = [:]
    /// Record `boundarySnapshots` at every multiple of this many tokens (nil = off).
    public var snapshotInterval: Int?

    /// A fresh, empty sequence for `config`.
    public init(config: LFM2Config) {
        convRows = max(0, config.convKernel - 1)
        hidden = config.hiddenSize
        convState = Array(repeating: 0, count: config.convLayerCount * convRows * config.hiddenSize)
    }

    /// Makes sure pages exist for positions up to `length + extra`.
    /// - Throws: `KVCacheExhausted` if the pool has no free page (nothing is taken then).
    public func reserve(_ extra: Int, in pool: KVCachePool) throws {
        let needed = (length + extra + pool.pageSize - 1) / pool.pageSize - pages.count
        guard needed > 0 else { return }
        guard pool.freePageCount >= needed else { throw KVCacheExhausted(needed: needed, free: pool.freePageCount) }
        for _ in 0..<needed { pages.append(pool.allocate()!) }
    }

    /// Returns all pages to the pool and resets to an empty sequence.
    public func release(to pool: KVCachePool) {
        for p in pages { pool.release(p) }
        pages.removeAll()
        length = 0
        for i in convState.indices { convState[i] = 0 }
    }

    /// Adopts shared prefix pages (already retained for this sequence) covering `tokens`
    /// positions, with the conv state recorded at that boundary.
    public func adoptPrefix(pages shared: [Int32], tokens: Int, convState snapshot: [Float]) {
        precondition(pages.isEmpty && length == 0, "adoptPrefix on a non-empty sequence")
        precondition(snapshot.count == convState.count, "conv snapshot size mismatch")
        pages = shared
        length = tokens
        convState = snapshot
    }
}

/// Thrown when the KV pool cannot supply the pages a step needs.
public struct KVCacheExhausted: Error, CustomStringConvertible, Sendable {
    public let needed: Int
    public let free: Int
    public var description: String { "KV cache exhausted: \(needed) pages needed, \(free) free" }
}
