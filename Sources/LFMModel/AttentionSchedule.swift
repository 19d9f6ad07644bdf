#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which attention kernel the forward pass runs (docs/lfm2.md §2.5, docs/kernels.md).
public enum AttentionKernel: String, Sendable, CaseIterable {
    /// Tiles of query tokens × the query heads of one KV head against blocks of keys, online
    /// softmax, work split over threads by (KV head, query block) and, for short query runs
    /// over long contexts, by key range with a log-sum-exp merge (`lfm_attend_tile`).
    case tiled
    /// One call per (token, query head) over the page table (`lfm_attend`): the first
    /// implementation, kept for A/B measurements and exactness tests.
    case perHead

    /// `LFM_ATTENTION=per-head` selects the per-head kernel for A/B measurements; default tiled.
    public static var fromEnvironment: AttentionKernel {
        if let v = getenv("LFM_ATTENTION"), String(cString: v) == "per-head" { return .perHead }
        return .tiled
    }
}

/// How one attention layer's work is cut into independent jobs for the thread pool: pure,
/// computed from the step's segments (each batch entry's query positions), unit-tested.
///
/// A job is one tile: up to `tileTokens` consecutive query tokens of one entry with the
/// `group` query heads of one KV head, against a key range. Entries whose queries fit in one
/// tile (decodes, short chunks) are split into several key ranges when the step would
/// otherwise have fewer than `targetJobs` jobs; their partial results are merged afterwards.
/// Jobs are ordered by decreasing cost (causal tiles late in a prompt see more keys), so the
/// pool's shared counter hands the long ones out first.
struct AttentionSchedule: Equatable {
    struct Job: Equatable {
        /// Batch entry, KV head, first query token (relative to the entry) and token count.
        var entry: Int, kvHead: Int, token0: Int, tokens: Int
        /// Keys the job reads: `keys` ∩ [0, position + 1) per token.
        var keys: Range<Int>
        /// Index of its partial-result slot, or nil when it writes the output directly.
        var part: Int?
    }
    /// The partial slots `first ..< first + count` of one (entry, KV head), merged into its output.
    struct Merge: Equatable {
        var entry: Int, kvHead: Int, first: Int, count: Int
    }

    var jobs: [Job] = []
    var merges: [Merge] = []
    /// Partial-result slots used (each `tileTokens · group` rows).
    var parts = 0

    /// - Parameters:
    ///   - segments: per entry, the position of its first query and its number of queries.
    ///   - minKeysPerPart: a key range is split no finer than this.
    init(segments: [(position: Int, count: Int)], kvHeads: Int, tileTokens: Int, targetJobs: Int,
         minKeysPerPart: Int = 512) {
        var base = 0
        for s in segments where s.count > 0 { base += kvHeads * ((s.count + tileTokens - 1) / tileTokens) }
        var costed: [(cost: Int, job: Job)] = []
        for (e, s) in segments.enumerated() where s.count > 0 {
            let keys = s.position + s.count
            var splits = 1
            if s.count <= tileTokens, base < targetJobs {
                splits = max(1, min((targetJobs + base - 1) / base, keys / minKeysPerPart))
            }
            for g in 0..<kvHeads {
                if splits > 1 {
                    // Ranges aligned to 32 keys (the kernel's block), the last one takes the rest.
                    let step = ((keys + splits - 1) / splits + 31) / 32 * 32
                    let first = parts
                    var k0 = 0
                    while k0 < keys {
                        let k1 = min(keys, k0 + step)
                        costed.append(((k1 - k0) * s.count, Job(entry: e, kvHead: g, token0: 0, tokens: s.count, keys: k0..<k1, part: parts)))
                        parts += 1
                        k0 = k1
                    }
                    merges.append(Merge(entry: e, kvHead: g, first: first, count: parts - first))
                } else {
                    var t0 = 0
                    while t0 < s.count {
                        let n = min(tileTokens, s.count - t0)
                        let end = s.position + t0 + n
                        costed.append((end * n, Job(entry: e, kvHead: g, token0: t0, tokens: n, keys: 0..<end, part: nil)))
                        t0 += n
                    }
                }
            }
        }
        // Stable: equal costs keep their order.
        jobs = costed.enumerated().sorted { a, b in
            a.element.cost != b.element.cost ? a.element.cost > b.element.cost : a.offset < b.offset
        }.map(\.element.job)
    }
}
