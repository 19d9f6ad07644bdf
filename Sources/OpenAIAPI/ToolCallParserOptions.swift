/// Configuration of ``ToolCallStreamParser``.
public struct ToolCallParserOptions: Sendable {
    /// Opening marker of a tool-call block, as detokenized text.
    public var startMarker: String
    /// Closing marker of a tool-call block, as detokenized text.
    public var endMarker: String
    /// When non-nil, a call to a function not in this set is treated as malformed (it and the
    /// rest of its block become content). When nil (the default), any name is accepted — as the
    /// OpenAI API does, the client is responsible for rejecting unknown functions.
    public var knownToolNames: Set<String>?
    /// Drop all plain content that follows the first successfully parsed tool call.
    /// LFM2 often echoes text after `<|tool_call_end|>`; vLLM suppresses it. Default false:
    /// the echo is kept as content.
    public var dropContentAfterToolCalls: Bool
    /// Produces call ids.
    public var idGenerator: ToolCallIDGenerator

    /// Creates options; the defaults are LFM2's markers, any name accepted, echo kept, random ids.
    public init(startMarker: String = "<|tool_call_start|>",
                endMarker: String = "<|tool_call_end|>",
                knownToolNames: Set<String>? = nil,
                dropContentAfterToolCalls: Bool = false,
                idGenerator: ToolCallIDGenerator = .random) {
        self.startMarker = startMarker
        self.endMarker = endMarker
        self.knownToolNames = knownToolNames
        self.dropContentAfterToolCalls = dropContentAfterToolCalls
        self.idGenerator = idGenerator
    }
}
