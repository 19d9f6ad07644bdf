import LFMRuntime
import OrderedJSON

extension FinishReason {
    /// Whether the output was cut short (max_tokens, the context, or the loop guard): OpenAI's
    /// `finish_reason: "length"`, and an unterminated tool-call block is content then.
    var isTruncation: Bool { self == .length || self == .loop }

    /// The choice's `stop_reason` (vLLM's field) when it tells more than `finish_reason`:
    /// `"loop"` when the loop guard ended the generation (docs/api.md, "Loop guard").
    var stopReason: JSONValue? { self == .loop ? "loop" : nil }
}
