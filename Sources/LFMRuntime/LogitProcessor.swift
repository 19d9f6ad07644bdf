/// Logit adjustments applied before sampling, each a small pure function.
public enum LogitProcessor {
    /// Hugging Face repetition penalty: for every id seen in prompt or output, positive
    /// logits are divided by `penalty` and negative ones multiplied.
    public static func applyRepetitionPenalty(_ logits: inout [Float], seen: Set<Int>, penalty: Float) {
        guard penalty != 1 else { return }
        for id in seen where id >= 0 && id < logits.count {
            logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty
        }
    }

    /// OpenAI presence / frequency penalties over output-token counts:
    /// `logit -= presence · [count > 0] + frequency · count`.
    public static func applyPresenceFrequency(_ logits: inout [Float], counts: [Int: Int], presence: Float, frequency: Float) {
        guard presence != 0 || frequency != 0 else { return }
        for (id, n) in counts where id >= 0 && id < logits.count && n > 0 {
            logits[id] -= presence + frequency * Float(n)
        }
    }

    /// Adds a bias to given ids (OpenAI `logit_bias`; −100 effectively bans a token).
    public static func applyBias(_ logits: inout [Float], bias: [Int: Float]) {
        for (id, b) in bias where id >= 0 && id < logits.count { logits[id] += b }
    }

    /// The `count` largest logits' ids, largest first (ties: lower id first), in one pass
    /// over the vocabulary with a small sorted buffer — O(V·count), not a full sort.
    public static func topIndices(_ logits: [Float], count: Int) -> [Int] {
        guard count > 0 else { return [] }
        var best: [Int] = []
        best.reserveCapacity(count + 1)
        for i in logits.indices {
            let v = logits[i]
            if best.count == count, let last = best.last, !(v > logits[last]) { continue }
            var j = best.count
            while j > 0, v > logits[best[j - 1]] { j -= 1 }
            best.insert(i, at: j)
            if best.count > count { best.removeLast() }
        }
        return best
    }

    /// The log-softmax normaliser of `logits`: their maximum `max` and
    /// `logSum = log Σ exp(x − max)`, so a token's natural-log probability under the
    /// model's unmodified distribution is `logits[id] − max − logSum`.
    public static func logProbabilities(_ logits: ArraySlice<Float>) -> (logSum: Float, max: Float) {
        let m = logits.max() ?? 0
        var s: Double = 0
        for x in logits { s += exp(Double(x - m)) }
        return (Float(log(s)), m)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
