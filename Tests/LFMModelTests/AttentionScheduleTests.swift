import Testing
@testable import LFMModel

/// The attention job planner: every (entry, KV head, query token) is covered exactly once,
/// split key ranges partition the context, costs are non-increasing.
@Suite struct AttentionScheduleTests {
    /// Checks coverage and returns the schedule.
    @discardableResult
    static func check(_ segments: [(position: Int, count: Int)], kvHeads: Int, tileTokens: Int, targetJobs: Int, minKeys: Int = 512) -> AttentionSchedule {
        let s = AttentionSchedule(segments: segments, kvHeads: kvHeads, tileTokens: tileTokens, targetJobs: targetJobs, minKeysPerPart: minKeys)
        for (e, seg) in segments.enumerated() {
            for g in 0..<kvHeads {
                let jobs = s.jobs.filter { $0.entry == e && $0.kvHead == g }
                if let m = s.merges.first(where: { $0.entry == e && $0.kvHead == g }) {
                    // Split: parts cover [0, position + count) in order, all tokens each.
                    let parts = jobs.sorted { $0.keys.lowerBound < $1.keys.lowerBound }
                    #expect(parts.count == m.count && m.count > 1)
                    #expect(parts.first?.keys.lowerBound == 0 && parts.last?.keys.upperBound == seg.position + seg.count)
                    for (a, b) in zip(parts, parts.dropFirst()) { #expect(a.keys.upperBound == b.keys.lowerBound) }
                    #expect(Set(parts.compactMap(\.part)) == Set(m.first..<(m.first + m.count)))
                    #expect(parts.allSatisfy { $0.token0 == 0 && $0.tokens == seg.count })
                } else {
                    var covered = [Int](repeating: 0, count: seg.count)
                    for j in jobs {
                        #expect(j.part == nil && j.tokens <= tileTokens && j.keys == 0..<(seg.position + j.token0 + j.tokens))
                        for t in j.token0..<(j.token0 + j.tokens) { covered[t] += 1 }
                    }
                    #expect(covered.allSatisfy { $0 == 1 }, "entry \(e) head \(g)")
                }
            }
        }
        let costs = s.jobs.map { $0.keys.count * $0.tokens }
        #expect(zip(costs, costs.dropFirst()).allSatisfy { $0 >= $1 })
        return s
    }

    @Test func prefillChunksTileByQueryBlock() {
        let s = Self.check([(0, 100)], kvHeads: 8, tileTokens: 16, targetJobs: 16)
        #expect(s.jobs.count == 8 * 7 && s.parts == 0)
        // The costliest block (16 tokens × 96 keys; the last block has only 4 tokens) comes first.
        #expect(s.jobs.first?.token0 == 80)
    }

    @Test func longDecodeIsSplitOverKeyRanges() {
        let s = Self.check([(16_383, 1)], kvHeads: 2, tileTokens: 16, targetJobs: 16)
        #expect(s.merges.count == 2 && s.parts == 16)
        // Ranges are multiples of 32 keys except the last.
        #expect(s.jobs.filter { $0.keys.upperBound != 16_384 }.allSatisfy { $0.keys.count % 32 == 0 })
    }

    @Test func shortContextsAndWideBatchesAreNotSplit() {
        #expect(Self.check([(100, 1)], kvHeads: 2, tileTokens: 16, targetJobs: 16).parts == 0)
        let wide = Self.check((0..<64).map { (5000 + $0, 1) }, kvHeads: 8, tileTokens: 16, targetJobs: 16)
        #expect(wide.parts == 0 && wide.jobs.count == 64 * 8)
    }

    @Test func mixedStepsAndEmptyEntries() {
        Self.check([(0, 0), (4000, 1), (31, 33), (2000, 16), (0, 1)], kvHeads: 1, tileTokens: 16, targetJobs: 32, minKeys: 64)
        Self.check([(700, 3)], kvHeads: 3, tileTokens: 10, targetJobs: 64, minKeys: 32)
    }
}
