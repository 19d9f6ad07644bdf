/// Configuration of ``ReasoningStreamParser``.
public struct ReasoningParserOptions: Sendable {
    /// Whether to split reasoning out at all.
    public var format: ReasoningFormat
    /// The output begins inside the think block (the chat template already wrote `<think>` into
    /// the prompt): everything up to `</think>` is reasoning.
    public var startsInReasoning: Bool
    /// Also recognise a `<think>` that follows other text (the text before it stays content).
    /// Default false: like llama.cpp, the block is recognised only at the very start of the
    /// output, after optional whitespace; otherwise the whole output is content.
    public var detectThinkAfterText: Bool
    /// Strip whitespace at both ends of the reasoning text (llama.cpp trims it; vLLM does not).
    public var trimReasoning: Bool
    /// Strip whitespace/newlines right after `</think>` from the start of the content
    /// (llama.cpp consumes them; vLLM keeps them).
    public var trimContentStart: Bool
    /// The opening tag.
    public var openTag: String
    /// The closing tag.
    public var closeTag: String

    /// Creates options; the defaults follow llama-server with `--reasoning-format auto`.
    public init(format: ReasoningFormat = .auto, startsInReasoning: Bool = false,
                detectThinkAfterText: Bool = false, trimReasoning: Bool = true,
                trimContentStart: Bool = true, openTag: String = "<think>", closeTag: String = "</think>") {
        self.format = format
        self.startsInReasoning = startsInReasoning
        self.detectThinkAfterText = detectThinkAfterText
        self.trimReasoning = trimReasoning
        self.trimContentStart = trimContentStart
        self.openTag = openTag
        self.closeTag = closeTag
    }
}
