/// Output of ``AssistantOutputParser``.
public enum AssistantOutputEvent: Sendable, Hashable {
    /// Text for `reasoning_content`.
    case reasoning(String)
    /// Text for `content`.
    case content(String)
    /// A complete tool call.
    case toolCall(ToolCall)
}

/// Result of ``AssistantOutputParser/parse(_:reasoning:toolCalls:)``.
public struct AssistantOutputParseResult: Sendable, Hashable {
    /// The reasoning, or nil when there was no think block (or reasoning splitting is off).
    public var reasoning: String?
    /// The answer text outside tool-call blocks.
    public var content: String
    /// The tool calls.
    public var toolCalls: [ToolCall]

    /// Creates a result.
    public init(reasoning: String?, content: String, toolCalls: [ToolCall]) {
        self.reasoning = reasoning
        self.content = content
        self.toolCalls = toolCalls
    }
}

/// The reasoning splitter followed by the tool-call parser (which sees only the content part),
/// as one streaming pipeline. Pass `toolCalls: nil` when the request has no tools.
public struct AssistantOutputParser: Sendable {
    private var reasoningParser: ReasoningStreamParser
    private var toolParser: ToolCallStreamParser
    private let toolsEnabled: Bool
    /// Without tool parsing, tool-call markers are removed from the content (their inside stays).
    private var markerStripper: MarkerStripper

    /// Creates a pipeline; `toolCalls == nil` disables tool-call extraction.
    public init(reasoning: ReasoningParserOptions = ReasoningParserOptions(),
                toolCalls: ToolCallParserOptions? = ToolCallParserOptions()) {
        reasoningParser = ReasoningStreamParser(options: reasoning)
        toolParser = ToolCallStreamParser(options: toolCalls ?? ToolCallParserOptions())
        toolsEnabled = toolCalls != nil
        let markers = toolCalls ?? ToolCallParserOptions()
        markerStripper = MarkerStripper(markers: [markers.startMarker, markers.endMarker])
    }

    /// True once a think block has been opened.
    public var sawReasoning: Bool { reasoningParser.sawReasoning }

    /// True while the output is inside the think block.
    public var isInsideReasoning: Bool { reasoningParser.isInsideReasoning }

    /// Consumes the next piece of generated text.
    public mutating func feed(_ delta: String) -> [AssistantOutputEvent] {
        route(reasoningParser.feed(delta), final: false)
    }

    /// Ends the stream and flushes everything held back. `truncated`: generation was cut
    /// by max_tokens, so an unterminated tool-call block is not a call but content.
    public mutating func finish(truncated: Bool = false) -> [AssistantOutputEvent] {
        route(reasoningParser.finish(), final: true, truncated: truncated)
    }

    private mutating func route(_ events: [ReasoningStreamEvent], final: Bool, truncated: Bool = false) -> [AssistantOutputEvent] {
        var out: [AssistantOutputEvent] = []
        func append(_ event: AssistantOutputEvent) {
            switch (out.last, event) {
            case (.content(let a)?, .content(let b)): out[out.count - 1] = .content(a + b)
            case (.reasoning(let a)?, .reasoning(let b)): out[out.count - 1] = .reasoning(a + b)
            default: out.append(event)
            }
        }
        for event in events {
            switch event {
            case .reasoning(let text):
                append(.reasoning(text))
            case .content(let text):
                if toolsEnabled {
                    for e in toolParser.feed(text) { append(Self.convert(e)) }
                } else {
                    let kept = markerStripper.feed(text)
                    if !kept.isEmpty { append(.content(kept)) }
                }
            }
        }
        if final && toolsEnabled {
            for e in toolParser.finish(truncated: truncated) { append(Self.convert(e)) }
        } else if final {
            let rest = markerStripper.finish()
            if !rest.isEmpty { append(.content(rest)) }
        }
        return out
    }

    private static func convert(_ event: ToolCallStreamEvent) -> AssistantOutputEvent {
        switch event {
        case .content(let text): return .content(text)
        case .toolCall(let call): return .toolCall(call)
        }
    }

    /// Parses a complete output in one go.
    public static func parse(_ text: String, reasoning: ReasoningParserOptions = ReasoningParserOptions(),
                             toolCalls: ToolCallParserOptions? = ToolCallParserOptions()) -> AssistantOutputParseResult {
        var parser = AssistantOutputParser(reasoning: reasoning, toolCalls: toolCalls)
        let events = parser.feed(text) + parser.finish()
        var reasoningText = ""
        var content = ""
        var calls: [ToolCall] = []
        for event in events {
            switch event {
            case .reasoning(let r): reasoningText += r
            case .content(let c): content += c
            case .toolCall(let call): calls.append(call)
            }
        }
        return AssistantOutputParseResult(reasoning: parser.sawReasoning ? reasoningText : nil,
                                          content: content, toolCalls: calls)
    }
}
