import Testing
@testable import LFMRuntime

@Suite struct SamplingTests {
    /// The one-pass top-k of log-probabilities equals a full sort's first k.
    @Test func topIndicesEqualAFullSort() {
        var rng = RandomGenerator(seed: 7)
        for count in [1, 5, 20] {
            let logits = (0..<5000).map { _ in rng.nextUnit() * 20 - 10 }
            let full = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            #expect(LogitProcessor.topIndices(logits, count: count) == Array(full.prefix(count)))
        }
        #expect(LogitProcessor.topIndices([1, 3, 2], count: 10) == [1, 2, 0])
    }

    @Test func greedyIsArgmaxLowestIdOnTies() {
        var rng = RandomGenerator(seed: 1)
        #expect(Sampler.sample([0, 3, 3, 1], .greedy, rng: &rng) == 1)
    }

    @Test func topKOneIsGreedy() {
        var rng = RandomGenerator(seed: 1)
        for _ in 0..<50 { #expect(Sampler.sample([0, 1, 5, 2], SamplingParameters(temperature: 1, topK: 1), rng: &rng) == 2) }
    }

    @Test func topKRestrictsCandidates() {
        var rng = RandomGenerator(seed: 3)
        for _ in 0..<500 {
            let id = Sampler.sample([5, 4.9, 0, 4.8, -1], SamplingParameters(temperature: 5, topK: 2), rng: &rng)
            #expect(id == 0 || id == 1)
        }
    }

    @Test func topPKeepsTheNucleus() {
        // probs ≈ [0.5, 0.3, 0.2]: top_p 0.6 keeps the first two.
        var rng = RandomGenerator(seed: 4)
        let logits: [Float] = [log(0.5), log(0.3), log(0.2)].map { Float($0) }
        var seen = Set<Int>()
        for _ in 0..<500 { seen.insert(Sampler.sample(logits, SamplingParameters(temperature: 1, topP: 0.6), rng: &rng)) }
        #expect(seen == [0, 1])
    }

    @Test func minPDropsUnlikelyTokens() {
        var rng = RandomGenerator(seed: 5)
        let logits: [Float] = [log(0.6), log(0.35), log(0.05)].map { Float($0) }
        for _ in 0..<500 { #expect(Sampler.sample(logits, SamplingParameters(temperature: 1, minP: 0.1), rng: &rng) != 2) }
    }

    @Test func samplingFollowsTheDistribution() {
        var rng = RandomGenerator(seed: 6)
        let logits: [Float] = [0, Float(log(3.0))]   // 25% / 75%
        var ones = 0
        for _ in 0..<20_000 { ones += Sampler.sample(logits, SamplingParameters(temperature: 1), rng: &rng) }
        #expect(abs(Double(ones) / 20_000 - 0.75) < 0.02)
    }

    @Test func repetitionPenaltyAsTransformers() {
        var l: [Float] = [2, -2, 1]
        LogitProcessor.applyRepetitionPenalty(&l, seen: [0, 1], penalty: 2)
        #expect(l == [1, -4, 1])
    }

    @Test func presenceAndFrequencyPenalties() {
        var l: [Float] = [1, 1, 1]
        LogitProcessor.applyPresenceFrequency(&l, counts: [0: 2, 2: 1], presence: 0.5, frequency: 0.25)
        #expect(l == [0, 1, 0.25])
    }

    @Test func logitBiasCanBan() {
        var l: [Float] = [5, 1]
        LogitProcessor.applyBias(&l, bias: [0: -100])
        var rng = RandomGenerator(seed: 1)
        #expect(Sampler.sample(l, .greedy, rng: &rng) == 1)
    }

    @Test func stopMatcherHoldsBackPrefixes() {
        var m = StopStringMatcher(["END"])
        #expect(m.feed("abcE") == .text("abc"))
        #expect(m.feed("N") == .text(""))
        #expect(m.feed("D tail") == .stop(""))
        var m2 = StopStringMatcher(["END"])
        #expect(m2.feed("xE") == .text("x"))
        #expect(m2.feed("Q") == .text("EQ"))
        #expect(m2.flush() == "")
    }
}

import Foundation
