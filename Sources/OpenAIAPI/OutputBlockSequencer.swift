/// Cuts a choice's deltas into the ordered output blocks the agent APIs stream: Anthropic
/// content blocks and Responses output items. Consecutive reasoning text forms one reasoning
/// block, consecutive answer text one text block, and each tool call is a block of its own.
/// Pure; each formatter maps the steps to its events.
struct OutputBlockSequencer: Sendable, Equatable {
    /// The kind of a text-carrying block.
    enum Kind: Sendable, Equatable { case reasoning, text }

    /// One step of the block sequence.
    enum Step: Sendable, Equatable {
        /// A block of `kind` starts at `index`.
        case open(Kind, index: Int)
        /// Text for the open block at `index`.
        case append(Kind, index: Int, text: String)
        /// The block at `index` ends; `text` is all of its text.
        case close(Kind, index: Int, text: String)
        /// A complete tool call is the block at `index` (opened and closed at once).
        case toolCall(ToolCall, index: Int)
    }

    private var open: (kind: Kind, index: Int, text: String)?
    /// The index the next block gets (= blocks so far).
    private(set) var nextIndex = 0

    static func == (a: Self, b: Self) -> Bool {
        a.nextIndex == b.nextIndex && a.open?.kind == b.open?.kind && a.open?.index == b.open?.index && a.open?.text == b.open?.text
    }

    /// The steps for the deltas of one engine event.
    mutating func feed(_ deltas: [ChoiceDelta]) -> [Step] {
        var steps: [Step] = []
        for d in deltas {
            switch d {
            case .reasoning(let t): text(.reasoning, t, into: &steps)
            case .content(let t): text(.text, t, into: &steps)
            case .toolCall(let call):
                close(into: &steps)
                steps.append(.toolCall(call, index: nextIndex))
                nextIndex += 1
            }
        }
        return steps
    }

    /// Closes the open block, if any (the choice ended).
    mutating func finish() -> [Step] {
        var steps: [Step] = []
        close(into: &steps)
        return steps
    }

    private mutating func text(_ kind: Kind, _ t: String, into steps: inout [Step]) {
        guard !t.isEmpty else { return }
        if open?.kind != kind {
            close(into: &steps)
            open = (kind, nextIndex, "")
            steps.append(.open(kind, index: nextIndex))
            nextIndex += 1
        }
        open!.text += t
        steps.append(.append(kind, index: open!.index, text: t))
    }

    private mutating func close(into steps: inout [Step]) {
        guard let o = open else { return }
        steps.append(.close(o.kind, index: o.index, text: o.text))
        open = nil
    }
}
