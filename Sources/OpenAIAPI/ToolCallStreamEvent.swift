/// Output of ``ToolCallStreamParser``.
public enum ToolCallStreamEvent: Sendable, Hashable {
    /// Plain assistant text, safe to send to the client now.
    case content(String)
    /// A complete tool call. Stream it as one `delta.tool_calls` entry that carries `index`, `id`,
    /// `type`, `function.name` and the whole `function.arguments` at once (allowed by the OpenAI
    /// streaming format, which only requires that argument fragments concatenate).
    case toolCall(ToolCall)
}

/// Result of a one-shot parse (``ToolCallStreamParser/parse(_:options:)``).
public struct ToolCallParseResult: Sendable, Hashable {
    /// All plain text, in order (possibly empty; map empty to `null` when there are tool calls).
    public var content: String
    /// The calls, in order.
    public var toolCalls: [ToolCall]

    /// Creates a result.
    public init(content: String, toolCalls: [ToolCall]) {
        self.content = content
        self.toolCalls = toolCalls
    }
}
