import LFMModel

/// Full KV pages shared across requests, keyed by a hash chain over their token ids.
///
/// A cached page may also hold the conv state at its end (2·hidden floats per conv layer),
/// which makes its boundary a resume point for LFM2's hybrid layers; which pages keep one is
/// ``ConvSnapshotPolicy``'s choice (every page of a chain's start, then one in a stride, and
/// each chain's end — vLLM's 'align' mode keeps them only at chunk ends). A request reuses the
/// longest cached chain of its prompt that ends at a snapshot, restores that conv state and
/// prefills only the rest. The cache holds one reference on each of its pages; pages only
/// the cache references are evicted least-recently-used when the pool runs short.
/// Decisions are pure bookkeeping on the engine thread; no I/O, no clock.
final class PrefixCache {
    struct Entry {
        var parent: UInt64
        var tokens: [Int]
        var page: Int32
        var conv: [Float]?
        var lastUse: UInt64
    }

    let pageSize: Int
    let salt: UInt64
    private(set) var entries: [UInt64: Entry] = [:]
    private var tick: UInt64 = 0
    /// Prompt pages looked up / found (for metrics).
    private(set) var queriedPages = 0
    private(set) var hitPages = 0
    /// Pages holding a conv snapshot.
    private(set) var snapshotCount = 0

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

    /// The longest cached chain for `tokens` that ends at a page with a conv snapshot, at most
    /// `maxPages` pages. Retains every returned page for the caller. Returns the pages, their
    /// hashes and the conv state at the chain's end.
    func lookup(_ tokens: [Int], maxPages: Int, kv: KVCachePool) -> (pages: [Int32], hashes: [UInt64], conv: [Float]?) {
        var pages: [Int32] = [], hashes: [UInt64] = []
        var conv: [Float]? = nil
        var parent: UInt64 = 0
        tick += 1
        let n = min(maxPages, tokens.count / pageSize)
        // Every page the prompt could have taken from the cache is queried (as vLLM counts
        // queried tokens), so hits / queries is the share of reusable prompt pages served.
        queriedPages += max(0, n)
        var usable = 0
        for i in 0..<n {
            let slice = tokens[(i * pageSize)..<((i + 1) * pageSize)]
            let h = hash(parent: parent, tokens: slice)
            guard let e = entries[h], e.parent == parent, e.tokens.elementsEqual(slice) else { break }
            pages.append(e.page)
            hashes.append(h)
            if let c = e.conv { conv = c; usable = pages.count }
            parent = h
        }
        pages.removeLast(pages.count - usable)
        hashes.removeLast(hashes.count - usable)
        for (p, h) in zip(pages, hashes) {
            kv.retain(p)
            entries[h]?.lastUse = tick
        }
        hitPages += usable
        return (pages, hashes, conv)
    }

    /// Offers a just-completed page of a sequence. If its content is new, the cache takes a
    /// reference on the page and keeps the conv snapshot; if the page is cached without one,
    /// it takes the snapshot. Returns the page's hash and whether the snapshot was taken.
    @discardableResult
    func insert(parent: UInt64, tokens: ArraySlice<Int>, page: Int32, conv: [Float], kv: KVCachePool)
        -> (hash: UInt64, tookSnapshot: Bool) {
        let h = hash(parent: parent, tokens: tokens)
        tick += 1
        if var e = entries[h] {
            e.lastUse = tick
            let took = e.conv == nil
            if took { e.conv = conv; snapshotCount += 1 }
            entries[h] = e
            return (h, took)
        }
        kv.retain(page)
        entries[h] = Entry(parent: parent, tokens: Array(tokens), page: page, conv: conv, lastUse: tick)
        snapshotCount += 1
        return (h, true)
    }

    /// Drops the conv snapshot of a cached page (the page stays, as a link of its chain).
    func dropSnapshot(_ h: UInt64) {
        if entries[h]?.conv != nil { snapshotCount -= 1 }
        entries[h]?.conv = nil
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
            if e.conv != nil { snapshotCount -= 1 }
            kv.release(e.page)
            evicted += 1
        }
        return evicted
    }

    /// Drops every entry (releasing the cache's references).
    func clear(kv: KVCachePool) {
        for e in entries.values { kv.release(e.page) }
        entries.removeAll()
        snapshotCount = 0
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
