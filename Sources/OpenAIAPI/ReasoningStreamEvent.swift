/// Output of ``ReasoningStreamParser``.
public enum ReasoningStreamEvent: Sendable, Hashable {
    /// Text for `reasoning_content`.
    case reasoning(String)
    /// Text for `content` (feed it to the tool-call parser when tools are enabled).
    case content(String)
}

/// Result of a one-shot parse (``ReasoningStreamParser/parse(_:options:)``).
public struct ReasoningParseResult: Sendable, Hashable {
    /// The reasoning text, or nil when no think block was found (empty for `<think></think>`).
    public var reasoning: String?
    /// The answer text.
    public var content: String

    /// Creates a result.
    public init(reasoning: String?, content: String) {
        self.reasoning = reasoning
        self.content = content
    }

    /// Folds a parser's events; `sawReasoning` tells a missing block from an empty one.
    public init(events: [ReasoningStreamEvent], sawReasoning: Bool) {
        var reasoning = ""
        var content = ""
        for event in events {
            switch event {
            case .reasoning(let r): reasoning += r
            case .content(let c): content += c
            }
        }
        self.init(reasoning: sawReasoning ? reasoning : nil, content: content)
    }
}
