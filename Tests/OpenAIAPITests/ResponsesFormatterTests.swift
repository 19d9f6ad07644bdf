import HTTPServer
import OrderedJSON
import Synchronization
import Testing
@testable import OpenAIAPI

@Suite struct ResponsesFormatterTests {
    static func formatter() -> ResponsesFormatter {
        let counter = Mutex(0)
        return ResponsesFormatter(id: "resp_1", model: "m", createdAt: 7, echo: ResponsesRequest.Echo(),
                                  makeID: { prefix in prefix + String(counter.withLock { $0 += 1; return $0 }) })
    }

    func decode(_ events: [SSEEvent]) throws -> [JSONValue] {
        try events.map { e in
            let data = try JSONValue.parse(e.data)
            #expect(data["type"]?.stringValue == e.event)
            return data
        }
    }

    @Test func streamsItemsWithIncreasingSequenceNumbers() throws {
        var f = Self.formatter()
        let call = ToolCall(index: 0, id: "call_9", name: "get_weather", arguments: #"{"city":"Paris"}"#)
        var out = ChoiceOutput()
        var events = f.opening(choices: 1)
        events += f.deltas([.reasoning("Hm")], choice: 0, logprobs: .null, output: out)
        events += f.deltas([.reasoning("."), .content("Sure.")], choice: 0, logprobs: .null, output: out)
        events += f.deltas([.toolCall(call)], choice: 0, logprobs: .null, output: out)
        out.finish = .toolCalls
        events += f.finished(choice: 0, output: out)
        events += f.closing([out], usage: RunUsage(promptTokens: 10, cachedTokens: 4, completionTokens: 9, reasoningTokens: 3))
        let d = try decode(events)
        #expect(d.map { $0["type"]?.stringValue ?? "" } == [
            "response.created", "response.in_progress",
            "response.output_item.added", "response.content_part.added", "response.reasoning_text.delta", "response.reasoning_text.delta",
            "response.reasoning_text.done", "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.content_part.added", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done",
            "response.output_item.done", "response.completed"])
        #expect(d.map { $0["sequence_number"]?.intValue ?? -1 } == Array(0..<d.count))
        #expect(d[0]["response"]?["status"] == "in_progress" && d[0]["response"]?["output"] == [])
        #expect(d[2]["item"] == ["id": "rs_1", "type": "reasoning", "summary": [], "content": [], "status": "in_progress"])
        #expect(d[4]["item_id"] == "rs_1" && d[4]["output_index"] == 0 && d[4]["content_index"] == 0 && d[4]["delta"] == "Hm")
        #expect(d[6]["text"] == "Hm.")
        #expect(d[10]["part"] == ["type": "output_text", "text": "", "annotations": [], "logprobs": []])
        #expect(d[11]["item_id"] == "msg_2" && d[11]["output_index"] == 1 && d[11]["delta"] == "Sure." && d[11]["logprobs"] == [])
        #expect(d[15]["item"] == ["id": "fc_3", "type": "function_call", "call_id": "call_9", "name": "get_weather",
                                  "arguments": "", "status": "in_progress"])
        #expect(d[16]["delta"] == #"{"city":"Paris"}"# && d[17]["arguments"] == #"{"city":"Paris"}"# && d[17]["output_index"] == 2)
        let final = try #require(d.last?["response"])
        #expect(final["status"] == "completed" && final["incomplete_details"] == .null)
        #expect(final["output"]?.arrayValue?.map { $0["id"] } == ["rs_1", "msg_2", "fc_3"])
        #expect(final["output"]?[1]?["content"] == [["type": "output_text", "text": "Sure.", "annotations": [], "logprobs": []]])
        #expect(final["usage"] == ["input_tokens": 10, "input_tokens_details": ["cached_tokens": 4, "cache_write_tokens": 0],
                                   "output_tokens": 9, "output_tokens_details": ["reasoning_tokens": 3], "total_tokens": 19])
    }

    @Test func lengthIsIncomplete() throws {
        var f = Self.formatter()
        var out = ChoiceOutput()
        out.content = "Hel"
        out.finish = .length
        var events = f.deltas([.content("Hel")], choice: 0, logprobs: .null, output: out)
        events += f.finished(choice: 0, output: out)
        events += f.closing([out], usage: RunUsage(promptTokens: 1, completionTokens: 1))
        let last = try #require(try decode(events).last)
        #expect(last["type"] == "response.incomplete")
        #expect(last["response"]?["status"] == "incomplete" && last["response"]?["incomplete_details"] == ["reason": "max_output_tokens"])
        let whole = f.response([out], usage: RunUsage(promptTokens: 1, completionTokens: 1))
        #expect(whole["status"] == "incomplete" && whole["output"]?[0]?["content"]?[0]?["text"] == "Hel")
    }

    @Test func failureIsResponseFailed() throws {
        var f = Self.formatter()
        let d = try decode(f.errorEvents(.server("generation failed: boom"), outputs: [], usage: RunUsage()))
        #expect(d.map { $0["type"] } == ["response.failed"])
        #expect(d[0]["response"]?["status"] == "failed")
        #expect(d[0]["response"]?["error"] == ["code": "server_error", "message": "generation failed: boom"])
    }
}
