import Foundation
import LFMModel
import LFMTestSupport
import Testing
@testable import LFMRuntime

/// Waits until every request has ended and the engine thread is waiting for work (its
/// statistics then describe the idle state); records an issue if that takes a minute.
func waitIdle(_ engine: InferenceEngine, sourceLocation: SourceLocation = #_sourceLocation) -> EngineStats {
    let settled = engine.queue.waitUntilSettled(timeout: .seconds(60))
    #expect(settled, "the engine did not become idle", sourceLocation: sourceLocation)
    let s = engine.stats
    #expect(s.running == 0 && s.waiting == 0, "idle engine reports work: \(s)", sourceLocation: sourceLocation)
    return s
}

/// Records a request's events and signals its first token, so a test can act once the
/// engine is working on it (instead of sleeping).
final class FirstTokenSignal: Sendable {
    let box = EventBox()
    private let started = DispatchSemaphore(value: 0)

    /// The sink to submit with.
    var sink: @Sendable (GenerationEvent) -> Void {
        { [box, started] event in
            box.append(event)
            if case .token = event { started.signal() }
        }
    }

    /// Waits for the first token; records an issue if none comes within a minute.
    func waitForFirstToken(sourceLocation: SourceLocation = #_sourceLocation) {
        let ok = started.wait(timeout: .now() + 60) == .success
        #expect(ok, "no token within a minute", sourceLocation: sourceLocation)
    }
}

@Suite(.serialized) struct PrefixCacheTests {
    static let model = try! LoadedModel.load(path: Fixtures.url("models/tiny-chat").path)

    func prompt(_ n: Int, seed: Int) -> [Int] { (0..<n).map { ($0 * 7919 + seed * 104_729) % 60_000 + 100 } }

    func run(_ engine: InferenceEngine, _ tokens: [Int], max: Int = 8) throws -> (ids: [Int], cached: Int) {
        let ev = try engine.generate(GenerationRequest(id: "p", promptTokens: tokens, maxTokens: max, ignoreEOS: true))
        var cached = -1
        for case .finished(_, _, let u) in ev { cached = u.cachedTokens }
        return (ids(ev), cached)
    }

    @Test func sharedThousandTokenPrefixIsReusedExactly() throws {
        let cached = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 8 << 20))
        let plain = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 8 << 20, prefixCaching: false))
        defer { cached.shutdown(); plain.shutdown() }
        let shared = prompt(1000, seed: 1)
        let a = shared + prompt(20, seed: 2), b = shared + prompt(30, seed: 3)
        let first = try run(cached, a)
        #expect(first.cached == 0)
        let second = try run(cached, b)
        #expect(second.cached >= 992)
        #expect(second.ids == (try run(plain, b)).ids)
        #expect(first.ids == (try run(plain, a)).ids)
        let s = waitIdle(cached)
        #expect(s.freePages + s.cachedPages == s.totalPages)
        // Idle: every cached page is held by the cache alone (evictable, reported as free by vllm:kv_cache_usage_perc).
        #expect(s.cachedPages > 0 && s.cacheOnlyPages == s.cachedPages)
        #expect(s.prefixHitPages >= 62)
        // Queries count every full page each prompt could reuse, hit or not (a: none cached).
        #expect(s.prefixQueriedPages == (a.count - 1) / 16 + (b.count - 1) / 16)
    }

    @Test(arguments: [40, 48, 47, 49])
    func divergenceInsideOrAtAPageBoundary(sharedLength: Int) throws {
        let cached = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 4 << 20))
        let plain = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 4 << 20, prefixCaching: false))
        defer { cached.shutdown(); plain.shutdown() }
        let shared = prompt(sharedLength, seed: 4)
        _ = try run(cached, shared + prompt(25, seed: 5))
        let b = shared + prompt(9, seed: 6)
        let got = try run(cached, b)
        #expect(got.cached == (sharedLength / 16) * 16)
        #expect(got.ids == (try run(plain, b)).ids)
        // The exact same prompt again: every full page but the one holding the last token is reused.
        let again = try run(cached, b)
        #expect(again.cached == ((b.count - 1) / 16) * 16)
        #expect(again.ids == got.ids)
    }

    @Test func shortPromptsNeitherHitNorFail() throws {
        let engine = InferenceEngine(model: Self.model, configuration: .init(threads: 2))
        defer { engine.shutdown() }
        let p = prompt(5, seed: 7)
        let one = try run(engine, p), two = try run(engine, p)
        #expect(one.cached == 0 && two.cached == 0 && one.ids == two.ids)
    }

    @Test func evictionUnderMemoryPressureStaysExact() throws {
        // 24 pages in all: each 200-token request needs 13+, so cached pages must be evicted.
        let perPage = KVCachePool.bytesPerPage(config: Self.model.checkpoint.config, pageSize: 16)
        let engine = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 24 * perPage))
        let plain = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 8 << 20, prefixCaching: false))
        defer { engine.shutdown(); plain.shutdown() }
        let prompts = (0..<4).map { prompt(200, seed: 10 + $0) }
        for p in prompts + prompts.reversed() {
            #expect(try run(engine, p).ids == (try run(plain, p)).ids)
        }
        let s = waitIdle(engine)
        #expect(s.freePages + s.cachedPages == s.totalPages)
    }

    @Test func concurrentRequestsSharingAPrefix() throws {
        let engine = InferenceEngine(model: Self.model, configuration: .init(threads: 2, maxBatchedTokens: 64, kvCacheBytes: 8 << 20))
        let plain = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 8 << 20, prefixCaching: false))
        defer { engine.shutdown(); plain.shutdown() }
        let shared = prompt(100, seed: 20)
        let prompts = (0..<6).map { shared + prompt(3 + $0, seed: 30 + $0) }
        let expected = try prompts.map { try run(plain, $0).ids }
        let boxes = prompts.map { _ in EventBox() }
        for (p, b) in zip(prompts, boxes) {
            _ = try engine.submit(GenerationRequest(id: "c", promptTokens: p, maxTokens: 8, ignoreEOS: true)) { b.append($0) }
        }
        for (i, b) in boxes.enumerated() { #expect(ids(b.waitUntilFinished()) == expected[i]) }
        let s = waitIdle(engine)
        #expect(s.freePages + s.cachedPages == s.totalPages)
    }

    /// Requests arriving together with the same 96-token system prompt: the first computes its
    /// pages, the others wait a step and adopt them (SharedPrefixPolicy) instead of computing
    /// the same pages side by side in one step; outputs stay exact.
    @Test func simultaneousSharedPromptsComputeTheSharedPagesOnce() throws {
        let engine = InferenceEngine(model: Self.model, configuration: .init(threads: 2, maxBatchedTokens: 512, kvCacheBytes: 8 << 20))
        let plain = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 8 << 20, prefixCaching: false))
        defer { engine.shutdown(); plain.shutdown() }
        let shared = prompt(96, seed: 40)
        let prompts = (0..<5).map { shared + prompt(5 + $0, seed: 50 + $0) }
        let expected = try prompts.map { try run(plain, $0, max: 4).ids }
        // Keep the engine stepping so the five arrive in one inbox batch (all fit one step's budget).
        let busy = FirstTokenSignal()
        _ = try engine.submit(GenerationRequest(id: "busy", promptTokens: prompt(8, seed: 60), maxTokens: 64, ignoreEOS: true), sink: busy.sink)
        busy.waitForFirstToken()
        let boxes = prompts.map { _ in EventBox() }
        for (p, b) in zip(prompts, boxes) {
            _ = try engine.submit(GenerationRequest(id: "s", promptTokens: p, maxTokens: 4, ignoreEOS: true)) { b.append($0) }
        }
        var cached: [Int] = []
        for (i, b) in boxes.enumerated() {
            let ev = b.waitUntilFinished()
            #expect(ids(ev) == expected[i])
            for case .finished(_, _, let u) in ev { cached.append(u.cachedTokens) }
        }
        _ = busy.box.waitUntilFinished()
        #expect(cached.sorted() == [0, 96, 96, 96, 96], "cached tokens per request: \(cached)")
        let s = waitIdle(engine)
        #expect(s.freePages + s.cachedPages == s.totalPages)
    }

    /// Past the dense start a chain keeps a snapshot at every 16th page and at its end: a prompt
    /// sharing part of it resumes at the last kept page, the conversation's next turn at its
    /// end, both exactly.
    @Test func sparseSnapshotsPastTheDenseStart() throws {
        let cached = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 32 << 20))
        let plain = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 32 << 20, prefixCaching: false))
        defer { cached.shutdown(); plain.shutdown() }
        let shared = prompt(1300, seed: 7)        // 81 full pages
        let a = shared + prompt(20, seed: 8)      // 1320 tokens, 7 of the 8 generated ones in KV: 82 pages
        let first = try run(cached, a)
        // Pages 1...64, 80 and a's last (82).
        #expect(waitIdle(cached).cachedSnapshots == 64 + 1 + 1)
        let b = shared + prompt(30, seed: 9)
        let second = try run(cached, b)
        #expect(second.cached == 80 * 16)
        #expect(second.ids == (try run(plain, b)).ids)
        let c = a + first.ids + prompt(10, seed: 10)
        let third = try run(cached, c)
        #expect(third.cached == 82 * 16)
        #expect(third.ids == (try run(plain, c)).ids)
    }

    @Test func snapshotPolicy() {
        let p = ConvSnapshotPolicy(densePages: 4, stride: 3)
        #expect((1...12).filter { p.keeps(pageEnding: $0) } == [1, 2, 3, 4, 6, 9, 12])
        #expect(ConvSnapshotPolicy().keeps(pageEnding: 64) && !ConvSnapshotPolicy().keeps(pageEnding: 65))
    }

    @Test func hashChainDependsOnTheParent() {
        let c = PrefixCache(pageSize: 2)
        #expect(c.hash(parent: 0, tokens: [1, 2]) != c.hash(parent: 1, tokens: [1, 2]))
        #expect(c.hash(parent: 0, tokens: [1, 2]) == c.hash(parent: 0, tokens: [1, 2]))
    }
}

@Suite struct SharedPrefixPolicyTests {
    let P = 16

    @Test func waitsForAPageARunningPrefillIsComputing() {
        let system = Array(0..<40), a = system + [100, 101, 102], b = system + [200, 201]
        // a was admitted this step with nothing computed yet: b waits for page 0.
        #expect(SharedPrefixPolicy.shouldWait(tokens: b, cached: 0, pageSize: P, running: [(a, 0)]))
        // a has computed page 0 (cached for b: cached = 16), still computing page 1: b waits again.
        #expect(SharedPrefixPolicy.shouldWait(tokens: b, cached: 16, pageSize: P, running: [(a, 16)]))
        // Pages 0 and 1 done; page 2 (tokens 32..<48) differs between a and b: no wait.
        #expect(!SharedPrefixPolicy.shouldWait(tokens: b, cached: 32, pageSize: P, running: [(a, 32)]))
    }

    @Test func doesNotWaitWithoutASharedUncomputedPage() {
        let a = Array(0..<40)
        // Different first page.
        #expect(!SharedPrefixPolicy.shouldWait(tokens: [9] + Array(1..<40), cached: 0, pageSize: P, running: [(a, 0)]))
        // The running sequence already computed the page (it is in the cache or being decoded).
        #expect(!SharedPrefixPolicy.shouldWait(tokens: Array(0..<40), cached: 0, pageSize: P, running: [(a, 16)]))
        // The shared page would hold the prompt's last token, which the prompt computes itself.
        #expect(!SharedPrefixPolicy.shouldWait(tokens: Array(0..<16), cached: 0, pageSize: P, running: [(a, 0)]))
        // The running sequence is shorter than the page.
        #expect(!SharedPrefixPolicy.shouldWait(tokens: Array(0..<40), cached: 0, pageSize: P, running: [(Array(0..<10), 0)]))
        #expect(!SharedPrefixPolicy.shouldWait(tokens: Array(0..<40), cached: 0, pageSize: P, running: []))
    }
}
