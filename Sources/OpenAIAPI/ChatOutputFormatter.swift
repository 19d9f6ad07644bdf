import HTTPServer
import OrderedJSON

/// Why one choice ended, in API-neutral terms (each formatter names it its own way).
enum ChoiceFinish: Sendable, Equatable {
    /// EOS / end of turn.
    case stop
    /// A stop string matched (the one that matched, when it could be told).
    case stopSequence(String?)
    /// max_tokens or the context length.
    case length
    /// The answer contains tool calls.
    case toolCalls
}

/// What one choice has produced so far: the core (``ChatRun``) fills it in, formatters read it.
struct ChoiceOutput: Sendable {
    var content = ""
    var reasoning = ""
    var toolCalls: [ToolCall] = []
    /// Per-token log-probability entries (chat shape), when requested.
    var logprobs: [JSONValue] = []
    var finish: ChoiceFinish?
    /// Why a truncated choice stopped, beyond `finish` (`"loop"`: the loop guard), as `stop_reason`.
    var stopReason: JSONValue?
    /// Generated tokens (one per token event; an EOS that ended the turn is not one).
    var completionTokens = 0
    /// Of those, the tokens generated inside the think block (its tags included).
    var reasoningTokens = 0
}

/// Token accounting of a whole run (all choices).
struct RunUsage: Sendable, Equatable {
    var promptTokens = 0
    /// Prompt tokens served from the prefix cache.
    var cachedTokens = 0
    var completionTokens = 0
    var reasoningTokens = 0

    /// The chat-completions `usage` object (also what the access log reads).
    var chatJSON: JSONValue {
        ["prompt_tokens": .integer(Int64(promptTokens)), "completion_tokens": .integer(Int64(completionTokens)),
         "total_tokens": .integer(Int64(promptTokens + completionTokens)),
         "prompt_tokens_details": ["cached_tokens": .integer(Int64(cachedTokens))],
         "completion_tokens_details": ["reasoning_tokens": .integer(Int64(reasoningTokens))]]
    }
}

/// Turns a chat run's API-neutral output into one API's wire format: the stream events and
/// the final body. ``ChatRun`` owns the engine-event path (per-choice assembly, token
/// accounting, RunOutput) and calls its formatter inside its lock, so a formatter is plain
/// mutable state (block indices, sequence numbers) without synchronization of its own.
/// Implementations: ``ChatCompletionsFormatter``, ``AnthropicMessagesFormatter``,
/// ``ResponsesFormatter``.
protocol ChatOutputFormatter: Sendable {
    /// Events sent first on a stream, made when the run is created (before any engine event).
    mutating func opening(choices: Int) -> [SSEEvent]
    /// Stream events for the deltas one engine event of choice `choice` produced; `logprobs`
    /// is the token's log-probability entry (chat shape) or null.
    mutating func deltas(_ deltas: [ChoiceDelta], choice: Int, logprobs: JSONValue, output: ChoiceOutput) -> [SSEEvent]
    /// Stream events when choice `choice` has ended (`output.finish` is set).
    mutating func finished(choice: Int, output: ChoiceOutput) -> [SSEEvent]
    /// The last stream events, once every choice has ended.
    mutating func closing(_ outputs: [ChoiceOutput], usage: RunUsage) -> [SSEEvent]
    /// The non-streamed response body.
    func response(_ outputs: [ChoiceOutput], usage: RunUsage) -> JSONValue
    /// The body of an error answer in this API's shape.
    func errorBody(_ e: OpenAIError) -> JSONValue
    /// The stream events that report `e` and end the stream.
    mutating func errorEvents(_ e: OpenAIError, outputs: [ChoiceOutput], usage: RunUsage) -> [SSEEvent]
}
