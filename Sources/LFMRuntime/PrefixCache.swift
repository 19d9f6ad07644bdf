import LFMModel

/// Full KV pages shared across requests, keyed by a hash chain over their token ids.
///
/// Every cached page also holds the conv state at its end (2·hidden floats per conv layer),
/// so any page boundary is a valid resume point for LFM2's hybrid layers (unlike vLLM's
/// 'align' mode, which checkpoints conv state only at chunk ends). A request reuses the
/// longest cached chain of its prompt, restores the conv state of the last reused page and
/// prefills only the rest. The cache holds one reference on each of its pages; pages only
/// the cache references are evicted least-recently-used when the pool runs short.
/// Decisions are pure bookkeeping on the engine thread; no I/O, no clock.
final class PrefixCache {
    struct Entry {
        var parent: UInt64
        var tokens: [Int]
        var page: Int32
        var conv: [Float]
        var lastUse: UInt64
    }

    let pageSize: Int
    let salt: UInt64
    private(set) var entries: [UInt64: Entry] = [:]
    private var tick: UInt64 = 0
    /// Prompt pages looked up / found (for metrics).
    private(set) var queriedPages = 0
    private(set) var hitPages = 0

    init(pageSize: Int, salt: UInt64 = 0x4C464D32) {
        self.pageSize = pageSize
        self.salt = salt
    }

    /// Hash of a page given its parent's hash (0 for the first page).
    func hash(parent: UInt64, tokens: ArraySlice<Int>) -> UInt64 {
        // FNV-1a over (salt, parent, tokens): stable across runs, cheap; hits are verified.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ salt
        func mix(_ v: UInt64) {
            var x = v
            for _ in 0..<8 { h = (h ^ (x & 0xFF)) &* 0x100_0000_01B3; x >>= 8 }
        }
        mix(parent)
        for t in tokens { mix(UInt64(bitPattern: Int64(t))) }
        return h
    }

    /// The longest cached chain for `tokens`, at most `maxPages` pages. Retains every returned
    /// page for the caller. Returns the pages, their hashes and the conv state at the chain's end.
    func lookup(_ tokens: [Int], maxPages: Int, kv: KVCachePool) -> (pages: [Int32], hashes: [UInt64], conv: [Float]?) {
        var pages: [Int32] = [], hashes: [UInt64] = []
        var conv: [Float]? = nil
        var parent: UInt64 = 0
        tick += 1
        let n = min(maxPages, tokens.count / pageSize)
        // Every page the prompt could have taken from the cache is queried (as vLLM counts
        // queried tokens), so hits / queries is the share of reusable prompt pages served.
        queriedPages += max(0, n)
        for i in 0..<n {
            let slice = tokens[(i * pageSize)..<((i + 1) * pageSize)]
            let h = hash(parent: parent, tokens: slice)
            guard var e = entries[h], e.parent == parent, e.tokens.elementsEqual(slice) else { break }
            hitPages += 1
            e.lastUse = tick
            entries[h] = e
            kv.retain(e.page)
            pages.append(e.page)
            hashes.append(h)
            conv = e.conv
            parent = h
        }
        return (pages, hashes, conv)
    }

    /// Offers a just-completed page of a sequence. If its content is new, the cache takes a
    /// reference on the page and keeps the conv snapshot. Returns the page's hash.
    @discardableResult
    func insert(parent: UInt64, tokens: ArraySlice<Int>, page: Int32, conv: [Float], kv: KVCachePool) -> UInt64 {
        let h = hash(parent: parent, tokens: tokens)
        tick += 1
        if var e = entries[h] {
            e.lastUse = tick
            entries[h] = e
            return h
        }
        kv.retain(page)
        entries[h] = Entry(parent: parent, tokens: Array(tokens), page: page, conv: conv, lastUse: tick)
        return h
    }

    /// Frees least-recently-used pages that only the cache references until `needed` pages are
    /// free in `kv` (or nothing more can be evicted). Returns the number evicted.
    @discardableResult
    func evict(toFree needed: Int, kv: KVCachePool) -> Int {
        guard kv.freePageCount < needed else { return 0 }
        let candidates = entries.filter { kv.referenceCount($0.value.page) == 1 }.sorted { $0.value.lastUse < $1.value.lastUse }
        var evicted = 0
        for (h, e) in candidates {
            if kv.freePageCount >= needed { break }
            entries[h] = nil
            kv.release(e.page)
            evicted += 1
        }
        return evicted
    }

    /// Drops every entry (releasing the cache's references).
    func clear(kv: KVCachePool) {
        for e in entries.values { kv.release(e.page) }
        entries.removeAll()
    }

    /// Pages held by the cache.
    var pageCount: Int { entries.count }

    /// Pages only the cache references: evictable at once, so free for new work.
    /// O(entries) per call (once per engine step, for the metrics): microseconds for the few
    /// thousand pages of a real KV budget.
    func cacheOnlyPageCount(kv: KVCachePool) -> Int {
        var n = 0
        for e in entries.values where kv.referenceCount(e.page) == 1 { n += 1 }
        return n
    }
}
