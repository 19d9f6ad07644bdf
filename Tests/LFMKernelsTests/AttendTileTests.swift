import Foundation
import Testing
@testable import LFMKernels

/// The tiled attention kernel (`attendTile`, lfm_attn.inc) against the per-head kernel
/// (`attend`, itself checked against a double-precision reference in `AttendTests`) on every
/// ISA and KV element type: query runs and contexts around the key block (32) and the tile
/// (32 rows) and the call's group of 8 tiles (up to 256 rows), page boundaries (16), GQA ratios 1–4 and 8, head widths that are and are not
/// multiples of 16, and split key ranges merged by `attendMerge`.
@Suite struct AttendTileTests {
    /// A paged K/V store for one KV head (head 1 of `heads`, so rows carry other heads), pages in
    /// reverse order in memory as a pool hands them out.
    final class PagedHead {
        let type: KVCacheType, d: Int, P = 16, stride: Int, pages: Int
        let k: UnsafeMutableRawPointer, v: UnsafeMutableRawPointer
        let kp: [UnsafeRawPointer?], vp: [UnsafeRawPointer?]

        init(_ type: KVCacheType, d: Int, positions: Int, seed: UInt64) {
            self.type = type
            self.d = d
            stride = 3 * d
            pages = (positions + P - 1) / P
            var rng = TestRandom(seed: seed)
            let n = pages * P * stride, eb = type.elementBytes
            k = .allocate(byteCount: n * eb, alignment: 64)
            v = .allocate(byteCount: n * eb, alignment: 64)
            let ks = KernelSet(.portable)
            ks.storeKV(type, rng.floats(n, scale: 2), into: k, count: n)
            ks.storeKV(type, rng.floats(n, scale: 1), into: v, count: n)
            let (pages, P, stride, d, k, v) = (pages, P, stride, d, k, v)
            kp = (0..<pages).map { UnsafeRawPointer(k + ((pages - 1 - $0) * P * stride + d) * eb) }
            vp = (0..<pages).map { UnsafeRawPointer(v + ((pages - 1 - $0) * P * stride + d) * eb) }
        }
        deinit { k.deallocate(); v.deallocate() }
    }

    /// Per-head reference: every (token, head) through `attend`.
    static func perHead(_ ks: KernelSet, _ kv: PagedHead, q: [Float], tokens: Int, group: Int, position: Int) -> [Float] {
        let d = kv.d, ld = group * d
        var out = [Float](repeating: .nan, count: tokens * ld)
        var scores = [Float](repeating: 0, count: position + tokens + 16)
        for t in 0..<tokens {
            for h in 0..<group {
                q.withUnsafeBufferPointer { qb in
                    out.withUnsafeMutableBufferPointer { ob in
                        ks.attend(kv.type, query: qb.baseAddress! + t * ld + h * d, keyPages: kv.kp, valuePages: kv.vp,
                                  pageSize: kv.P, stride: kv.stride, count: position + t + 1, headDim: d, scale: 1 / Float(d).squareRoot(),
                                  scratch: &scores, into: ob.baseAddress! + t * ld + h * d)
                    }
                }
            }
        }
        return out
    }

    static func tiled(_ ks: KernelSet, _ kv: PagedHead, q: [Float], tokens: Int, group: Int, position: Int,
                      keyRange: Range<Int>? = nil, partial: UnsafeMutablePointer<Float>? = nil) -> [Float] {
        let d = kv.d, ld = group * d
        var out = [Float](repeating: .nan, count: tokens * ld)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Kernels.attendTileScratch(group: group, headDim: d) + 16)
        defer { scratch.deallocate() }
        let aligned = UnsafeMutablePointer<Float>(bitPattern: (Int(bitPattern: scratch) + 63) & ~63)!
        ks.attendTile(kv.type, queries: q, queryStride: ld, tokens: tokens, group: group, headDim: d, firstPosition: position,
                      keyPages: kv.kp, valuePages: kv.vp, pageSize: kv.P, stride: kv.stride,
                      keyRange: keyRange ?? 0..<(position + tokens), scale: 1 / Float(d).squareRoot(), scratch: aligned,
                      into: &out, outputStride: ld, partial: partial)
        return out
    }

    static func maxDiff(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { $0.isNaN || $1.isNaN ? .infinity : abs($0 - $1) }.max() ?? 0
    }

    @Test(arguments: KernelISA.available, [(1, 0), (31, 0), (32, 0), (33, 0), (65, 0), (1, 31), (1, 32), (1, 33), (5, 15), (17, 16),
                                           (40, 47), (100, 3), (16, 200), (1, 700), (129, 0), (257, 31)])
    func equalsPerHeadKernel(_ isa: KernelISA, _ shape: (tokens: Int, position: Int)) {
        let ks = KernelSet(isa)
        for (group, d) in [(1, 64), (2, 64), (3, 16), (4, 32), (8, 8)] {
            for type in KVCacheType.allCases {
                let kv = PagedHead(type, d: d, positions: shape.position + shape.tokens, seed: UInt64(shape.tokens * 1000 + shape.position))
                var rng = TestRandom(seed: UInt64(group * 7 + d))
                let q = rng.floats(shape.tokens * group * d, scale: 1)
                let ref = Self.perHead(ks, kv, q: q, tokens: shape.tokens, group: group, position: shape.position)
                let got = Self.tiled(ks, kv, q: q, tokens: shape.tokens, group: group, position: shape.position)
                let diff = Self.maxDiff(got, ref)
                #expect(diff <= 2e-6, "\(isa) \(type) group \(group) d \(d) tokens \(shape.tokens) at \(shape.position): max diff \(diff)")
            }
        }
    }

    /// Split-K: the key range cut at block-aligned and unaligned points, each part computed
    /// alone with (max, sum) and merged, equals the whole; a part after a row's position
    /// contributes nothing (the row's sum there is 0).
    @Test(arguments: KernelISA.available)
    func splitKeyRangesMergeToTheWhole(_ isa: KernelISA) {
        let ks = KernelSet(isa)
        for (tokens, position, group, d, cuts) in [(1, 999, 2, 64, [0, 256, 512, 768, 1000]), (1, 300, 4, 32, [0, 7, 33, 200, 301]),
                                                    (3, 100, 1, 64, [0, 50, 101, 102, 103]), (16, 40, 2, 16, [0, 32, 56])] {
            let kv = PagedHead(.f16, d: d, positions: position + tokens, seed: 9)
            var rng = TestRandom(seed: 3)
            let q = rng.floats(tokens * group * d, scale: 1)
            let whole = Self.tiled(ks, kv, q: q, tokens: tokens, group: group, position: position)
            let rows = tokens * group, parts = cuts.count - 1
            var po = [Float](repeating: 0, count: parts * rows * d), ml = [Float](repeating: 0, count: parts * rows * 2)
            for s in 0..<parts {
                let part = ml.withUnsafeMutableBufferPointer { m in
                    Self.tiled(ks, kv, q: q, tokens: tokens, group: group, position: position, keyRange: cuts[s]..<cuts[s + 1],
                               partial: m.baseAddress! + s * rows * 2)
                }
                po.replaceSubrange((s * rows * d)..<((s + 1) * rows * d), with: part)
            }
            var merged = [Float](repeating: .nan, count: rows * d)
            Kernels.attendMerge(parts: parts, rows: rows, headDim: d, partials: po, maxSums: ml, into: &merged,
                                outputStride: group * d, group: group)
            let diff = Self.maxDiff(merged, whole)
            #expect(diff <= 2e-6, "\(isa) tokens \(tokens) at \(position) cuts \(cuts): max diff \(diff)")
        }
    }
}
