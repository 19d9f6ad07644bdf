import HTTPServer
import OrderedJSON

/// The chat.completions wire format (OpenAI API reference, "Create chat completion" and
/// "The chat completion chunk object"): a role chunk per choice, one chunk per delta, a
/// finish chunk per choice, the usage chunk when `stream_options.include_usage`, `[DONE]`.
struct ChatCompletionsFormatter: ChatOutputFormatter {
    let id: String
    let model: String
    let created: Int
    let options: GenerationOptions

    func opening(choices: Int) -> [SSEEvent] {
        (0..<choices).map { i in
            SSEEvent(data: chunk([["index": .integer(Int64(i)), "delta": ["role": "assistant", "content": ""],
                                   "logprobs": .null, "finish_reason": .null]]).serialized())
        }
    }

    func deltas(_ deltas: [ChoiceDelta], choice i: Int, logprobs: JSONValue, output: ChoiceOutput) -> [SSEEvent] {
        var events: [SSEEvent] = []
        var sentLogprobs = false
        for d in deltas {
            var delta: JSONObject = [:]
            switch d {
            case .content(let t): delta["content"] = .string(t)
            case .reasoning(let t): delta["reasoning_content"] = .string(t)
            case .toolCall(let call): delta["tool_calls"] = [call.streamDeltaJSONValue()]
            }
            let lp = sentLogprobs ? .null : logprobs
            sentLogprobs = true
            events.append(SSEEvent(data: chunk([["index": .integer(Int64(i)), "delta": .object(delta), "logprobs": lp,
                                                 "finish_reason": .null]]).serialized()))
        }
        if !sentLogprobs, !logprobs.isNull {
            events.append(SSEEvent(data: chunk([["index": .integer(Int64(i)), "delta": [:], "logprobs": logprobs,
                                                 "finish_reason": .null]]).serialized()))
        }
        return events
    }

    func finished(choice i: Int, output: ChoiceOutput) -> [SSEEvent] {
        var last: JSONObject = ["index": .integer(Int64(i)), "delta": [:], "logprobs": .null,
                                "finish_reason": .string(Self.finishReason(output.finish))]
        last["stop_reason"] = output.stopReason
        return [SSEEvent(data: chunk([.object(last)]).serialized())]
    }

    func closing(_ outputs: [ChoiceOutput], usage: RunUsage) -> [SSEEvent] {
        var events: [SSEEvent] = []
        if options.includeUsage {
            var c = chunk([])
            if case .object(var o) = c { o["usage"] = usage.chatJSON; c = .object(o) }
            events.append(SSEEvent(data: c.serialized()))
        }
        events.append(SSEEvent(data: "[DONE]"))
        return events
    }

    func response(_ outputs: [ChoiceOutput], usage: RunUsage) -> JSONValue {
        let choices: [JSONValue] = outputs.enumerated().map { i, c in
            var message: JSONObject = ["role": "assistant"]
            message["content"] = c.content.isEmpty && !c.toolCalls.isEmpty ? .null : .string(c.content)
            if !c.reasoning.isEmpty { message["reasoning_content"] = .string(c.reasoning) }
            if !c.toolCalls.isEmpty { message["tool_calls"] = .array(c.toolCalls.map { $0.jsonValue() }) }
            var choice: JSONObject = ["index": .integer(Int64(i)), "message": .object(message),
                                      "logprobs": options.logprobs ? ["content": .array(c.logprobs)] : .null,
                                      "finish_reason": .string(Self.finishReason(c.finish))]
            choice["stop_reason"] = c.stopReason
            return .object(choice)
        }
        return ["id": .string(id), "object": "chat.completion", "created": .integer(Int64(created)), "model": .string(model),
                "system_fingerprint": .string(systemFingerprint), "choices": .array(choices), "usage": usage.chatJSON]
    }

    func errorBody(_ e: OpenAIError) -> JSONValue { e.json }

    func errorEvents(_ e: OpenAIError, outputs: [ChoiceOutput], usage: RunUsage) -> [SSEEvent] {
        [SSEEvent(data: e.json.serialized()), SSEEvent(data: "[DONE]")]
    }

    /// OpenAI's `finish_reason`.
    static func finishReason(_ f: ChoiceFinish?) -> String {
        switch f {
        case .length?: return "length"
        case .toolCalls?: return "tool_calls"
        case .stop?, .stopSequence?, nil: return "stop"
        }
    }

    private func chunk(_ choices: [JSONValue]) -> JSONValue {
        ["id": .string(id), "object": "chat.completion.chunk", "created": .integer(Int64(created)), "model": .string(model),
         "system_fingerprint": .string(systemFingerprint), "choices": .array(choices)]
    }
}
