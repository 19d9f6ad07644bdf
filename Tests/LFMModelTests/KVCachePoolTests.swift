import LFMTestSupport
import Testing
@testable import LFMModel

/// `KVCachePool`: the layout keeps one head's rows of consecutive pages contiguous, and pages
/// are handed out lowest first so that a sequence's pages tend to be consecutive.
@Suite struct KVCachePoolTests {
    static let config = try! Checkpoint.load(path: Fixtures.url("models/tiny-c").path).config

    @Test func aHeadsRowsAreOneRunAcrossPages() {
        let c = Self.config
        let P = 4, pages = 5
        let pool = KVCachePool(config: c, pageSize: P, pageCount: pages, type: .f16)
        let row = c.headDim * 2
        let heads = c.numKVHeads, layers = c.attentionLayerCount
        #expect(heads > 1 && layers > 1)
        var seen = Set<Int>()
        for l in 0..<layers {
            for h in 0..<heads {
                for p in 0..<pages {
                    for s in 0..<P {
                        let k = pool.key(page: Int32(p), layer: l, head: h, slot: s), v = pool.value(page: Int32(p), layer: l, head: h, slot: s)
                        let ko = k - pool.storage, vo = v - pool.storage
                        // Every row in its own place inside the storage.
                        #expect(ko >= 0 && ko + row <= pages * KVCachePool.bytesPerPage(config: c, pageSize: P, type: .f16))
                        #expect(seen.insert(ko).inserted && seen.insert(vo).inserted)
                        // The next position of the same head, also across a page boundary, follows directly.
                        if p * P + s + 1 < pages * P {
                            let n = p * P + s + 1
                            #expect(pool.key(page: Int32(n / P), layer: l, head: h, slot: n % P) == k + row)
                            #expect(pool.value(page: Int32(n / P), layer: l, head: h, slot: n % P) == v + row)
                        }
                    }
                }
            }
        }
        #expect(seen.count == 2 * layers * heads * pages * P)
    }

    @Test func lowestFreePageFirst() {
        let pool = KVCachePool(config: Self.config, pageSize: 4, pageCount: 10, type: .f16)
        let first = (0..<8).map { _ in pool.allocate()! }
        #expect(first == Array(0..<8))
        for p in [Int32(5), 2, 7, 3] { pool.release(p) }
        #expect((0..<4).map { _ in pool.allocate()! } == [2, 3, 5, 7])
        #expect(pool.allocate() == 8)
        pool.retain(1)
        pool.release(1)
        #expect(pool.referenceCount(1) == 1)
        pool.release(1)
        #expect(pool.allocate() == 1)
        #expect(pool.allocate() == 9)
        #expect(pool.allocate() == nil)
    }
}
