import Foundation
import LFMModel
import LFMTestSupport
import Testing
@testable import LFMRuntime

/// Generated ids of a finished request.
func ids(_ events: [GenerationEvent]) -> [Int] {
    events.compactMap { if case .token(let t) = $0 { return t.id } else { return nil } }
}

func finish(_ events: [GenerationEvent]) -> FinishReason? {
    for e in events { if case .finished(let r, _, _) = e { return r } }
    return nil
}

func text(_ events: [GenerationEvent]) -> String {
    events.map {
        switch $0 {
        case .token(let t): return t.text
        case .finished(_, let trailing, _): return trailing
        case .failed, .promptLogprobs: return ""
        }
    }.joined()
}

@Suite(.serialized) struct InferenceEngineTests {
    @Test func greedyMatchesTransformers() throws {
        let engine = InferenceEngine(model: try LoadedModel.load(path: Fixtures.url("models/tiny-chat").path),
                                     configuration: .init(threads: 2, kvCacheBytes: 4 << 20))
        defer { engine.shutdown() }
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("models/goldens/tiny-chat.json"))) as! [String: Any]
        let prompts = golden["prompts"] as! [[Int]]
        let greedy = golden["greedy"] as! [[Int]]
        for (p, g) in zip(prompts, greedy) {
            let ev = try engine.generate(GenerationRequest(id: "t", promptTokens: p, maxTokens: g.count, ignoreEOS: true))
            #expect(ids(ev) == g)
            #expect(finish(ev) == .length)
        }
        let s = waitIdle(engine)
        #expect(s.freePages + s.cachedPages == s.totalPages)
    }

    /// Concurrent requests of different lengths give exactly the tokens they give alone,
    /// also when a tiny KV budget forces preemption and a small token budget chunks prompts.
    @Test(arguments: [(1 << 20, 512), (24 * 1024, 512), (1 << 20, 7), (24 * 1024, 5)])
    func batchInvariance(kvBytes: Int, batchTokens: Int) throws {
        let model = try LoadedModel.load(path: Fixtures.url("models/tiny-chat").path)
        let reference = InferenceEngine(model: model, configuration: .init(threads: 2, maxBatchedTokens: 512, kvCacheBytes: 1 << 22))
        let requests = (0..<12).map { i in
            GenerationRequest(id: "r\(i)", promptTokens: (0..<(1 + (i * 7) % 23)).map { ($0 * 31 + i * 17) % 60000 },
                              sampling: i % 2 == 0 ? .greedy : SamplingParameters(temperature: 0.9, topK: 40, topP: 0.95, seed: UInt64(i)),
                              maxTokens: 6 + i % 5, ignoreEOS: true)
        }
        let alone = try requests.map { try ids(reference.generate($0)) }
        reference.shutdown()
        let engine = InferenceEngine(model: model, configuration: .init(threads: 2, maxBatchedTokens: batchTokens, kvCacheBytes: kvBytes))
        defer { engine.shutdown() }
        let boxes = requests.map { _ in EventBox() }
        for (r, b) in zip(requests, boxes) { _ = try engine.submit(r) { b.append($0) } }
        for (i, b) in boxes.enumerated() {
            let ev = b.waitUntilFinished()
            #expect(ids(ev) == alone[i], "request \(i) kv \(kvBytes) batch \(batchTokens)")
        }
        let s = waitIdle(engine)
        #expect(s.freePages + s.cachedPages == s.totalPages)
    }

    @Test func seededSamplingIsReproducibleAndSeedsDiffer() throws {
        let engine = InferenceEngine(model: try LoadedModel.load(path: Fixtures.url("models/tiny-chat").path), configuration: .init(threads: 2))
        defer { engine.shutdown() }
        func run(_ seed: UInt64) throws -> [Int] {
            try ids(engine.generate(GenerationRequest(id: "s", promptTokens: [1, 2, 3], sampling: .init(temperature: 1.0, seed: seed),
                                                      maxTokens: 24, ignoreEOS: true)))
        }
        #expect(try run(7) == run(7))
        #expect(try run(7) != run(8))
    }

    @Test func cancellationEndsTheRequestAndFreesPages() throws {
        let engine = InferenceEngine(model: try LoadedModel.load(path: Fixtures.url("models/tiny-chat").path), configuration: .init(threads: 2))
        defer { engine.shutdown() }
        let running = FirstTokenSignal()
        let handle = try engine.submit(GenerationRequest(id: "c", promptTokens: [1, 2, 3], maxTokens: 100_000, ignoreEOS: true),
                                       sink: running.sink)
        running.waitForFirstToken()
        handle.cancel()
        let ev = running.box.waitUntilFinished()
        #expect(finish(ev) == .cancelled)
        let s = waitIdle(engine)
        #expect(s.freePages + s.cachedPages == s.totalPages)
    }

    @Test func stopStringsAreNotReturnedAndNotSplit() throws {
        let engine = InferenceEngine(model: try LoadedModel.load(path: Fixtures.url("models/tiny-chat").path), configuration: .init(threads: 2))
        defer { engine.shutdown() }
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("models/goldens/tiny-chat.json"))) as! [String: Any]
        let prompt = (golden["prompts"] as! [[Int]])[0]
        let full = text(try engine.generate(GenerationRequest(id: "a", promptTokens: prompt, maxTokens: 32, ignoreEOS: true)))
        #expect(full.count > 6)
        // Pick a stop string from the middle of the greedy text.
        let mid = full.index(full.startIndex, offsetBy: full.count / 2)
        let stop = String(full[mid...].prefix(3))
        let ev = try engine.generate(GenerationRequest(id: "b", promptTokens: prompt, maxTokens: 32, stopStrings: [stop], ignoreEOS: true))
        #expect(finish(ev) == .stop)
        let got = text(ev)
        #expect(!got.contains(stop))
        #expect(full.hasPrefix(got))
        #expect(full[full.index(full.startIndex, offsetBy: got.count)...].hasPrefix(stop))
    }

    @Test func logprobsAreNormalised() throws {
        let engine = InferenceEngine(model: try LoadedModel.load(path: Fixtures.url("models/tiny-chat").path), configuration: .init(threads: 2))
        defer { engine.shutdown() }
        let ev = try engine.generate(GenerationRequest(id: "l", promptTokens: [1, 5, 9], maxTokens: 4, ignoreEOS: true, topLogprobs: 5))
        for case .token(let t) in ev {
            #expect(t.topLogprobs.count == 5)
            #expect(t.topLogprobs[0].id == t.id)   // greedy picks the most likely token
            #expect(abs(t.topLogprobs[0].logprob - t.logprob) < 1e-6 && t.logprob <= 0)
            #expect(zip(t.topLogprobs, t.topLogprobs.dropFirst()).allSatisfy { $0.logprob >= $1.logprob })
        }
    }

    @Test func submitRejectsWhatCannotRun() throws {
        let engine = InferenceEngine(model: try LoadedModel.load(path: Fixtures.url("models/tiny-chat").path),
                                     configuration: .init(threads: 1, maxWaiting: 0, contextLength: 8))
        defer { engine.shutdown() }
        #expect(throws: SubmitError.emptyPrompt) { try engine.submit(GenerationRequest(id: "e", promptTokens: [])) { _ in } }
        #expect(throws: SubmitError.promptTooLong(promptTokens: 9, contextLength: 8)) {
            try engine.submit(GenerationRequest(id: "e", promptTokens: Array(repeating: 1, count: 9))) { _ in }
        }
        #expect(throws: SubmitError.queueFull(0)) { try engine.submit(GenerationRequest(id: "e", promptTokens: [1])) { _ in } }
    }

    @Test func contextLimitEndsWithLength() throws {
        let engine = InferenceEngine(model: try LoadedModel.load(path: Fixtures.url("models/tiny-chat").path),
                                     configuration: .init(threads: 2, contextLength: 10))
        defer { engine.shutdown() }
        let ev = try engine.generate(GenerationRequest(id: "x", promptTokens: [1, 2, 3, 4], maxTokens: 100, ignoreEOS: true))
        #expect(ids(ev).count == 6 && finish(ev) == .length)
    }
}
