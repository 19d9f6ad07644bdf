import Foundation
import LFMModel
import LFMTestSupport
import Testing
@testable import LFMRuntime

/// The engine on an LFM2 mixture-of-experts model (moe-chat: the real tokenizer, a 64,400-row
/// vocabulary, top-2 of 4 experts; scripts/make_moe_fixtures.py): batching, chunked prefill,
/// preemption and the prefix cache must give exactly the tokens of a request run alone.
@Suite(.serialized) struct MoEEngineTests {
    static let model = try! LoadedModel.load(path: Fixtures.url("models/moe-chat").path)

    @Test func loadsWithItsTokenizerAndVocabulary() throws {
        let c = Self.model.checkpoint.config
        #expect(c.vocabSize == 64400 && c.moe?.numExperts == 4 && c.moe?.expertsPerToken == 2)
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("models/goldens/moe-chat.json"))) as! [String: Any]
        let prompts = golden["prompts"] as! [[Int]]
        #expect(Self.model.tokenizer.encode("The capital of France is") == prompts[2])
    }

    static let requests = (0..<16).map { i in
        GenerationRequest(id: "r\(i)", promptTokens: (0..<(1 + (i * 7) % 23)).map { ($0 * 31 + i * 17) % 64_000 },
                          sampling: i % 2 == 0 ? .greedy : SamplingParameters(temperature: 0.9, topK: 40, topP: 0.95, seed: UInt64(i)),
                          maxTokens: 6 + i % 5, ignoreEOS: true)
    }
    /// Each request run alone (computed once for every configuration below).
    static let alone: [[Int]] = {
        let reference = InferenceEngine(model: model, configuration: .init(threads: 2, maxBatchedTokens: 512, kvCacheBytes: 1 << 22))
        defer { reference.shutdown() }
        return requests.map { try! ids(reference.generate($0)) }
    }()

    /// 16 concurrent requests (greedy and seeded sampling) = each alone, also with a KV budget
    /// that forces preemption and a token budget that chunks prompts.
    @Test(arguments: [(1 << 20, 512), (4 * 1024, 512), (4 * 1024, 5)])
    func sixteenConcurrentRequestsEqualSequential(kvBytes: Int, batchTokens: Int) throws {
        let requests = Self.requests, alone = Self.alone
        let engine = InferenceEngine(model: Self.model, configuration: .init(threads: 2, maxBatchedTokens: batchTokens, kvCacheBytes: kvBytes))
        defer { engine.shutdown() }
        let boxes = requests.map { _ in EventBox() }
        for (r, b) in zip(requests, boxes) { _ = try engine.submit(r) { b.append($0) } }
        for (i, b) in boxes.enumerated() {
            #expect(ids(b.waitUntilFinished()) == alone[i], "request \(i) kv \(kvBytes) batch \(batchTokens)")
        }
        let s = waitIdle(engine)
        #expect(s.freePages + s.cachedPages == s.totalPages)
        if kvBytes < 1 << 20 { #expect(s.preemptions > 0, "the small KV budget must force preemption") }
    }

    @Test func prefixCacheReuseIsExact() throws {
        let cached = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 8 << 20))
        let plain = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 8 << 20, prefixCaching: false))
        defer { cached.shutdown(); plain.shutdown() }
        func prompt(_ n: Int, seed: Int) -> [Int] { (0..<n).map { ($0 * 7919 + seed * 104_729) % 64_000 + 100 } }
        func run(_ e: InferenceEngine, _ p: [Int]) throws -> (ids: [Int], cached: Int) {
            let ev = try e.generate(GenerationRequest(id: "p", promptTokens: p, maxTokens: 8, ignoreEOS: true))
            var c = -1
            for case .finished(_, _, let u) in ev { c = u.cachedTokens }
            return (ids(ev), c)
        }
        let shared = prompt(300, seed: 1)
        let a = shared + prompt(20, seed: 2), b = shared + prompt(30, seed: 3)
        let first = try run(cached, a)
        #expect(first.cached == 0)
        let second = try run(cached, b)
        #expect(second.cached >= 288)
        #expect(second.ids == (try run(plain, b)).ids)
        #expect(first.ids == (try run(plain, a)).ids)
        let s = waitIdle(cached)
        #expect(s.freePages + s.cachedPages == s.totalPages)
    }
}
