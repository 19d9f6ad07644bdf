import HTTPServer
import OrderedJSON

/// The OpenAI Responses wire format (OpenAI API reference, "Responses" and "Streaming
/// events"). Output items: `reasoning` (content `reasoning_text`), `message` (content
/// `output_text`), `function_call`. Streamed as named events, each with `type` and a strictly
/// increasing `sequence_number`: `response.created`, `response.in_progress`, per item
/// `response.output_item.added`, `response.content_part.added`, text / reasoning / argument
/// deltas and their `.done`, `response.content_part.done`, `response.output_item.done`, and
/// finally `response.completed` (or `response.incomplete` when `max_output_tokens` cut it,
/// `response.failed` on an error) with the whole response. One choice only.
struct ResponsesFormatter: ChatOutputFormatter {
    let id: String
    let model: String
    let createdAt: Int
    let echo: ResponsesRequest.Echo
    private var blocks = OutputBlockSequencer()
    private var sequence = 0
    /// Output items as streamed (by output index), so the final response repeats their ids.
    private var items: [JSONValue] = []
    private var itemIDs: [Int: String] = [:]
    private let makeID: @Sendable (String) -> String

    /// - Parameter makeID: makes an item id from its prefix (`rs_`, `msg_`, `fc_`).
    init(id: String, model: String, createdAt: Int, echo: ResponsesRequest.Echo,
         makeID: @escaping @Sendable (String) -> String = { $0 + randomID() }) {
        self.id = id
        self.model = model
        self.createdAt = createdAt
        self.echo = echo
        self.makeID = makeID
    }

    mutating func opening(choices: Int) -> [SSEEvent] {
        let r = response(status: "in_progress", output: [], usage: .null)
        return [event("response.created", ["response": r]), event("response.in_progress", ["response": r])]
    }

    mutating func deltas(_ deltas: [ChoiceDelta], choice: Int, logprobs: JSONValue, output: ChoiceOutput) -> [SSEEvent] {
        blocks.feed(deltas).flatMap { step(for: $0) }
    }

    mutating func finished(choice: Int, output: ChoiceOutput) -> [SSEEvent] {
        blocks.finish().flatMap { step(for: $0) }
    }

    mutating func closing(_ outputs: [ChoiceOutput], usage: RunUsage) -> [SSEEvent] {
        let incomplete = outputs.first?.finish == .length
        let r = response(status: incomplete ? "incomplete" : "completed", output: items, usage: Self.usage(usage))
        return [event(incomplete ? "response.incomplete" : "response.completed", ["response": r])]
    }

    func response(_ outputs: [ChoiceOutput], usage: RunUsage) -> JSONValue {
        let c = outputs.first ?? ChoiceOutput()
        var output: [JSONValue] = []
        if !c.reasoning.isEmpty { output.append(Self.reasoningItem(id: makeID("rs_"), text: c.reasoning, status: "completed")) }
        if !c.content.isEmpty { output.append(Self.messageItem(id: makeID("msg_"), text: c.content, status: "completed")) }
        output += c.toolCalls.map { Self.functionCallItem(id: makeID("fc_"), call: $0, arguments: $0.arguments, status: "completed") }
        return response(status: c.finish == .length ? "incomplete" : "completed", output: output, usage: Self.usage(usage))
    }

    func errorBody(_ e: OpenAIError) -> JSONValue { e.json }

    mutating func errorEvents(_ e: OpenAIError, outputs: [ChoiceOutput], usage: RunUsage) -> [SSEEvent] {
        var r = response(status: "failed", output: items, usage: .null)
        if case .object(var o) = r {
            o["error"] = ["code": e.status == 429 ? "rate_limit_exceeded" : "server_error", "message": .string(e.message)]
            r = .object(o)
        }
        return [event("response.failed", ["response": r])]
    }

    // MARK: Events

    /// A named event whose payload starts with `type` and `sequence_number`.
    private mutating func event(_ type: String, _ fields: JSONObject) -> SSEEvent {
        var o: JSONObject = ["type": .string(type), "sequence_number": .integer(Int64(sequence))]
        for (k, v) in fields { o[k] = v }
        sequence += 1
        return SSEEvent(data: JSONValue.object(o).serialized(), event: type)
    }

    private mutating func step(for step: OutputBlockSequencer.Step) -> [SSEEvent] {
        func at(_ i: Int, _ extra: JSONObject = [:]) -> JSONObject {
            var o: JSONObject = ["item_id": .string(itemIDs[i] ?? ""), "output_index": .integer(Int64(i))]
            for (k, v) in extra { o[k] = v }
            return o
        }
        switch step {
        case .open(let kind, let i):
            let itemID = makeID(kind == .reasoning ? "rs_" : "msg_")
            itemIDs[i] = itemID
            let item = kind == .reasoning ? Self.reasoningItem(id: itemID, text: nil, status: "in_progress")
                : Self.messageItem(id: itemID, text: nil, status: "in_progress")
            return [event("response.output_item.added", ["output_index": .integer(Int64(i)), "item": item]),
                    event("response.content_part.added", at(i, ["content_index": 0, "part": Self.part(kind, "")]))]
        case .append(.reasoning, let i, let t):
            return [event("response.reasoning_text.delta", at(i, ["content_index": 0, "delta": .string(t)]))]
        case .append(.text, let i, let t):
            return [event("response.output_text.delta", at(i, ["content_index": 0, "delta": .string(t), "logprobs": []]))]
        case .close(let kind, let i, let text):
            let itemID = itemIDs[i] ?? ""
            let item = kind == .reasoning ? Self.reasoningItem(id: itemID, text: text, status: "completed")
                : Self.messageItem(id: itemID, text: text, status: "completed")
            items.append(item)
            let done = kind == .reasoning
                ? event("response.reasoning_text.done", at(i, ["content_index": 0, "text": .string(text)]))
                : event("response.output_text.done", at(i, ["content_index": 0, "text": .string(text), "logprobs": []]))
            return [done, event("response.content_part.done", at(i, ["content_index": 0, "part": Self.part(kind, text)])),
                    event("response.output_item.done", ["output_index": .integer(Int64(i)), "item": item])]
        case .toolCall(let call, let i):
            let itemID = makeID("fc_")
            itemIDs[i] = itemID
            let item = Self.functionCallItem(id: itemID, call: call, arguments: call.arguments, status: "completed")
            items.append(item)
            return [event("response.output_item.added", ["output_index": .integer(Int64(i)),
                                                         "item": Self.functionCallItem(id: itemID, call: call, arguments: "", status: "in_progress")]),
                    event("response.function_call_arguments.delta", at(i, ["delta": .string(call.arguments)])),
                    event("response.function_call_arguments.done", at(i, ["name": .string(call.name), "arguments": .string(call.arguments)])),
                    event("response.output_item.done", ["output_index": .integer(Int64(i)), "item": item])]
        }
    }

    // MARK: Shapes

    /// The Response object.
    func response(status: String, output: [JSONValue], usage: JSONValue) -> JSONValue {
        let incomplete: JSONValue = status == "incomplete" ? ["reason": "max_output_tokens"] : .null
        return ["id": .string(id), "object": "response", "created_at": .integer(Int64(createdAt)), "status": .string(status),
                "background": false, "error": .null, "incomplete_details": incomplete, "instructions": echo.instructions,
                "max_output_tokens": echo.maxOutputTokens, "metadata": echo.metadata, "model": .string(model),
                "output": .array(output), "parallel_tool_calls": .bool(echo.parallelToolCalls), "previous_response_id": .null,
                "reasoning": ["effort": echo.reasoningEffort, "summary": .null], "store": false, "temperature": echo.temperature,
                "text": ["format": echo.textFormat], "tool_choice": echo.toolChoice, "tools": .array(echo.tools),
                "top_p": echo.topP, "truncation": "disabled", "usage": usage, "user": echo.user]
    }

    /// The `usage` object.
    static func usage(_ u: RunUsage) -> JSONValue {
        ["input_tokens": .integer(Int64(u.promptTokens)),
         "input_tokens_details": ["cached_tokens": .integer(Int64(u.cachedTokens)), "cache_write_tokens": 0],
         "output_tokens": .integer(Int64(u.completionTokens)),
         "output_tokens_details": ["reasoning_tokens": .integer(Int64(u.reasoningTokens))],
         "total_tokens": .integer(Int64(u.promptTokens + u.completionTokens))]
    }

    static func part(_ kind: OutputBlockSequencer.Kind, _ text: String) -> JSONValue {
        kind == .reasoning ? ["type": "reasoning_text", "text": .string(text)]
            : ["type": "output_text", "text": .string(text), "annotations": [], "logprobs": []]
    }

    /// A reasoning item; `text` nil: not yet any content.
    static func reasoningItem(id: String, text: String?, status: String) -> JSONValue {
        ["id": .string(id), "type": "reasoning", "summary": [],
         "content": .array(text.map { [part(.reasoning, $0)] } ?? []), "status": .string(status)]
    }

    /// An assistant message item; `text` nil: not yet any content.
    static func messageItem(id: String, text: String?, status: String) -> JSONValue {
        ["id": .string(id), "type": "message", "role": "assistant", "status": .string(status),
         "content": .array(text.map { [part(.text, $0)] } ?? [])]
    }

    static func functionCallItem(id: String, call: ToolCall, arguments: String, status: String) -> JSONValue {
        ["id": .string(id), "type": "function_call", "call_id": .string(call.id), "name": .string(call.name),
         "arguments": .string(arguments), "status": .string(status)]
    }
}
