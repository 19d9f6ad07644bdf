/// Streaming splitter of `<think>…</think>` reasoning from the answer (LFM2.5-Thinking).
///
/// The tags are plain text (several tokens each), so they can arrive split across deltas
/// (`<`, `think`, `>`); only a trailing fragment that could still complete a tag is held back
/// (plus, with ``ReasoningParserOptions/trimReasoning``, trailing whitespace of the reasoning).
///
/// Cases (format `auto`/`deepseek`):
/// * `<think>R</think>A` → reasoning `R`, content `A`; leading whitespace before `<think>` is
///   dropped, whitespace around `R` and at the start of `A` is trimmed by default (llama.cpp).
/// * `<think>R` with no closing tag (max_tokens) → everything after `<think>` is reasoning.
/// * Output not starting with `<think>` (after whitespace) → all content, verbatim (unless
///   ``ReasoningParserOptions/detectThinkAfterText``).
/// * ``ReasoningParserOptions/startsInReasoning``: the output begins inside the block.
/// * Only the first block is split; later `<think>` text is content. A stray `</think>` without
///   an opening tag is content unless `startsInReasoning`.
/// Format `none` passes everything through as content unchanged.
public struct ReasoningStreamParser: Sendable {
    /// The configuration.
    public let options: ReasoningParserOptions

    private enum State: Sendable {
        /// Before the first non-whitespace text: deciding whether a block opens.
        case start
        /// Plain content; `watching` when a later `<think>` may still open a block.
        case content(watching: Bool)
        /// Inside the block; `atStart` while leading whitespace is being trimmed.
        case reasoning(atStart: Bool)
        /// Right after `</think>`, trimming whitespace.
        case afterReasoning
    }

    private let openTag: [Unicode.Scalar]
    private let closeTag: [Unicode.Scalar]
    private var state: State
    private var pending: [Unicode.Scalar] = []
    private var finished = false
    /// True once a think block has been opened (including by `startsInReasoning`).
    public private(set) var sawReasoning: Bool

    /// True while the output is inside the think block (opened, not yet closed).
    public var isInsideReasoning: Bool {
        if case .reasoning = state { return true }
        return false
    }

    /// Creates a parser.
    public init(options: ReasoningParserOptions = ReasoningParserOptions()) {
        self.options = options
        openTag = Array(options.openTag.unicodeScalars)
        closeTag = Array(options.closeTag.unicodeScalars)
        if !options.format.splitsReasoning {
            state = .content(watching: false)
            sawReasoning = false
        } else if options.startsInReasoning {
            state = .reasoning(atStart: true)
            sawReasoning = true
        } else {
            state = .start
            sawReasoning = false
        }
    }

    /// Consumes the next piece of generated text and returns what can be emitted now
    /// (at most one event of each kind, in output order).
    public mutating func feed(_ delta: String) -> [ReasoningStreamEvent] {
        guard !finished else { return [] }
        if !options.format.splitsReasoning { return delta.isEmpty ? [] : [.content(delta)] }
        pending.append(contentsOf: delta.unicodeScalars)
        var sink = Sink()
        process(final: false, into: &sink)
        return sink.events
    }

    /// Ends the stream, flushing held-back text (an open block's text is reasoning).
    public mutating func finish() -> [ReasoningStreamEvent] {
        guard !finished else { return [] }
        finished = true
        var sink = Sink()
        process(final: true, into: &sink)
        return sink.events
    }

    /// Splits a complete output in one go.
    public static func parse(_ text: String, options: ReasoningParserOptions = ReasoningParserOptions()) -> ReasoningParseResult {
        var parser = ReasoningStreamParser(options: options)
        let events = parser.feed(text) + parser.finish()
        return ReasoningParseResult(events: events, sawReasoning: parser.sawReasoning)
    }

    private struct Sink {
        var events: [ReasoningStreamEvent] = []

        mutating func add<S: Sequence>(_ scalars: S, reasoning: Bool) where S.Element == Unicode.Scalar {
            let text = ScalarText.string(scalars)
            guard !text.isEmpty else { return }
            switch events.last {
            case .reasoning(let previous)? where reasoning:
                events[events.count - 1] = .reasoning(previous + text)
            case .content(let previous)? where !reasoning:
                events[events.count - 1] = .content(previous + text)
            default:
                events.append(reasoning ? .reasoning(text) : .content(text))
            }
        }
    }

    private mutating func process(final: Bool, into sink: inout Sink) {
        while true {
            switch state {
            case .start:
                var p = 0
                while p < pending.count, ScalarText.isWhitespace(pending[p]) { p += 1 }
                if ScalarText.hasPrefix(openTag, in: pending, at: p) {
                    pending.removeSubrange(..<(p + openTag.count))
                    state = .reasoning(atStart: true)
                    sawReasoning = true
                    continue
                }
                if !final && ScalarText.isPrefixOfMarker(openTag, in: pending, at: p) {
                    return // all whitespace so far, or a partial `<think>`: undecided
                }
                state = .content(watching: options.detectThinkAfterText)
            case .content(let watching):
                if watching {
                    if let i = ScalarText.find(openTag, in: pending) {
                        sink.add(pending[..<i], reasoning: false)
                        pending.removeSubrange(..<(i + openTag.count))
                        state = .reasoning(atStart: true)
                        sawReasoning = true
                        continue
                    }
                    let keep = final ? 0 : ScalarText.partialSuffixLength(of: openTag, in: pending)
                    sink.add(pending[..<(pending.count - keep)], reasoning: false)
                    pending.removeFirst(pending.count - keep)
                } else {
                    sink.add(pending, reasoning: false)
                    pending.removeAll()
                }
                return
            case .reasoning(let atStart):
                if atStart && options.trimReasoning {
                    var p = 0
                    while p < pending.count, ScalarText.isWhitespace(pending[p]) { p += 1 }
                    pending.removeSubrange(..<p)
                    if pending.isEmpty { return }
                }
                state = .reasoning(atStart: false)
                if let i = ScalarText.find(closeTag, in: pending) {
                    sink.add(pending[..<trimmedEnd(i)], reasoning: true)
                    pending.removeSubrange(..<(i + closeTag.count))
                    state = .afterReasoning
                    continue
                }
                let keep = final ? 0 : ScalarText.partialSuffixLength(of: closeTag, in: pending)
                let end = pending.count - keep
                // Trailing whitespace is held until more reasoning arrives (or dropped at the end).
                let emitEnd = trimmedEnd(end)
                sink.add(pending[..<emitEnd], reasoning: true)
                pending.removeSubrange(..<(final ? pending.count : emitEnd))
                return
            case .afterReasoning:
                if options.trimContentStart {
                    var p = 0
                    while p < pending.count, ScalarText.isWhitespace(pending[p]) { p += 1 }
                    pending.removeSubrange(..<p)
                    if pending.isEmpty { return }
                }
                state = .content(watching: false)
            }
        }
    }

    /// `end` moved back over trailing whitespace when reasoning is trimmed.
    private func trimmedEnd(_ end: Int) -> Int {
        guard options.trimReasoning else { return end }
        var e = end
        while e > 0, ScalarText.isWhitespace(pending[e - 1]) { e -= 1 }
        return e
    }
}
