/// How reasoning is reported, named after llama-server's `--reasoning-format`.
public enum ReasoningFormat: String, Sendable, CaseIterable {
    /// Leave everything, `<think>` tags included, in `content`.
    case none
    /// Move the `<think>…</think>` block into `reasoning_content`.
    case deepseek
    /// Same as ``deepseek`` for LFM2 (llama-server's default).
    case auto

    /// True when the think block is split out of the content.
    public var splitsReasoning: Bool { self != .none }
}
