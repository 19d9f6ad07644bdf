import LFMKernels

/// A global pool of fixed-size KV pages shared by all sequences (docs/architecture.md, KV cache).
///
/// A page holds `pageSize` consecutive token positions of K and V for every attention
/// layer. Layout `[attention layer][K | V][KV head][page][slot][headDim]` in `type` (f32, f16
/// or bf16): attention reads one head at a time, and this keeps a head's rows contiguous within
/// a page and across consecutive pages (a long prompt's pages mostly are), so a decode over 16k
/// keys streams long runs instead of 128 bytes in every 1 KB (all heads of a position side by
/// side, page by page: 30 → 37 tok/s at 16k keys in the 350M shape). Sequences own
/// pages through their block tables (`SequenceState.pages`). The pool itself is a plain
/// free list; prefix sharing and eviction policy live above it (LFMRuntime).
public final class KVCachePool: @unchecked Sendable {
    // Safety: used from the engine thread only (the scheduler owns it); reads for
    // attention happen inside fork/join loops that the engine thread waits for.
    /// Token positions per page.
    public let pageSize: Int
    /// Total pages.
    public let pageCount: Int
    let layers: Int
    let kvDim: Int
    /// Elements of one head's row, and KV heads (`kvDim` = heads × headDim).
    let headDim: Int, heads: Int
    /// Element type of K and V.
    public let type: KVCacheType
    let elementBytes: Int
    let storage: UnsafeMutableRawPointer
    /// Free pages, kept in descending order (sorted again lazily after out-of-order releases):
    /// pages are handed out lowest first, so a sequence's pages tend to be consecutive, which
    /// the layout turns into one contiguous run per head even after other sequences came and went.
    private var free: [Int32]
    private var freeSorted = true
    /// Reference counts (pages shared by the prefix cache have counts above 1).
    private var refs: [Int32]

    /// Creates a pool of `pageCount` pages of `type` elements for `config`'s attention layers.
    public init(config: LFM2Config, pageSize: Int = 16, pageCount: Int, type: KVCacheType = .f32) {
        self.pageSize = max(1, pageSize)
        self.pageCount = max(1, pageCount)
        self.type = type
        elementBytes = type.elementBytes
        layers = max(1, config.attentionLayerCount)
        kvDim = config.kvDim
        headDim = config.headDim
        heads = config.kvDim / config.headDim
        let total = self.pageCount * layers * 2 * self.pageSize * kvDim * elementBytes
        // Not zero-filled: every slot is written (by the forward pass) before attention reads
        // it, so the OS maps pages lazily and RSS grows with use, not with the budget.
        storage = .allocate(byteCount: max(total, 64), alignment: 64)
        free = (0..<Int32(self.pageCount)).reversed()
        refs = Array(repeating: 0, count: self.pageCount)
    }

    /// Bytes one page takes for `config` (to size a pool from a memory budget).
    public static func bytesPerPage(config: LFM2Config, pageSize: Int, type: KVCacheType = .f32) -> Int {
        max(1, config.attentionLayerCount) * 2 * pageSize * config.kvDim * type.elementBytes
    }

    deinit { storage.deallocate() }

    /// Pages not owned by anyone.
    public var freePageCount: Int { free.count }

    /// Takes the lowest free page (reference count 1), or nil when the pool is exhausted.
    public func allocate() -> Int32? {
        if !freeSorted {
            free.sort(by: >)
            freeSorted = true
        }
        guard let p = free.popLast() else { return nil }
        refs[Int(p)] = 1
        return p
    }

    /// Adds a reference to a page (a second sequence sharing a cached prefix page).
    public func retain(_ page: Int32) { refs[Int(page)] += 1 }

    /// Drops a reference; the page returns to the free list when none remain.
    public func release(_ page: Int32) {
        let i = Int(page)
        precondition(refs[i] > 0, "KV page \(page) released more often than retained")
        refs[i] -= 1
        if refs[i] == 0 {
            if let last = free.last, last < page { freeSorted = false }
            free.append(page)
        }
    }

    /// Current reference count of a page.
    public func referenceCount(_ page: Int32) -> Int { Int(refs[Int(page)]) }

    /// Head `head`'s K row of `slot` in `page` for attention layer `layer` (its index among
    /// attention layers); the head's rows of the page, and of the pages after it, follow at
    /// `headDim` elements each.
    @inline(__always)
    func key(page: Int32, layer: Int, head: Int, slot: Int) -> UnsafeMutableRawPointer {
        storage + ((((layer * 2) * heads + head) * pageCount + Int(page)) * pageSize + slot) * headDim * elementBytes
    }

    /// Head `head`'s V row of `slot` in `page` for attention layer `layer`.
    @inline(__always)
    func value(page: Int32, layer: Int, head: Int, slot: Int) -> UnsafeMutableRawPointer {
        storage + ((((layer * 2 + 1) * heads + head) * pageCount + Int(page)) * pageSize + slot) * headDim * elementBytes
    }
}
