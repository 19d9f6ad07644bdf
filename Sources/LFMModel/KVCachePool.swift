import LFMKernels

/// A global pool of fixed-size KV pages shared by all sequences (docs/architecture.md, KV cache).
///
/// A page holds `pageSize` consecutive token positions of K and V for every attention
/// layer: layout `[page][attention layer][K | V][slot][kvDim]` in `type` (f32, f16 or bf16). Sequences own
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
    /// Element type of K and V.
    public let type: KVCacheType
    let elementBytes: Int
    let storage: UnsafeMutableRawPointer
    private var free: [Int32]
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

    /// Takes a free page (reference count 1), or nil when the pool is exhausted.
    public func allocate() -> Int32? {
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
        if refs[i] == 0 { free.append(page) }
    }

    /// Current reference count of a page.
    public func referenceCount(_ page: Int32) -> Int { Int(refs[Int(page)]) }

    /// K row of `slot` in `page` for attention layer `layer` (its index among attention layers).
    @inline(__always)
    func key(page: Int32, layer: Int, slot: Int) -> UnsafeMutableRawPointer {
        storage + ((Int(page) * layers + layer) * 2 * pageSize + slot) * kvDim * elementBytes
    }

    /// V row of `slot` in `page` for attention layer `layer`.
    @inline(__always)
    func value(page: Int32, layer: Int, slot: Int) -> UnsafeMutableRawPointer {
        storage + ((Int(page) * layers + layer) * 2 * pageSize + pageSize + slot) * kvDim * elementBytes
    }
}
