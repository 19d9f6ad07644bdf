import HTTPServer
import OrderedJSON

/// The Anthropic Messages wire format (Anthropic API reference, "Messages" and "Streaming
/// Messages"). Streamed: `message_start`, `ping`, per content block `content_block_start` /
/// `content_block_delta` (`thinking_delta`, `text_delta`, `input_json_delta`) /
/// `content_block_stop`, then `message_delta` (stop reason, usage) and `message_stop`; errors
/// as `event: error`. Blocks: `thinking`, `text`, `tool_use`. Usage in Anthropic's meaning:
/// `input_tokens` excludes the prompt tokens served from the prefix cache, which are
/// `cache_read_input_tokens`. One choice only (the API has no `n`).
struct AnthropicMessagesFormatter: ChatOutputFormatter {
    let id: String
    let model: String
    /// Prompt tokens, for `message_start` (the cached part is known only at the end; the
    /// final `message_delta` carries the exact split).
    let promptTokens: Int
    private var blocks = OutputBlockSequencer()

    init(id: String, model: String, promptTokens: Int) {
        self.id = id
        self.model = model
        self.promptTokens = promptTokens
    }

    func opening(choices: Int) -> [SSEEvent] {
        var message = Self.message(id: id, model: model, content: [], stopReason: .null, stopSequence: .null)
        message["usage"] = ["input_tokens": .integer(Int64(promptTokens)), "output_tokens": 0,
                            "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0]
        return [Self.event("message_start", ["type": "message_start", "message": .object(message)]),
                Self.event("ping", ["type": "ping"])]
    }

    mutating func deltas(_ deltas: [ChoiceDelta], choice: Int, logprobs: JSONValue, output: ChoiceOutput) -> [SSEEvent] {
        blocks.feed(deltas).flatMap(Self.events)
    }

    mutating func finished(choice: Int, output: ChoiceOutput) -> [SSEEvent] {
        blocks.finish().flatMap(Self.events)
    }

    func closing(_ outputs: [ChoiceOutput], usage: RunUsage) -> [SSEEvent] {
        let (reason, sequence) = Self.stopReason(outputs.first?.finish)
        return [Self.event("message_delta", ["type": "message_delta", "delta": ["stop_reason": reason, "stop_sequence": sequence],
                                             "usage": Self.usage(usage)]),
                Self.event("message_stop", ["type": "message_stop"])]
    }

    func response(_ outputs: [ChoiceOutput], usage: RunUsage) -> JSONValue {
        let c = outputs.first ?? ChoiceOutput()
        var content: [JSONValue] = []
        if !c.reasoning.isEmpty { content.append(["type": "thinking", "thinking": .string(c.reasoning), "signature": ""]) }
        if !c.content.isEmpty { content.append(["type": "text", "text": .string(c.content)]) }
        content += c.toolCalls.map(Self.toolUse)
        let (reason, sequence) = Self.stopReason(c.finish)
        var message = Self.message(id: id, model: model, content: content, stopReason: reason, stopSequence: sequence)
        message["usage"] = Self.usage(usage)
        return .object(message)
    }

    func errorBody(_ e: OpenAIError) -> JSONValue { Self.error(e) }

    func errorEvents(_ e: OpenAIError, outputs: [ChoiceOutput], usage: RunUsage) -> [SSEEvent] {
        [Self.event("error", Self.error(e))]
    }

    // MARK: Shapes

    /// Anthropic's error body, `{"type": "error", "error": {"type", "message"}}`, with the
    /// error type its HTTP status stands for.
    static func error(_ e: OpenAIError) -> JSONValue {
        ["type": "error", "error": ["type": .string(errorType(status: e.status)), "message": .string(e.message)]]
    }

    /// Anthropic's error `type` for an HTTP status ("Errors" in the API reference).
    static func errorType(status: Int) -> String {
        switch status {
        case 401: return "authentication_error"
        case 403: return "permission_error"
        case 404: return "not_found_error"
        case 413: return "request_too_large"
        case 429: return "rate_limit_error"
        case 503, 529: return "overloaded_error"
        case 400..<500: return "invalid_request_error"
        default: return "api_error"
        }
    }

    /// The `usage` object (also the `message_delta` usage).
    static func usage(_ u: RunUsage) -> JSONValue {
        ["input_tokens": .integer(Int64(u.promptTokens - u.cachedTokens)), "output_tokens": .integer(Int64(u.completionTokens)),
         "cache_creation_input_tokens": 0, "cache_read_input_tokens": .integer(Int64(u.cachedTokens)),
         "output_tokens_details": ["thinking_tokens": .integer(Int64(u.reasoningTokens))]]
    }

    /// `stop_reason` and `stop_sequence`.
    static func stopReason(_ f: ChoiceFinish?) -> (JSONValue, JSONValue) {
        switch f {
        case .length?: return ("max_tokens", .null)
        case .toolCalls?: return ("tool_use", .null)
        case .stopSequence(let s)?: return ("stop_sequence", s.map { .string($0) } ?? .null)
        case .stop?, nil: return ("end_turn", .null)
        }
    }

    static func toolUse(_ call: ToolCall) -> JSONValue {
        let input = (try? JSONValue.parse(call.arguments)).flatMap { $0.objectValue.map(JSONValue.object) } ?? [:]
        return ["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input]
    }

    static func message(id: String, model: String, content: [JSONValue], stopReason: JSONValue, stopSequence: JSONValue) -> JSONObject {
        ["id": .string(id), "type": "message", "role": "assistant", "model": .string(model), "content": .array(content),
         "stop_reason": stopReason, "stop_sequence": stopSequence]
    }

    static func event(_ name: String, _ data: JSONValue) -> SSEEvent { SSEEvent(data: data.serialized(), event: name) }

    /// The events of one block step.
    static func events(_ step: OutputBlockSequencer.Step) -> [SSEEvent] {
        func start(_ index: Int, _ block: JSONValue) -> SSEEvent {
            event("content_block_start", ["type": "content_block_start", "index": .integer(Int64(index)), "content_block": block])
        }
        func delta(_ index: Int, _ d: JSONValue) -> SSEEvent {
            event("content_block_delta", ["type": "content_block_delta", "index": .integer(Int64(index)), "delta": d])
        }
        func stop(_ index: Int) -> SSEEvent {
            event("content_block_stop", ["type": "content_block_stop", "index": .integer(Int64(index))])
        }
        switch step {
        case .open(.reasoning, let i): return [start(i, ["type": "thinking", "thinking": "", "signature": ""])]
        case .open(.text, let i): return [start(i, ["type": "text", "text": ""])]
        case .append(.reasoning, let i, let t): return [delta(i, ["type": "thinking_delta", "thinking": .string(t)])]
        case .append(.text, let i, let t): return [delta(i, ["type": "text_delta", "text": .string(t)])]
        case .close(_, let i, _): return [stop(i)]
        case .toolCall(let call, let i):
            let block: JSONValue = ["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": [:]]
            let arguments = toolUse(call)["input"]?.serialized() ?? "{}"
            return [start(i, block), delta(i, ["type": "input_json_delta", "partial_json": .string(arguments)]), stop(i)]
        }
    }
}
