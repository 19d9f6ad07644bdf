import LFMKernels
import LFMModel

/// Everything about KV memory behind a few verbs (after vLLM v1's `KVCacheManager`): the
/// page pool, the prefix cache with its conv-state snapshots, and each sequence's pages.
/// Engine thread only.
///
/// - ``adoptComputedPrefix(_:)``: a sequence with nothing cached takes the longest cached
///   chain of its tokens (leaving one token to compute) and its conv state.
/// - ``allocate(_:tokens:)``: pages for `n` more positions, evicting cache-only pages LRU
///   before giving up.
/// - ``commitFullPages(_:from:)``: pages completed by the last step enter the prefix cache.
/// - ``free(_:)``: a sequence's pages go back (shared ones stay with the cache).
final class KVCacheManager: KVSlots {
    let pool: KVCachePool
    let prefixCache: PrefixCache?
    /// Which cached pages keep their conv snapshot.
    let snapshots: ConvSnapshotPolicy

    init(config: LFM2Config, pageSize: Int, pageCount: Int, type: KVCacheType, prefixCaching: Bool,
         snapshots: ConvSnapshotPolicy = ConvSnapshotPolicy()) {
        pool = KVCachePool(config: config, pageSize: pageSize, pageCount: pageCount, type: type)
        prefixCache = prefixCaching ? PrefixCache(pageSize: pageSize) : nil
        self.snapshots = snapshots
    }

    /// Tokens per page.
    var pageSize: Int { pool.pageSize }
    /// Pages in the pool.
    var pageCount: Int { pool.pageCount }
    /// Pages owned by nobody.
    var freePageCount: Int { pool.freePageCount }
    /// Cached pages holding a conv snapshot.
    var snapshotCount: Int { prefixCache?.snapshotCount ?? 0 }
    /// Pages held by the prefix cache.
    var cachedPageCount: Int { prefixCache?.pageCount ?? 0 }
    /// Pages only the prefix cache references (evictable, so free for admission purposes).
    var cacheOnlyPageCount: Int { prefixCache?.cacheOnlyPageCount(kv: pool) ?? 0 }
    /// Whether prompts can share computed pages (prefix caching is on).
    var sharesPrefixes: Bool { prefixCache != nil }

    /// Adopts the longest cached prefix of a sequence that holds nothing yet; the first time
    /// it is considered, records how many prompt tokens came from the cache.
    func adoptComputedPrefix(_ s: ActiveSequence) {
        guard let cache = prefixCache, s.state.length == 0, s.readsPrefixCache else { return }
        s.state.snapshotInterval = pool.pageSize
        let (pages, hashes, conv) = cache.lookup(s.tokens, maxPages: (s.tokens.count - 1) / pool.pageSize, kv: pool)
        if let conv, !pages.isEmpty {
            s.state.adoptPrefix(pages: pages, tokens: pages.count * pool.pageSize, convState: conv)
            s.pageHashes = hashes
        }
        if !s.admitted { s.cachedTokens = s.state.length }
    }

    /// Makes room for `n` more positions of `s`; false when even evicting every page only
    /// the cache holds is not enough (nothing is taken then).
    func allocate(_ s: ActiveSequence, tokens n: Int) -> Bool {
        if (try? s.state.reserve(n, in: pool)) != nil { return true }
        guard let cache = prefixCache else { return false }
        let needed = (s.state.length + n + pool.pageSize - 1) / pool.pageSize - s.state.pages.count
        cache.evict(toFree: needed, kv: pool)
        return (try? s.state.reserve(n, in: pool)) != nil
    }

    /// Registers the full pages `s` completed since `oldLength` in the prefix cache with the
    /// conv state at their end; the snapshot of the sequence's previous newest page goes
    /// unless the policy keeps it.
    func commitFullPages(_ s: ActiveSequence, from oldLength: Int) {
        guard let cache = prefixCache else { return }
        let P = pool.pageSize
        var b = (oldLength / P + 1) * P
        while b <= s.state.length {
            let i = b / P - 1
            if s.pageHashes.count == i, let conv = s.state.boundarySnapshots[b] {
                let parent = i == 0 ? 0 : s.pageHashes[i - 1]
                let (h, took) = cache.insert(parent: parent, tokens: s.tokens[(b - P)..<b], page: s.state.pages[i], conv: conv, kv: pool)
                s.pageHashes.append(h)
                if let tail = s.tailSnapshot { cache.dropSnapshot(tail) }
                s.tailSnapshot = took && !snapshots.keeps(pageEnding: i + 1) ? h : nil
            }
            b += P
        }
        s.state.boundarySnapshots.removeAll(keepingCapacity: true)
    }

    /// Returns the pages of `s` (it will recompute from scratch if it runs again).
    func free(_ s: ActiveSequence) {
        s.state.release(to: pool)
        s.pageHashes = []
        s.tailSnapshot = nil
    }

    /// Drops the prefix cache (shutdown).
    func clear() { prefixCache?.clear(kv: pool) }

    /// Prompt pages looked up in and served by the prefix cache so far.
    var prefixCounters: (queried: Int, hits: Int) { (prefixCache?.queriedPages ?? 0, prefixCache?.hitPages ?? 0) }
}
