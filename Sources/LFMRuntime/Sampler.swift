#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Picks the next token from processed logits: temperature → top-k → top-p → min-p →
/// a draw from the request's generator (the order of transformers 5 and the LFM2 model cards).
public enum Sampler {
    /// The k largest logits' indices, best first, via a bounded min-heap.
    static func topIndices(_ logits: [Float], _ k: Int) -> [Int] {
        var heap: [Int] = []   // min-heap by (logit, -index)
        heap.reserveCapacity(k)
        func worse(_ a: Int, _ b: Int) -> Bool { logits[a] < logits[b] || (logits[a] == logits[b] && a > b) }
        for i in logits.indices {
            if heap.count < k {
                heap.append(i)
                var c = heap.count - 1
                while c > 0 { let p = (c - 1) / 2; if worse(heap[c], heap[p]) { heap.swapAt(c, p); c = p } else { break } }
            } else if worse(heap[0], i) {
                heap[0] = i
                var c = 0
                while true {
                    let l = 2 * c + 1, r = l + 1
                    var m = c
                    if l < k && worse(heap[l], heap[m]) { m = l }
                    if r < k && worse(heap[r], heap[m]) { m = r }
                    if m == c { break }
                    heap.swapAt(c, m)
                    c = m
                }
            }
        }
        return heap.sorted { worse($1, $0) }
    }

    /// Plain temperature sampling over the whole vocabulary in one pass (no sort).
    static func drawUnsorted(_ logits: [Float], temperature t: Float, rng: inout RandomGenerator) -> Int {
        let m = logits.max() ?? 0
        var total: Double = 0
        for x in logits { total += Double(exp((x - m) / t)) }
        var r = Double(rng.nextUnit()) * total
        for (i, x) in logits.enumerated() {
            r -= Double(exp((x - m) / t))
            if r < 0 { return i }
        }
        return argmax(logits)
    }

    /// Index of the largest logit (lowest id on ties).
    public static func argmax(_ logits: [Float]) -> Int {
        var best = 0
        var bv = -Float.infinity
        for (i, x) in logits.enumerated() where x > bv { bv = x; best = i }
        return best
    }

    /// Samples an id. Greedy parameters return the argmax without touching the generator.
    public static func sample(_ logits: [Float], _ p: SamplingParameters, rng: inout RandomGenerator) -> Int {
        if p.isGreedy { return argmax(logits) }
        let t = p.temperature
        // Candidates sorted by logit, descending. Top-k bounds the work to O(V log k); without
        // top-k, min-p first drops everything below min_p·p_max (O(V)); only top-p alone
        // needs a full sort.
        let better: (Int, Int) -> Bool = { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        var ids: [Int]
        if p.topK > 0 && p.topK < logits.count {
            ids = topIndices(logits, p.topK)
        } else if p.minP > 0 {
            let mx = logits.max() ?? 0
            let cut = mx + t * Float(log(Double(p.minP)))   // p_i ≥ min_p·p_max ⇔ l_i ≥ l_max + T·ln(min_p)
            ids = logits.indices.filter { logits[$0] >= cut }.sorted(by: better)
        } else if p.topP < 1 {
            ids = Array(logits.indices).sorted(by: better)
        } else {
            return drawUnsorted(logits, temperature: t, rng: &rng)
        }
        let m = logits[ids[0]]
        var probs = ids.map { Double(exp((logits[$0] - m) / t)) }
        var total = probs.reduce(0, +)
        if p.topP < 1 {
            var acc: Double = 0
            var keep = probs.count
            for (i, q) in probs.enumerated() {
                acc += q / total
                if acc >= Double(p.topP) { keep = i + 1; break }
            }
            probs.removeSubrange(keep...)
            ids.removeSubrange(keep...)
            total = probs.reduce(0, +)
        }
        if p.minP > 0 {
            let threshold = Double(p.minP) * probs[0]
            let keep = max(1, probs.prefix { $0 >= threshold }.count)
            probs.removeSubrange(keep...)
            ids.removeSubrange(keep...)
            total = probs.reduce(0, +)
        }
        var r = Double(rng.nextUnit()) * total
        for (i, q) in probs.enumerated() {
            r -= q
            if r < 0 { return ids[i] }
        }
        return ids[probs.count - 1]
    }
}
