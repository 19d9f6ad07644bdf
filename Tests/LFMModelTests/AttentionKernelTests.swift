import LFMKernels
import LFMTestSupport
import Testing
@testable import LFMModel

/// The tiled attention kernel against the per-head one through the whole model, on every
/// fixture with attention layers: whole prompts, uneven chunks (queries crossing key blocks,
/// tiles and pages), a step mixing a split-K decode with a prefill, f32 and f16 KV pages.
/// Logits must agree within f32 rounding (the two differ only in summation order): 2e-5 of
/// max |logit| for float weights. Quantized weights quantize each activation row to int8 before
/// a product (docs/lfm2.md §6.4), which turns a last-bit difference at a rounding boundary into
/// one quantum: bound 2e-2 there, and rows with a clear top-1 margin keep their greedy token.
/// BF16 weights on AVX-512 take bf16 activations (`KernelSet.usesBF16Activations`), a rounding
/// of the same kind: the same bound there.
@Suite(.serialized) struct AttentionKernelTests {
    static let fixtures: [(String, Float)] = [
        ("tiny-a", 2e-5), ("tiny-a-f16", 2e-5), ("tiny-b", 2e-5), ("tiny-c", 2e-5), ("tiny-chat", 2e-5), ("scripted-chat", 2e-5),
        ("moe-a", 2e-5), ("moe-b", 2e-5), ("moe-c", 2e-5), ("moe-chat", 2e-5),
        ("tiny-a-q8_0.gguf", 2e-2), ("tiny-k-q4_k_m.gguf", 2e-2), ("moe-a-q8_0.gguf", 2e-2),
    ]

    /// Logits of every position of `tokens` fed in `chunks`, plus the logits of one decode
    /// step batched with a second sequence's prefill.
    static func run(_ model: LFM2Model, _ kv: KVCachePool, _ kernel: AttentionKernel, tokens: [Int], chunks: [Int]) throws -> [[Float]] {
        model.attentionKernel = kernel
        let seq = SequenceState(config: model.config), other = SequenceState(config: model.config)
        defer { seq.release(to: kv); other.release(to: kv) }
        var out: [[Float]] = []
        var i = 0, c = 0
        while i < tokens.count - 1 {
            let n = min(chunks[c % chunks.count], tokens.count - 1 - i)
            c += 1
            try seq.reserve(n, in: kv)
            let step = try model.forward([BatchEntry(sequence: seq, tokens: Array(tokens[i..<(i + n)]), logits: .all)], kv: kv)
            for r in step.rowRanges[0] { out.append(Array(step.row(r))) }
            i += n
        }
        // The last token as a decode (split-K over the context) next to a 40-token prefill.
        try seq.reserve(1, in: kv)
        try other.reserve(40, in: kv)
        let step = try model.forward([BatchEntry(sequence: seq, tokens: [tokens.last!], logits: .last),
                                      BatchEntry(sequence: other, tokens: Array(tokens.prefix(40)), logits: .all)], kv: kv)
        for r in 0..<step.rowRanges.last!.upperBound { out.append(Array(step.row(r))) }
        return out
    }

    @Test(arguments: fixtures)
    func tiledEqualsPerHead(path: String, tolerance: Float) throws {
        let ckpt = try Checkpoint.load(path: Fixtures.url("models/\(path)").path)
        let tolerance = ckpt.typeCounts["BF16"] != nil && KernelSet.active.usesBF16Activations ? max(tolerance, 2e-2) : tolerance
        let model = LFM2Model(checkpoint: ckpt, threads: 2)
        model.attentionMinKeysPerPart = 32   // split decodes at these short contexts too
        let V = model.config.vocabSize
        var x: UInt64 = 12345
        let tokens = (0..<201).map { _ in x = x &* 6_364_136_223_846_793_005 &+ 1; return Int(x >> 33) % V }
        for (type, chunks) in [(KVCacheType.f32, [37, 1, 64, 5, 31, 32, 33]), (.f16, [200])] {
            let kv = KVCachePool(config: model.config, pageSize: 16, pageCount: 32, type: type)
            let ref = try Self.run(model, kv, .perHead, tokens: tokens, chunks: chunks)
            let got = try Self.run(model, kv, .tiled, tokens: tokens, chunks: chunks)
            #expect(got.count == ref.count)
            let err = relativeError(got, ref)
            #expect(err <= tolerance, "\(path) \(type) chunks \(chunks): relative error \(err)")
            if tolerance > 2e-5 {
                // Rows whose top-1 margin exceeds twice the bound keep their greedy token.
                let scale = ref.flatMap { $0 }.map(abs).max()!
                for (g, r) in zip(got, ref) {
                    let order = r.indices.sorted { r[$0] > r[$1] }
                    guard r[order[0]] - r[order[1]] > 2 * tolerance * scale else { continue }
                    #expect(g.indices.max { g[$0] < g[$1] } == order[0], "\(path) \(type): greedy token differs")
                }
            }
            #expect(kv.freePageCount == kv.pageCount)
        }
    }
}
