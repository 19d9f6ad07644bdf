import Foundation
import LFMModel
import LFMTestSupport
import LFMTokenizer
import Testing
@testable import LFMRuntime

/// Prompt log-probabilities (`echo` + `logprobs`) against transformers
/// (scripts/make_prompt_logprob_goldens.py → goldens/prompt-logprobs.json).
@Suite(.serialized) struct PromptScoresTests {
    struct Case {
        let fixture: String
        let prompt: [Int]
        let logprobs: [Double?]
        let top: [[(Int, Double)]?]
    }

    static func cases(_ fixture: String) throws -> [Case] {
        let data = try Data(contentsOf: Fixtures.url("models/goldens/prompt-logprobs.json"))
        let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (root["cases"] as! [[String: Any]]).filter { $0["fixture"] as! String == fixture }.map { c in
            Case(fixture: fixture, prompt: c["prompt"] as! [Int],
                 logprobs: (c["token_logprobs"] as! [Any]).map { $0 as? Double },
                 top: (c["top"] as! [Any]).map { ($0 as? [[Double]])?.map { (Int($0[0]), $0[1]) } })
        }
    }

    /// An engine over a fixture checkpoint; fixtures without a tokenizer borrow tiny-chat's
    /// (its ids cover theirs; scoring does not detokenize).
    static func engine(_ fixture: String, maxBatchedTokens: Int = 512, prefixCaching: Bool = true,
                       kvCacheBytes: Int = 1 << 22) throws -> InferenceEngine {
        let checkpoint = try Checkpoint.load(path: Fixtures.url(fixture).path)
        let tokenizer = try Tokenizer.load(directory: Fixtures.url("models/tiny-chat"))
        let model = LoadedModel(checkpoint: checkpoint, tokenizer: tokenizer, chatTemplateSource: nil, stopTokenIDs: [7])
        return InferenceEngine(model: model, configuration: .init(threads: 2, maxBatchedTokens: maxBatchedTokens, pageSize: 4,
                                                                  kvCacheBytes: kvCacheBytes, prefixCaching: prefixCaching))
    }

    static func scores(_ events: [GenerationEvent]) -> [PromptTokenLogprob]? {
        for e in events { if case .promptLogprobs(let s) = e { return s } }
        return nil
    }

    /// Largest |engine − transformers| over the prompt's scores and their top-2 alternatives;
    /// also checks the ids line up (alternatives may swap only where transformers' top two are
    /// within `tie`).
    static func maxError(_ got: [PromptTokenLogprob], _ c: Case, tie: Double = 1e-3) -> Double {
        #expect(got.count == c.prompt.count - 1)
        #expect(c.logprobs.first! == nil)
        var worst = 0.0
        for (i, g) in got.enumerated() {
            #expect(g.id == c.prompt[i + 1])
            worst = max(worst, abs(Double(g.logprob) - c.logprobs[i + 1]!))
            let ref = c.top[i + 1]!
            #expect(g.topLogprobs.count == 2)
            // The best alternative may only differ where transformers' top two are (near) tied;
            // the k-th largest values must agree whichever ids hold them.
            if g.topLogprobs[0].id != ref[0].0 { #expect(abs(ref[0].1 - ref[1].1) < tie, "position \(i + 1)") }
            for (a, r) in zip(g.topLogprobs, ref) { worst = max(worst, abs(Double(a.logprob) - r.1)) }
        }
        return worst
    }

    /// F32 weights (safetensors, and the same weights as an F32 GGUF file) and KV cache: every
    /// prompt position within 1e-3 of transformers, for one whole-prompt step, for chunked
    /// prefill (rows over several steps), and when the prompt is already in the prefix cache
    /// (scoring bypasses it: usage reports 0 cached tokens).
    @Test(arguments: ["models/tiny-a", "models/tiny-a-f32.gguf"], [512, 5])
    func tinyAMatchesTransformers(fixture: String, maxBatchedTokens: Int) throws {
        let engine = try Self.engine(fixture, maxBatchedTokens: maxBatchedTokens)
        defer { engine.shutdown() }
        for c in try Self.cases("models/tiny-a") {
            // Prime the prefix cache with the same prompt.
            _ = try engine.generate(GenerationRequest(id: "prime", promptTokens: c.prompt, maxTokens: 1, ignoreEOS: true))
            var r = GenerationRequest(id: "score", promptTokens: c.prompt, maxTokens: 0)
            r.promptLogprobs = 2
            let events = try engine.generate(r)
            let got = try #require(Self.scores(events))
            let err = Self.maxError(got, c)
            #expect(err < 1e-3, "\(fixture), prompt of \(c.prompt.count) tokens, batch \(maxBatchedTokens): max error \(err)")
            #expect(ids(events).isEmpty)
            #expect(finish(events) == .length)
            if case .finished(_, _, let usage) = events.last! {
                #expect(usage.cachedTokens == 0)
                #expect(usage.completionTokens == 0)
            }
        }
        let s = waitIdle(engine)
        #expect(s.freePages + s.cachedPages == s.totalPages)
    }

    /// The Q8_0 file against transformers on its dequantized weights. The Q8_0 kernels quantize
    /// activations to int8 too (as llama.cpp's), which the reference does not: the logits differ
    /// by up to 2.7e-2 of max |logit| on these random models (LFMModelTests'
    /// quantizedWithinTolerance), so log-probabilities around −30 differ by up to ~0.7 here.
    /// Bound: 5e-2 of the largest |reference log-probability|, the same relative bound.
    @Test func q8MatchesTransformersWithinQuantizationError() throws {
        let engine = try Self.engine("models/tiny-a-q8_0.gguf")
        defer { engine.shutdown() }
        for c in try Self.cases("models/tiny-a-q8_0.gguf") {
            var r = GenerationRequest(id: "score", promptTokens: c.prompt, maxTokens: 0)
            r.promptLogprobs = 2
            let got = try #require(Self.scores(try engine.generate(r)))
            let scale = c.logprobs.compactMap { $0.map(abs) }.max()!
            let err = Self.maxError(got, c, tie: 0.05 * scale)
            #expect(err < 0.05 * scale, "max error \(err) (scale \(scale))")
        }
    }

    /// Scores come once, before the first token; generation continues normally after them,
    /// and the next-token scores match the prompt scores of the longer prompt.
    @Test func scoresPrecedeTokensAndAgreeWithGeneration() throws {
        let engine = try Self.engine("models/tiny-a", maxBatchedTokens: 3)
        defer { engine.shutdown() }
        let prompt = [1, 17, 300, 42, 9, 511, 256]
        var r = GenerationRequest(id: "g", promptTokens: prompt, maxTokens: 3, ignoreEOS: true, logprobs: true)
        r.promptLogprobs = 1
        let events = try engine.generate(r)
        guard case .promptLogprobs(let scores) = events.first! else { Issue.record("no scores first"); return }
        #expect(scores.count == prompt.count - 1)
        #expect(events.filter { if case .promptLogprobs = $0 { return true } else { return false } }.count == 1)
        let generated = ids(events)
        #expect(generated.count == 3)
        var longer = GenerationRequest(id: "l", promptTokens: prompt + generated, maxTokens: 0)
        longer.promptLogprobs = 1
        let again = try #require(Self.scores(try engine.generate(longer)))
        let tokens = events.compactMap { if case .token(let t) = $0 { return t } else { return nil } }
        for (k, t) in tokens.enumerated() {
            let s = again[prompt.count - 1 + k]
            #expect(s.id == t.id)
            #expect(abs(s.logprob - t.logprob) < 1e-4)
            // Greedy: the token is its position's top alternative with the identical value.
            #expect(s.topLogprobs.first == TokenLogprob(id: s.id, logprob: s.logprob))
        }
    }

    /// Scoring requests running together, chunked and preempted for pages (then recomputed),
    /// give exactly the scores and tokens they give alone.
    @Test func concurrentChunkedPreemptedScoringEqualsAlone() throws {
        let requests = (0..<6).map { i in
            var r = GenerationRequest(id: "r\(i)", promptTokens: (0..<20).map { ($0 * 37 + i * 11) % 512 }, maxTokens: 4,
                                      ignoreEOS: true, logprobs: true)
            r.promptLogprobs = 2
            return r
        }
        let roomy = try Self.engine("models/tiny-a")
        let alone = try requests.map { try roomy.generate($0) }
        roomy.shutdown()
        // 10 pages of 4 tokens (512 bytes a token): two 20-token prompts fill them, so the first
        // decode preempts; 24 tokens a step chunks the prompts.
        let tight = try Self.engine("models/tiny-a", maxBatchedTokens: 24, kvCacheBytes: 10 * 4 * 512)
        defer { tight.shutdown() }
        let boxes = requests.map { _ in EventBox() }
        for (r, b) in zip(requests, boxes) { _ = try tight.submit(r) { b.append($0) } }
        for (i, b) in boxes.enumerated() {
            let events = b.waitUntilFinished()
            #expect(Self.scores(events) == Self.scores(alone[i]), "request \(i)")
            #expect(ids(events) == ids(alone[i]), "request \(i)")
        }
        let s = waitIdle(tight)
        #expect(s.preemptions > 0)
        #expect(s.freePages + s.cachedPages == s.totalPages)
    }

    /// Unit: rows arriving over chunks fill the entries in place; the event goes out once.
    @Test func recordFillsPositionsAcrossChunks() {
        var scores = PromptScores(promptCount: 4, top: 1)
        let vocab = 3
        func step(_ rows: [[Float]]) -> StepLogits { StepLogits(values: rows.flatMap { $0 }, vocabSize: vocab, rowRanges: [0..<rows.count]) }
        let tokens = [0, 2, 1, 0]
        #expect(scores.wantsRows(from: 0))
        scores.record(step([[0, 0, 1], [0, 2, 0]]), rows: 0..<2, start: 0, tokens: tokens)
        #expect(scores.takeEvent() == nil)
        // The last chunk's final row (position 3) predicts past the prompt: not a prompt score.
        scores.record(step([[1, 0, 0], [5, 5, 5]]), rows: 0..<2, start: 2, tokens: tokens)
        guard case .promptLogprobs(let e) = scores.takeEvent() else { Issue.record("no event"); return }
        #expect(e.map(\.id) == [2, 1, 0])
        let lse = Float(log(2 + exp(1.0)))
        #expect(abs(e[0].logprob - (1 - lse)) < 1e-6)
        #expect(e[1].topLogprobs.map(\.id) == [1])
        #expect(scores.takeEvent() == nil)
        #expect(!scores.wantsRows(from: 0))
    }
}
