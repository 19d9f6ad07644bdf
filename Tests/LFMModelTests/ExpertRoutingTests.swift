import Foundation
import Testing
@testable import LFMModel

@Suite struct ExpertRoutingTests {
    static func logit(_ p: Float) -> Float { log(p / (1 - p)) }   // sigmoid⁻¹

    /// Selection by score + bias, weights from the unbiased scores, normalised with +1e-6 and
    /// scaled: the router of transformers' Lfm2MoeTopKRouter, worked by hand.
    @Test func biasSelectsButUnbiasedScoresWeigh() {
        let scores: [Float] = [0.9, 0.5, 0.6, 0.2]
        let bias: [Float] = [0, 0.3, 0, 0.0]   // expert 1: 0.8 beats expert 2's 0.6
        let logits = scores.map(Self.logit)
        let cfg = MoEConfig(numExperts: 4, expertsPerToken: 2, expertFFNSize: 8, numDenseLayers: 0, normalizeTopK: true, routedScalingFactor: 2)
        let r = logits.withUnsafeBufferPointer { ExpertRouting.route(logits: $0.baseAddress!, count: 1, config: cfg, bias: bias) }
        #expect(r.tokens == [[0], [0], [], []])
        let sum: Float = 0.9 + 0.5
        #expect(abs(r.weights[0][0] - 2 * 0.9 / (sum + 1e-6)) < 1e-6)
        #expect(abs(r.weights[1][0] - 2 * 0.5 / (sum + 1e-6)) < 1e-6)
        let unbiased = logits.withUnsafeBufferPointer { ExpertRouting.route(logits: $0.baseAddress!, count: 1, config: cfg, bias: nil) }
        #expect(unbiased.tokens == [[0], [], [0], []])
    }

    @Test func withoutNormalisationWeightsAreScaledScores() {
        let scores: [Float] = [0.1, 0.7, 0.3, 0.8, 0.2, 0.6]
        let cfg = MoEConfig(numExperts: 6, expertsPerToken: 3, expertFFNSize: 8, numDenseLayers: 0, normalizeTopK: false, routedScalingFactor: 2.5)
        // Two tokens: the second one's scores reversed.
        let logits = (scores + scores.reversed()).map(Self.logit)
        let r = logits.withUnsafeBufferPointer { ExpertRouting.route(logits: $0.baseAddress!, count: 2, config: cfg, bias: nil) }
        // Token 0 takes experts 3, 1, 5; token 1 (scores 0.6 0.2 0.8 0.3 0.7 0.1) takes 2, 4, 0.
        #expect(r.tokens == [[1], [0], [1], [0], [1], [0]])
        #expect(abs(r.weights[3][0] - 2.5 * 0.8) < 1e-5 && abs(r.weights[5][0] - 2.5 * 0.6) < 1e-5)
        #expect(abs(r.weights[4][0] - 2.5 * 0.7) < 1e-5 && abs(r.weights[0][0] - 2.5 * 0.6) < 1e-5)
    }
}
