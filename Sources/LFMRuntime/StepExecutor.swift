import LFMModel

/// Runs a step plan on the model: one batched forward pass over the planned tokens of every
/// sequence, then the pages the step completed go to the prefix cache. Returns the logits
/// rows of the sequences whose last planned token is their newest (they sample next).
/// Prompt-scoring sequences (`PromptScores`) get every row of their prompt chunks, scored here.
struct StepExecutor {
    let model: LFM2Model
    let kv: KVCacheManager

    /// The forward pass of `entries`; `rows[e]` is entry e's next-token logits, or nil for a
    /// prompt chunk that does not reach the end of its prompt.
    func run(_ entries: [(sequence: ActiveSequence, tokens: Int)]) throws -> [ArraySlice<Float>?] {
        let reachesEnd = entries.map { s, n in s.state.length + n == s.tokens.count }
        let batch = entries.enumerated().map { e, entry in
            let (s, n) = entry
            let mode: LogitsRequest = s.promptScores?.wantsRows(from: s.state.length) == true ? .all : reachesEnd[e] ? .last : .none
            return BatchEntry(sequence: s.state, tokens: Array(s.tokens[s.state.length..<(s.state.length + n)]), logits: mode)
        }
        let before = entries.map { $0.sequence.state.length }
        let logits = try model.forward(batch, kv: kv.pool)
        for (e, entry) in entries.enumerated() {
            kv.commitFullPages(entry.sequence, from: before[e])
            if batch[e].logits == .all {
                entry.sequence.promptScores?.record(logits, rows: logits.rowRanges[e], start: before[e], tokens: entry.sequence.tokens)
            }
        }
        return entries.indices.map { reachesEnd[$0] ? logits.last(of: $0) : nil }
    }
}
