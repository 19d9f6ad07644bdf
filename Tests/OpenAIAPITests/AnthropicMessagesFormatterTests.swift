import HTTPServer
import OrderedJSON
import Testing
@testable import OpenAIAPI

@Suite struct AnthropicMessagesFormatterTests {
    func decode(_ events: [SSEEvent]) throws -> [(String, JSONValue)] {
        try events.map { e in
            let data = try JSONValue.parse(e.data)
            #expect(data["type"]?.stringValue == e.event)   // the event name is the payload's type
            return (e.event ?? "", data)
        }
    }

    @Test func streamsBlocksInAnthropicOrder() throws {
        var f = AnthropicMessagesFormatter(id: "msg_1", model: "m", promptTokens: 12)
        let call = ToolCall(index: 0, id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)
        var events = f.opening(choices: 1)
        var out = ChoiceOutput()
        events += f.deltas([.reasoning("Hm.")], choice: 0, logprobs: .null, output: out)
        events += f.deltas([.content("Sure."), .toolCall(call)], choice: 0, logprobs: .null, output: out)
        out.finish = .toolCalls
        events += f.finished(choice: 0, output: out)
        let usage = RunUsage(promptTokens: 12, cachedTokens: 8, completionTokens: 20, reasoningTokens: 5)
        events += f.closing([out], usage: usage)
        let decoded = try decode(events)
        #expect(decoded.map(\.0) == ["message_start", "ping",
                                     "content_block_start", "content_block_delta", "content_block_stop",
                                     "content_block_start", "content_block_delta", "content_block_stop",
                                     "content_block_start", "content_block_delta", "content_block_stop",
                                     "message_delta", "message_stop"])
        let start = decoded[0].1["message"]
        #expect(start?["id"] == "msg_1" && start?["content"] == [] && start?["stop_reason"] == .null)
        #expect(start?["usage"]?["input_tokens"] == 12)
        #expect(decoded[2].1["content_block"] == ["type": "thinking", "thinking": "", "signature": ""])
        #expect(decoded[3].1["delta"] == ["type": "thinking_delta", "thinking": "Hm."])
        #expect(decoded[5].1["index"] == 1 && decoded[6].1["delta"] == ["type": "text_delta", "text": "Sure."])
        #expect(decoded[8].1["content_block"] == ["type": "tool_use", "id": "call_1", "name": "get_weather", "input": [:]])
        #expect(decoded[9].1["delta"] == ["type": "input_json_delta", "partial_json": #"{"city":"Paris"}"#])
        #expect(decoded[10].1["index"] == 2)
        #expect(decoded[11].1["delta"] == ["stop_reason": "tool_use", "stop_sequence": .null])
        // Anthropic's meaning: input_tokens excludes the cached prompt tokens.
        #expect(decoded[11].1["usage"]?["input_tokens"] == 4 && decoded[11].1["usage"]?["cache_read_input_tokens"] == 8)
        #expect(decoded[11].1["usage"]?["output_tokens"] == 20)
        #expect(decoded[11].1["usage"]?["output_tokens_details"]?["thinking_tokens"] == 5)
    }

    @Test func responseHasThinkingTextAndToolUseBlocks() {
        let f = AnthropicMessagesFormatter(id: "msg_1", model: "m", promptTokens: 3)
        var out = ChoiceOutput()
        out.reasoning = "Hm."
        out.content = "Sure."
        out.toolCalls = [ToolCall(index: 0, id: "call_1", name: "f", arguments: #"{"a":[1,2]}"#)]
        out.finish = .toolCalls
        let r = f.response([out], usage: RunUsage(promptTokens: 3, cachedTokens: 0, completionTokens: 7, reasoningTokens: 2))
        #expect(r["type"] == "message" && r["role"] == "assistant" && r["id"] == "msg_1")
        #expect(r["content"] == [["type": "thinking", "thinking": "Hm.", "signature": ""], ["type": "text", "text": "Sure."],
                                 ["type": "tool_use", "id": "call_1", "name": "f", "input": ["a": [1, 2]]]])
        #expect(r["stop_reason"] == "tool_use" && r["usage"]?["input_tokens"] == 3 && r["usage"]?["output_tokens"] == 7)
    }

    @Test func stopReasons() {
        #expect(AnthropicMessagesFormatter.stopReason(.stop) == ("end_turn", .null))
        #expect(AnthropicMessagesFormatter.stopReason(.length) == ("max_tokens", .null))
        #expect(AnthropicMessagesFormatter.stopReason(.stopSequence("END")) == ("stop_sequence", "END"))
        #expect(AnthropicMessagesFormatter.stopReason(.toolCalls) == ("tool_use", .null))
    }

    @Test func errorsAreAnErrorEvent() throws {
        var f = AnthropicMessagesFormatter(id: "msg_1", model: "m", promptTokens: 3)
        let events = f.errorEvents(.server("generation failed: boom"), outputs: [], usage: RunUsage())
        let decoded = try decode(events)
        #expect(decoded.map(\.0) == ["error"])
        #expect(decoded[0].1["error"] == ["type": "api_error", "message": "generation failed: boom"])
    }
}
