import Foundation
import LFMTestSupport
@testable import LFMModel

/// Reference outputs recorded by scripts/make_fixtures.py with transformers.
struct ReferenceGoldens {
    let prompts: [[Int]]
    let greedy: [[Int]]
    let vocab: Int
    /// Per prompt: [position][vocab] logits (only the last position for full-vocabulary models).
    let logits: [[[Float]]]

    init(_ name: String) throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("models/goldens/\(name).json"))) as! [String: Any]
        prompts = json["prompts"] as! [[Int]]
        greedy = json["greedy"] as! [[Int]]
        let v = json["vocab"] as! Int
        vocab = v
        let lastOnly = json["logits_positions"] as? String == "last only"
        let data = try Data(contentsOf: Fixtures.url("models/goldens/\(json["logits_file"] as! String)"))
        let floats = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var off = 0
        var out: [[[Float]]] = []
        for p in prompts {
            let rows = lastOnly ? 1 : p.count
            out.append((0..<rows).map { r in Array(floats[(off + r * v)..<(off + (r + 1) * v)]) })
            off += rows * v
        }
        logits = out
    }
}

/// Runs prompts through a model in different chunkings and compares to references.
struct ModelRunner {
    let model: LFM2Model
    let kv: KVCachePool

    init(_ path: String, threads: Int = 2) throws {
        let ckpt = try Checkpoint.load(path: Fixtures.url("models/\(path)").path)
        model = LFM2Model(checkpoint: ckpt, threads: threads)
        kv = KVCachePool(config: ckpt.config, pageSize: 16, pageCount: 64)
    }

    /// Feeds `tokens` in chunks of the given sizes, returning the logits of every position.
    func logits(_ tokens: [Int], chunks: [Int]) throws -> [[Float]] {
        let seq = SequenceState(config: model.config)
        defer { seq.release(to: kv) }
        var out: [[Float]] = []
        var i = 0
        var c = 0
        while i < tokens.count {
            let n = min(chunks[c % chunks.count], tokens.count - i)
            c += 1
            try seq.reserve(n, in: kv)
            let step = try model.forward([BatchEntry(sequence: seq, tokens: Array(tokens[i..<(i + n)]), logits: .all)], kv: kv)
            for r in step.rowRanges[0] { out.append(Array(step.row(r))) }
            i += n
        }
        return out
    }

    /// Greedy continuation by incremental decoding.
    func greedy(_ prompt: [Int], count: Int) throws -> [Int] {
        let seq = SequenceState(config: model.config)
        defer { seq.release(to: kv) }
        try seq.reserve(prompt.count, in: kv)
        var step = try model.forward([BatchEntry(sequence: seq, tokens: prompt, logits: .last)], kv: kv)
        var out: [Int] = []
        for _ in 0..<count {
            let last = step.last(of: 0)!
            let next = last.indices.max { last[$0] < last[$1] }! - last.startIndex
            out.append(next)
            try seq.reserve(1, in: kv)
            step = try model.forward([BatchEntry(sequence: seq, tokens: [next], logits: .last)], kv: kv)
        }
        return out
    }
}

/// max |a − b| / max |b| over all rows.
func relativeError(_ a: [[Float]], _ b: [[Float]]) -> Float {
    var maxDiff: Float = 0, maxRef: Float = 0
    for (ra, rb) in zip(a, b) {
        for (x, y) in zip(ra, rb) {
            maxDiff = max(maxDiff, abs(x - y))
            maxRef = max(maxRef, abs(y))
        }
    }
    return maxDiff / max(maxRef, 1e-30)
}
