import LFMModel

/// The log-probabilities of a prompt's tokens (`echo` + `logprobs`, the log-likelihood
/// requests of evaluation harnesses), filled from the logits rows of the prefill itself: a
/// scoring sequence's chunks ask the forward pass for every position's row (`.all`), and row
/// p (the distribution after tokens 0...p) scores prompt token p + 1. Chunked prefill fills
/// it over several steps; a sequence preempted during its prefill recomputes and overwrites.
///
/// Values come from the same arithmetic as generated tokens' logprobs (`OutputStage`), so a
/// token that is its position's argmax has exactly the top alternative's value.
struct PromptScores {
    /// Alternatives per position.
    let top: Int
    /// Entry p scores prompt token p + 1 (nil until its row has been computed).
    private(set) var entries: [PromptTokenLogprob?]
    /// Whether the event went out (later chunks of a recomputation do not score again).
    private(set) var delivered = false

    init(promptCount: Int, top: Int) {
        self.top = top
        entries = Array(repeating: nil, count: max(0, promptCount - 1))
    }

    /// Whether a chunk starting at position `start` still needs every row.
    func wantsRows(from start: Int) -> Bool { !delivered && start < entries.count }

    /// Scores the rows of a chunk that computed positions `start ..< start + rows.count`
    /// (`rows` index `logits`), reading the next tokens from `tokens` (prompt first).
    mutating func record(_ logits: StepLogits, rows: Range<Int>, start: Int, tokens: [Int]) {
        for (j, r) in rows.enumerated() {
            let p = start + j
            guard p < entries.count else { break }
            entries[p] = Self.score(Array(logits.row(r)), next: tokens[p + 1], top: top)
        }
    }

    /// The log-probability of `next` under `row` and the `top` most likely ids.
    static func score(_ row: [Float], next: Int, top: Int) -> PromptTokenLogprob {
        let (logSum, m) = LogitProcessor.logProbabilities(row[...])
        let alternatives = LogitProcessor.topIndices(row, count: top).map { TokenLogprob(id: $0, logprob: row[$0] - m - logSum) }
        return PromptTokenLogprob(id: next, logprob: row[next] - m - logSum, topLogprobs: alternatives)
    }

    /// The event to send once every position is scored (then nil: it is sent once).
    mutating func takeEvent() -> GenerationEvent? {
        guard !delivered, entries.allSatisfy({ $0 != nil }) else { return nil }
        delivered = true
        return .promptLogprobs(entries.map { $0! })
    }
}
