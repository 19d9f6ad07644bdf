import Foundation
import LFMTestSupport
import Testing
@testable import LFMRuntime

struct LoopGuardTests {
    func looping(_ tokens: [Int], _ window: Int, _ repeats: Int) -> Bool {
        LoopGuard.isLooping(tokens[...], LoopGuardSettings(window: window, repeats: repeats))
    }

    @Test func detectsABlockRepeatedEnoughTimes() {
        #expect(looping([9, 1, 2, 1, 2, 1, 2], 4, 3))
        #expect(!looping([9, 1, 2, 1, 2], 4, 3))          // only two copies
        #expect(looping([5, 5, 5, 5], 1, 4))
        #expect(!looping([5, 5, 5, 6], 4, 2))
        // A block longer than the window is not looked for.
        #expect(!looping([1, 2, 3, 1, 2, 3], 2, 2))
        #expect(looping([1, 2, 3, 1, 2, 3], 3, 2))
        #expect(LoopGuard.period([1, 2, 1, 2, 1, 2, 1, 2][...], LoopGuardSettings(window: 8, repeats: 2)) == 2)
    }

    @Test func slicesWithOffsetsWork() {
        let all = [7, 7, 7, 1, 2, 1, 2]
        #expect(LoopGuard.isLooping(all[3...], LoopGuardSettings(window: 2, repeats: 2)))
        #expect(!LoopGuard.isLooping(all[3...], LoopGuardSettings(window: 2, repeats: 3)))
    }

    @Test func randomTextRarelyTriggersWithSensibleSettings() {
        var rng = RandomGenerator(seed: 42)
        var hits = 0
        for _ in 0..<200 {
            let t = (0..<200).map { _ in Int.random(in: 0..<1000, using: &rng) }
            if looping(t, 32, 4) { hits += 1 }
        }
        #expect(hits == 0)
    }

    @Test func parseSettings() {
        #expect(LoopGuardSettings.parse("32:4") == .success(LoopGuardSettings(window: 32, repeats: 4)))
        #expect(LoopGuardSettings.parse("off") == .success(nil))
        #expect(LoopGuardSettings.parse("32:1") == .failure(LoopGuardSyntaxError()))
        #expect(LoopGuardSettings.parse("x") == .failure(LoopGuardSyntaxError()))
    }
}

extension ScriptedModelTests {
    /// The endless chain of the scripted fixture (" forever") ends with `.loop` as soon as the
    /// guard sees enough copies; the tokens up to there are the greedy chain's.
    @Test func loopGuardEndsTheEndlessChain() throws {
        let engine = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 4 << 20))
        defer { engine.shutdown() }
        let loop = try Self.cases().first { $0["mode"]!.stringValue! == "loop" }!
        var r = GenerationRequest(id: "loop", promptTokens: Self.ints(loop["prompt_ids"]), maxTokens: 64)
        r.loopGuard = LoopGuardSettings(window: 8, repeats: 3)
        let ev = try engine.generate(r)
        let got = ids(ev)
        #expect(finish(ev) == .loop)
        // "Again" then " and"/" again" alternating: 3 copies of the 2-token block after 7 tokens.
        #expect(got.count == 7)
        #expect(got == Array(Self.ints(loop["greedy_ids"]).prefix(7)))
        // Without the guard (the default) the same prompt runs to the limit (loopChainRunsToTheLimit).
    }
}
