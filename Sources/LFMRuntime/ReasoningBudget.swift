/// A reasoning budget over one sequence's output (LFM2.5-Thinking's `<think>…</think>`): a pure
/// state machine fed each generated token's bytes, which says when the think block has reached
/// its token budget and must be closed (the engine then appends the closing tokens itself, and
/// the model goes on with its answer). Tags are matched as text, since a tokenizer may spell
/// them in pieces; whitespace before `<think>` is allowed, as the reasoning parser allows it.
struct ReasoningBudget: Sendable, Equatable {
    enum Phase: Sendable, Equatable {
        /// Before the first non-blank output: `matched` bytes of `<think>` seen.
        case opening(matched: Int)
        /// Inside the block: `matched` bytes of `</think>` ending the text so far.
        case inside(matched: Int)
        /// The block is closed, or the output did not open one.
        case done
    }

    /// Tokens the block may hold (0: closed as soon as it opens).
    let limit: Int
    private(set) var phase: Phase
    /// Tokens generated inside the block so far.
    private(set) var used = 0

    /// A budget of `limit` tokens; `startsInside` when the prompt already opened the block.
    init(limit: Int, startsInside: Bool) {
        self.limit = max(0, limit)
        phase = startsInside ? .inside(matched: 0) : .opening(matched: 0)
    }

    /// Whether the block must be closed before any output (the prompt opened it and the budget is 0).
    var closesAtOnce: Bool { phase == .inside(matched: 0) && limit == 0 }

    /// Whether the output is inside the think block now.
    var isInside: Bool { if case .inside = phase { return true } else { return false } }

    /// The engine closed the block itself (a loop inside it): nothing more is counted.
    mutating func closed() { phase = .done }

    /// Feeds one generated token's bytes. Returns true when the block must be closed now.
    mutating func feed(_ bytes: [UInt8]) -> Bool {
        switch phase {
        case .done:
            return false
        case .inside(let m):
            if ConstraintState.closeEnd(after: m, bytes) != nil { phase = .done; return false }
            used += 1
            phase = .inside(matched: ConstraintState.closePrefix(after: m, bytes))
            if used >= limit { phase = .done; return true }
            return false
        case .opening(var m):
            for (i, b) in bytes.enumerated() {
                if m == 0 && ConstraintState.isSpace(b) { continue }
                guard ConstraintState.openTag[m] == b else { phase = .done; return false }
                m += 1
                if m == ConstraintState.openTag.count {
                    phase = .inside(matched: ConstraintState.closePrefix(after: 0, Array(bytes[(i + 1)...])))
                    if limit == 0 { phase = .done; return true }
                    return false
                }
            }
            phase = .opening(matched: m)
            return false
        }
    }
}
