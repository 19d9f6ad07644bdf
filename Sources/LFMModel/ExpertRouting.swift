import Foundation

/// The router's decision for one step's tokens, grouped by expert (docs/lfm2.md): for every
/// expert, the tokens that selected it (ascending) and each one's routing weight. Pure: no
/// threads, no weights; `LFM2Model` runs one product per expert over its tokens from it.
public struct ExpertRouting: Sendable, Equatable {
    /// `tokens[e]`: rows of the step routed to expert e, ascending.
    public var tokens: [[Int]]
    /// `weights[e][j]`: the weight of expert e's output for row `tokens[e][j]`.
    public var weights: [[Float]]

    /// Routes `count` rows of router logits (`logits[t * E + e]`), as transformers'
    /// `Lfm2MoeTopKRouter` does in float32:
    /// scores = sigmoid(logits); the top-k experts by scores + `bias` (by scores alone without
    /// a bias; ties to the lower index); weights = the unbiased scores of the selected experts,
    /// divided by (their sum + 1e-6) when `normalizeTopK`, times `routedScalingFactor`.
    public static func route(logits: UnsafePointer<Float>, count: Int, config m: MoEConfig, bias: [Float]?) -> ExpertRouting {
        let E = m.numExperts, K = m.expertsPerToken
        var r = ExpertRouting(tokens: Array(repeating: [], count: E), weights: Array(repeating: [], count: E))
        var scores = [Float](repeating: 0, count: E)
        var select = [Float](repeating: 0, count: E)
        var chosen = [Int](repeating: 0, count: K)
        var w = [Float](repeating: 0, count: K)
        for t in 0..<count {
            let row = logits + t * E
            for e in 0..<E {
                scores[e] = 1 / (1 + expf(-row[e]))
                select[e] = bias.map { scores[e] + $0[e] } ?? scores[e]
            }
            // Top-K by selection score: K is small (4 of 32 in LFM2-8B-A1B), so K passes.
            for k in 0..<K {
                var best = -1
                for e in 0..<E where !chosen[0..<k].contains(e) {
                    if best < 0 || select[e] > select[best] { best = e }
                }
                chosen[k] = best
                w[k] = scores[best]
            }
            if m.normalizeTopK {
                var sum: Float = 0
                for k in 0..<K { sum += w[k] }
                let denom = sum + 1e-6
                for k in 0..<K { w[k] /= denom }
            }
            for k in 0..<K {
                r.tokens[chosen[k]].append(t)
                r.weights[chosen[k]].append(w[k] * m.routedScalingFactor)
            }
        }
        return r
    }
}
