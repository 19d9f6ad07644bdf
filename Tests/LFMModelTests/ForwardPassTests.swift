import Foundation
import LFMTestSupport
import Testing
@testable import LFMModel

/// Logits and greedy continuations against transformers (scripts/make_fixtures.py).
@Suite(.serialized) struct ForwardPassTests {
    /// (checkpoint, golden, tolerance relative to max |logit|). F32 must match to 1e-4.
    /// BF16 weights are exact in F32 math, but the AVX512_BF16 kernel rounds activations to
    /// bf16 (see lfm_kernels.h); measured 1.2e-2 on these random models, bound 2e-2.
    static let cases: [(String, String, Float)] = [
        ("tiny-a", "tiny-a", 1e-4),
        ("tiny-a-f32.gguf", "tiny-a", 1e-4),
        ("tiny-a-f16", "tiny-a-f16", 1e-4),
        ("tiny-c", "tiny-c", 1e-4),   // untied lm_head, explicit head_dim, attention only
        ("tiny-d", "tiny-d", 1e-4),   // conv only
        ("tiny-b", "tiny-b", 2e-2),
        ("tiny-chat", "tiny-chat", 2e-2),
    ]

    @Test(arguments: cases)
    func wholePromptTokenByTokenAndChunks(path: String, golden: String, tolerance: Float) throws {
        let ref = try ReferenceGoldens(golden)
        let runner = try ModelRunner(path)
        for (p, prompt) in ref.prompts.enumerated() {
            let expected = ref.logits[p]
            let lastOnly = expected.count == 1 && prompt.count > 1
            for chunks in [[prompt.count], [1], [3, 1, 5, 2], [16, 7]] {
                var got = try runner.logits(prompt, chunks: chunks)
                if lastOnly { got = [got.last!] }
                let err = relativeError(got, expected)
                #expect(err <= tolerance, "\(path) prompt \(p) chunks \(chunks): relative error \(err)")
            }
        }
    }

    @Test(arguments: cases)
    func greedyContinuationsMatchTransformers(path: String, golden: String, tolerance: Float) throws {
        let ref = try ReferenceGoldens(golden)
        let runner = try ModelRunner(path)
        for (p, prompt) in ref.prompts.enumerated() {
            #expect(try runner.greedy(prompt, count: ref.greedy[p].count) == ref.greedy[p], "\(path) prompt \(p)")
        }
    }

    /// A chunk longer than `LFM2Model.ffnBlockTokens` runs the stacked FFN in row blocks (600 =
    /// 256 + 256 + 88); chunks of 100 never split. Same logits within f32 rounding (the
    /// packed Q8_0 file has the stacked gate/up product).
    @Test func longChunkFFNBlocksEqualShortChunks() throws {
        let runner = try ModelRunner("tiny-a-q8_0.gguf")
        let prompt = (0..<600).map { ($0 * 7919 + 13) % 500 + 1 }
        #expect(600 > LFM2Model.ffnBlockTokens * 2)
        let whole = try runner.logits(prompt, chunks: [600]), pieces = try runner.logits(prompt, chunks: [100])
        #expect(relativeError(whole, pieces) <= 1e-5)
    }

    @Test func ggufF32EqualsSafetensors() throws {
        let a = try ModelRunner("tiny-a"), b = try ModelRunner("tiny-a-f32.gguf")
        let prompt = [1, 17, 300, 42, 9, 511, 256, 3, 3]
        #expect(relativeError(try a.logits(prompt, chunks: [4, 5]), try b.logits(prompt, chunks: [9])) <= 1e-5)
    }

    /// Quantized files against transformers run on the same dequantized weights. The int8
    /// activation quantization of the Q8_0/Q4_0 kernels (as in llama.cpp) adds the error:
    /// measured up to 2.7e-2 of max |logit| on these random models; bound 5e-2. Greedy tokens
    /// (every step has a top-1 margin > 0.2 in the reference) must still agree.
    @Test(arguments: [("tiny-a-q8_0.gguf", "tiny-a-q8_0", Float(5e-2)), ("tiny-a-q4_0.gguf", "tiny-a-q4_0", Float(5e-2)),
                      ("tiny-chat-q8_0.gguf", "tiny-chat-q8_0", Float(5e-2)),
                      ("tiny-k-q4_k_m.gguf", "tiny-k-q4_k_m", Float(5e-2))])
    func quantizedWithinTolerance(path: String, golden: String, tolerance: Float) throws {
        let ref = try ReferenceGoldens(golden)
        let runner = try ModelRunner(path)
        for (p, prompt) in ref.prompts.enumerated() {
            var got = try runner.logits(prompt, chunks: [5, 2])
            if ref.logits[p].count == 1 { got = [got.last!] }
            let err = relativeError(got, ref.logits[p])
            #expect(err <= tolerance, "\(path) prompt \(p): relative error \(err)")
            #expect(try runner.greedy(prompt, count: ref.greedy[p].count) == ref.greedy[p], "\(path) greedy, prompt \(p)")
        }
    }

    /// Sequences batched into one step give the same logits as run alone.
    @Test func batchedStepEqualsSeparateRuns() throws {
        let runner = try ModelRunner("tiny-a")
        let prompts = [[1, 2, 3, 4, 5], [1, 400], [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]]
        let alone = try prompts.map { try runner.logits($0, chunks: [$0.count]) }
        let seqs = prompts.map { _ in SequenceState(config: runner.model.config) }
        for (s, p) in zip(seqs, prompts) { try s.reserve(p.count, in: runner.kv) }
        let step = try runner.model.forward(zip(seqs, prompts).map { BatchEntry(sequence: $0, tokens: $1, logits: .all) }, kv: runner.kv)
        for (e, p) in prompts.enumerated() {
            let rows = step.rowRanges[e].map { Array(step.row($0)) }
            #expect(rows.count == p.count)
            #expect(relativeError(rows, alone[e]) <= 1e-6)
        }
        // A mixed decode + prefill step continues each sequence correctly.
        for s in seqs { try s.reserve(1, in: runner.kv) }
        let step2 = try runner.model.forward(seqs.map { BatchEntry(sequence: $0, tokens: [42], logits: .last) }, kv: runner.kv)
        for (e, p) in prompts.enumerated() {
            let ref = try runner.logits(p + [42], chunks: [p.count + 1])
            #expect(relativeError([Array(step2.last(of: e)!)], [ref.last!]) <= 1e-5)
        }
        for s in seqs { s.release(to: runner.kv) }
        #expect(runner.kv.freePageCount == runner.kv.pageCount)
    }

    @Test func outOfRangeTokenIsAnErrorNotACrash() throws {
        let runner = try ModelRunner("tiny-a")
        let seq = SequenceState(config: runner.model.config)
        try seq.reserve(2, in: runner.kv)
        #expect(throws: ModelError.self) { try runner.model.forward([BatchEntry(sequence: seq, tokens: [1, 512], logits: .last)], kv: runner.kv) }
        #expect(seq.length == 0)
        seq.release(to: runner.kv)
    }

    @Test func exhaustedPoolIsReported() throws {
        let ckpt = try Checkpoint.load(path: Fixtures.url("models/tiny-a").path)
        let kv = KVCachePool(config: ckpt.config, pageSize: 4, pageCount: 2)
        let seq = SequenceState(config: ckpt.config)
        #expect(throws: KVCacheExhausted.self) { try seq.reserve(9, in: kv) }
        #expect(kv.freePageCount == 2)
    }
}
