import OrderedJSON

/// Streaming extractor of LFM2 tool calls from generated text.
///
/// LFM2 writes `<|tool_call_start|>[get_weather(city="Paris"), get_time()]<|tool_call_end|>`
/// (pythonic), or JSON between the same markers when the system prompt asks for it:
/// `[{"name": "get_weather", "arguments": {"city": "Paris"}}]` (a single object without the list
/// and `"parameters"` instead of `"arguments"` are accepted too). Feed the detokenized text
/// deltas (special tokens included as text) to ``feed(_:)`` and call ``finish()`` at the end.
///
/// Behaviour:
/// * Text outside blocks is content, verbatim. Only a trailing fragment that could still become
///   the start marker (e.g. `<|tool_ca`) is held back.
/// * Several blocks per output are supported; call indices run across blocks.
/// * Each call is emitted as soon as its closing parenthesis/brace arrives (before the block
///   ends), with its complete arguments JSON.
/// * Text after `<|tool_call_end|>` (LFM2 often echoes something there) is content, unless
///   ``ToolCallParserOptions/dropContentAfterToolCalls`` is set.
/// * Malformed blocks never fail: the calls that parsed before the problem are kept and the
///   unparsed rest of the block body (markers excluded) becomes content. If no call at all
///   parsed, the whole block is returned as content verbatim, markers included.
/// * An empty block or an empty list (`[]`) produces nothing.
/// * At ``finish()``, a block without its end marker (max_tokens) is parsed as far as it goes
///   under the same rules; a held-back partial start marker is flushed as content.
/// * Known limitation: the end marker is found textually, so a string argument containing the
///   literal text `<|tool_call_end|>` ends the block early (the call then counts as malformed).
public struct ToolCallStreamParser: Sendable {
    /// The configuration.
    public let options: ToolCallParserOptions

    private enum Mode: Sendable {
        case text
        case block
    }

    /// After a block turned out malformed: its remaining text is streamed as content.
    private struct Fallback: Sendable {
        var emittedUpTo: Int
        var raw: Bool
    }

    private let startMarker: [Unicode.Scalar]
    private let endMarker: [Unicode.Scalar]
    private var mode = Mode.text
    /// Text mode: not yet emitted text (after processing, at most a partial start marker).
    private var pending: [Unicode.Scalar] = []
    /// Block mode: the body so far.
    private var body: [Unicode.Scalar] = []
    private var endSearchFrom = 0
    private var block = ToolCallBlockParser()
    private var emittedInBlock = 0
    private var fallback: Fallback?
    private var nextIndex = 0
    private var finished = false

    /// Creates a parser.
    public init(options: ToolCallParserOptions = ToolCallParserOptions()) {
        self.options = options
        startMarker = Array(options.startMarker.unicodeScalars)
        endMarker = Array(options.endMarker.unicodeScalars)
    }

    /// The number of tool calls emitted so far.
    public var toolCallCount: Int { nextIndex }

    /// Consumes the next piece of generated text and returns what can be emitted now
    /// (at most one `.content` between tool calls; consecutive content is merged).
    public mutating func feed(_ delta: String) -> [ToolCallStreamEvent] {
        guard !finished else { return [] }
        switch mode {
        case .text: pending.append(contentsOf: delta.unicodeScalars)
        case .block: body.append(contentsOf: delta.unicodeScalars)
        }
        var sink = EventSink()
        process(final: false, into: &sink)
        return sink.events
    }

    /// Ends the stream: flushes held-back text and resolves an unterminated block.
    /// Further calls to ``feed(_:)`` or ``finish()`` return nothing.
    ///
    /// `truncated`: the output was cut by max_tokens. The call being written in a block
    /// still open is then not a call (it never closed): its raw text stays content — the
    /// whole block, start marker included, when no call of it was complete.
    public mutating func finish(truncated: Bool = false) -> [ToolCallStreamEvent] {
        guard !finished else { return [] }
        var sink = EventSink()
        if truncated, mode == .block, fallback == nil {
            handleBody(safeEnd: body.count, final: false, terminated: false, into: &sink)
            if fallback == nil {
                if emittedInBlock == 0 {
                    emitContent(startMarker + body, into: &sink)
                } else if block.position < body.count {
                    emitContent(body[block.position...], into: &sink)
                }
                body = []
                mode = .text
            }
        }
        process(final: true, into: &sink)
        finished = true
        return sink.events
    }

    /// Parses a complete output in one go (non-streamed responses).
    public static func parse(_ text: String, options: ToolCallParserOptions = ToolCallParserOptions()) -> ToolCallParseResult {
        var parser = ToolCallStreamParser(options: options)
        var events = parser.feed(text)
        events += parser.finish()
        return ToolCallParseResult(events: events)
    }

    // MARK: State machine

    private struct EventSink {
        var events: [ToolCallStreamEvent] = []

        mutating func content<S: Sequence>(_ scalars: S) where S.Element == Unicode.Scalar {
            let text = ScalarText.string(scalars)
            guard !text.isEmpty else { return }
            if case .content(let previous)? = events.last {
                events[events.count - 1] = .content(previous + text)
            } else {
                events.append(.content(text))
            }
        }
    }

    private mutating func emitContent<S: Sequence>(_ scalars: S, into sink: inout EventSink) where S.Element == Unicode.Scalar {
        if options.dropContentAfterToolCalls && nextIndex > 0 { return }
        sink.content(scalars)
    }

    private mutating func process(final: Bool, into sink: inout EventSink) {
        while true {
            switch mode {
            case .text:
                if let i = ScalarText.find(startMarker, in: pending) {
                    emitContent(pending[..<i], into: &sink)
                    body = Array(pending[(i + startMarker.count)...])
                    pending = []
                    mode = .block
                    endSearchFrom = 0
                    block = ToolCallBlockParser()
                    emittedInBlock = 0
                    fallback = nil
                    continue
                }
                let keep = final ? 0 : ScalarText.partialSuffixLength(of: startMarker, in: pending)
                let count = pending.count - keep
                emitContent(pending[..<count], into: &sink)
                pending.removeFirst(count)
                return
            case .block:
                if let i = ScalarText.find(endMarker, in: body, from: endSearchFrom) {
                    let after = Array(body[(i + endMarker.count)...])
                    body.removeSubrange(i...)
                    handleBody(safeEnd: i, final: true, terminated: true, into: &sink)
                    mode = .text
                    pending = after
                    body = []
                    continue
                }
                endSearchFrom = max(0, body.count - endMarker.count + 1)
                let keep = final ? 0 : ScalarText.partialSuffixLength(of: endMarker, in: body)
                handleBody(safeEnd: body.count - keep, final: final, terminated: false, into: &sink)
                return
            }
        }
    }

    /// Advances the block parser over `body[..<safeEnd]` and emits new calls or fallback content.
    private mutating func handleBody(safeEnd: Int, final: Bool, terminated: Bool, into sink: inout EventSink) {
        if fallback == nil {
            let outcome = block.advance(body, end: safeEnd, final: final, knownNames: options.knownToolNames)
            while emittedInBlock < block.calls.count {
                let call = block.calls[emittedInBlock]
                emittedInBlock += 1
                let toolCall = ToolCall(index: nextIndex, id: options.idGenerator.id(forIndex: nextIndex),
                                        name: call.name, arguments: JSONValue.object(call.arguments).serialized())
                nextIndex += 1
                sink.events.append(.toolCall(toolCall))
            }
            if case .invalid(let restStart) = outcome {
                if block.calls.isEmpty {
                    emitContent(startMarker, into: &sink)
                    fallback = Fallback(emittedUpTo: 0, raw: true)
                } else {
                    fallback = Fallback(emittedUpTo: restStart, raw: false)
                }
            }
        }
        if var fb = fallback {
            if safeEnd > fb.emittedUpTo {
                emitContent(body[fb.emittedUpTo..<safeEnd], into: &sink)
                fb.emittedUpTo = safeEnd
            }
            if terminated && fb.raw { emitContent(endMarker, into: &sink) }
            fallback = fb
        }
    }
}

extension ToolCallParseResult {
    /// Collects stream events into a result.
    public init<S: Sequence>(events: S) where S.Element == ToolCallStreamEvent {
        var content = ""
        var calls: [ToolCall] = []
        for event in events {
            switch event {
            case .content(let text): content += text
            case .toolCall(let call): calls.append(call)
            }
        }
        self.init(content: content, toolCalls: calls)
    }
}
