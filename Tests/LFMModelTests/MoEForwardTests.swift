import Foundation
import LFMTestSupport
import Testing
@testable import LFMModel

/// log-softmax of one logits row, in Double.
func logprobs(_ row: [Float]) -> [Double] {
    let m = Double(row.max()!)
    let lse = m + log(row.reduce(0.0) { $0 + exp(Double($1) - m) })
    return row.map { Double($0) - lse }
}

/// max |logprob(a) − logprob(b)| over all rows.
func maxLogprobDelta(_ a: [[Float]], _ b: [[Float]]) -> Double {
    var d = 0.0
    for (ra, rb) in zip(a, b) { for (x, y) in zip(logprobs(ra), logprobs(rb)) { d = max(d, abs(x - y)) } }
    return d
}

/// LFM2 mixture-of-experts models (`Lfm2MoeForCausalLM`) against transformers'
/// `lfm2_moe` (scripts/make_moe_fixtures.py): from the HF folders and from llama.cpp's GGUF
/// conversion of moe-a.
@Suite(.serialized) struct MoEForwardTests {
    /// moe-a: top-2 of 8, 2 dense layers, expert bias, original key style. moe-b: top-3 of 6,
    /// norm_topk_prob false, scaling 2.5, conv bias. moe-c: top-1 of 4, no dense layer, no
    /// expert bias, scaling 0.75, expert width 40 (not packable). moe-a-f32.gguf: stacked experts.
    static let cases = ["moe-a", "moe-b", "moe-c", "moe-a-f32.gguf"]

    static func golden(_ path: String) -> String { path.hasSuffix(".gguf") ? "moe-a" : path }

    @Test(arguments: cases)
    func logprobsMatchTransformersInEveryChunking(path: String) throws {
        let ref = try ReferenceGoldens(Self.golden(path))
        let runner = try ModelRunner(path)
        for (p, prompt) in ref.prompts.enumerated() {
            for chunks in [[prompt.count], [1], [3, 1, 5, 2]] {
                let got = try runner.logits(prompt, chunks: chunks)
                let delta = maxLogprobDelta(got, ref.logits[p])
                #expect(delta < 1e-3, "\(path) prompt \(p) chunks \(chunks): logprob Δ \(delta)")
                #expect(relativeError(got, ref.logits[p]) <= 1e-4, "\(path) prompt \(p) chunks \(chunks)")
            }
        }
    }

    @Test(arguments: cases)
    func greedyIdsMatchTransformers(path: String) throws {
        let ref = try ReferenceGoldens(Self.golden(path))
        let runner = try ModelRunner(path)
        for (p, prompt) in ref.prompts.enumerated() {
            #expect(try runner.greedy(prompt, count: ref.greedy[p].count) == ref.greedy[p], "\(path) prompt \(p)")
        }
    }

    /// llama.cpp's Q8_0 conversion against transformers on the weights the file holds. The
    /// int8 activation quantization of the Q8_0 kernel (as in llama.cpp) gives the error bound of
    /// the dense quantized tests (ForwardPassTests.quantizedWithinTolerance, 5e-2 of max |logit|)
    /// at almost every position; but where two experts' selection scores are closer than that
    /// error (the reference's smallest gap is 1.4e-4), the quantized model may pick the other
    /// expert, as llama.cpp would, and that position and a few after it differ more (measured:
    /// 5 of 32 positions between 5e-2 and 0.12). So: 5e-2 at 75% of positions, 0.2 at all, and
    /// the greedy continuations identical (every reference step has a top-1 margin > 0.8).
    @Test func q8_0GGUFWithinQuantizedTolerance() throws {
        let ref = try ReferenceGoldens("moe-a-q8_0")
        let runner = try ModelRunner("moe-a-q8_0.gguf")
        var errors: [Float] = []
        for (p, prompt) in ref.prompts.enumerated() {
            let got = try runner.logits(prompt, chunks: [5, 2])
            errors += zip(got, ref.logits[p]).map { relativeError([$0], [$1]) }
            #expect(try runner.greedy(prompt, count: ref.greedy[p].count) == ref.greedy[p], "greedy, prompt \(p)")
        }
        let within = errors.filter { $0 <= 5e-2 }.count
        #expect(Double(within) >= 0.75 * Double(errors.count), "errors \(errors)")
        #expect(errors.max()! <= 0.2, "errors \(errors)")
    }

    /// llama.cpp's Q5_K_M quantization (llama-quantize) of a K-quant-sized MoE (hidden 256,
    /// experts of FFN 256): Q5_K experts and matrices with Q6_K where llama.cpp chooses it,
    /// against transformers on the weights the file holds. Same bounds as the Q8_0 file.
    @Test func q5_K_MGGUFWithinQuantizedTolerance() throws {
        let ref = try ReferenceGoldens("moe-k-q5_k_m")
        let runner = try ModelRunner("moe-k-q5_k_m.gguf")
        let types = Set(runner.model.weights.layers.compactMap { $0.moe?.experts.first?.w1.type })
        #expect(types.contains(.q5_K), "expert types \(types)")
        var errors: [Float] = []
        for (p, prompt) in ref.prompts.enumerated() {
            let got = try runner.logits(prompt, chunks: [5, 2])
            errors += zip(got, ref.logits[p]).map { relativeError([$0], [$1]) }
            #expect(try runner.greedy(prompt, count: ref.greedy[p].count) == ref.greedy[p], "greedy, prompt \(p)")
        }
        let within = errors.filter { $0 <= 5e-2 }.count
        #expect(Double(within) >= 0.75 * Double(errors.count), "errors \(errors)")
        #expect(errors.max()! <= 0.2, "errors \(errors)")
    }

    @Test func stackedGGUFExpertsEqualPerExpertTensors() throws {
        let hf = try Checkpoint.load(path: Fixtures.url("models/moe-a").path)
        let gg = try Checkpoint.load(path: Fixtures.url("models/moe-a-f32.gguf").path)
        var ggConfig = gg.config   // the GGUF has no tokenizer, so no special-token ids
        (ggConfig.bosTokenID, ggConfig.eosTokenIDs, ggConfig.padTokenID) = (hf.config.bosTokenID, hf.config.eosTokenIDs, hf.config.padTokenID)
        #expect(hf.config == ggConfig)
        for i in [2, 5] {
            let a = hf.weights.layers[i].moe!, b = gg.weights.layers[i].moe!
            #expect(a.expertBias == b.expertBias && a.expertBias!.contains { $0 != 0 })
            #expect(a.router.floats() == b.router.floats())
            for e in [0, 3, 7] {
                #expect(a.experts[e].w1.floats() == b.experts[e].w1.floats())
                #expect(a.experts[e].w3.floats() == b.experts[e].w3.floats())
                #expect(a.experts[e].w2.floats() == b.experts[e].w2.floats())
            }
            #expect(a.experts[0].w1.floats() != a.experts[1].w1.floats())
        }
        #expect(hf.weights.layers[0].moe == nil && hf.weights.layers[1].w1 != nil)
        #expect(hf.parameterCount == gg.parameterCount)
    }

    /// Several sequences in one step (prefill of different lengths, then decode) give what each
    /// gives alone: the grouping of tokens by expert must not mix rows up.
    @Test(arguments: ["moe-a", "moe-b", "moe-a-q8_0.gguf", "moe-k-q5_k_m.gguf"])
    func batchedStepEqualsSeparateRuns(path: String) throws {
        let runner = try ModelRunner(path)
        let V = runner.model.config.vocabSize
        let prompts = (0..<16).map { i in (0..<(1 + (i * 7) % 13)).map { (i * 31 + $0 * 17 + 3) % V } }
        let alone = try prompts.map { try runner.logits($0, chunks: [$0.count]) }
        let seqs = prompts.map { _ in SequenceState(config: runner.model.config) }
        for (s, p) in zip(seqs, prompts) { try s.reserve(p.count, in: runner.kv) }
        let step = try runner.model.forward(zip(seqs, prompts).map { BatchEntry(sequence: $0, tokens: $1, logits: .all) }, kv: runner.kv)
        for (e, p) in prompts.enumerated() {
            let rows = step.rowRanges[e].map { Array(step.row($0)) }
            #expect(rows.count == p.count)
            #expect(relativeError(rows, alone[e]) <= 1e-5, "\(path) sequence \(e)")
        }
        // 16 decode tokens in one step = each sequence's own next step.
        for s in seqs { try s.reserve(1, in: runner.kv) }
        let next = (0..<16).map { (5 + $0 * 11) % V }
        let step2 = try runner.model.forward(zip(seqs, next).map { BatchEntry(sequence: $0, tokens: [$1], logits: .last) }, kv: runner.kv)
        for (e, p) in prompts.enumerated() {
            let ref = try runner.logits(p + [next[e]], chunks: [p.count, 1])
            #expect(relativeError([Array(step2.last(of: e)!)], [ref.last!]) <= 1e-5, "\(path) decode \(e)")
        }
        for s in seqs { s.release(to: runner.kv) }
        #expect(runner.kv.freePageCount == runner.kv.pageCount)
    }
}

/// moe-chat (BF16 weights, 64,400-row vocabulary) against transformers at the last position,
/// with the BF16 bound of ForwardPassTests (the AVX512_BF16 kernel rounds activations).
@Test func moeChatLastLogitsMatchTransformers() throws {
    let ref = try ReferenceGoldens("moe-chat")
    let runner = try ModelRunner("moe-chat")
    #expect(runner.model.config.vocabSize == 64400 && ref.vocab == 64400)
    for (p, prompt) in ref.prompts.enumerated() {
        let got = try runner.logits(prompt, chunks: [prompt.count])
        #expect(relativeError([got.last!], ref.logits[p]) <= 2e-2, "prompt \(p)")
    }
}
