import OrderedJSON
import Testing
@testable import OpenAIAPI

@Suite struct ResponsesRequestTests {
    func translate(_ text: String) throws -> ResponsesRequest { try ResponsesRequest(JSONValue.parse(text)) }

    func param(_ text: String) -> String? {
        do {
            _ = try ResponsesRequest(JSONValue.parse(text))
            return nil
        } catch let e as OpenAIError {
            #expect(e.status == 400)
            return e.param
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test func stringInputIsOneUserMessage() throws {
        let r = try translate(#"{"model": "m", "input": "Hi", "instructions": "Be brief.", "max_output_tokens": 20, "temperature": 0, "stream": true}"#)
        #expect(r.chat["messages"] == [["role": "system", "content": "Be brief."], ["role": "user", "content": "Hi"]])
        #expect(r.chat["max_tokens"] == 20 && r.chat["temperature"] == 0 && r.chat["stream"] == true && r.chat["model"] == "m")
        #expect(r.echo.instructions == "Be brief." && r.echo.maxOutputTokens == 20)
        let chat = try ChatCompletionRequest(r.chat)
        #expect(chat.options.maxTokens == 20 && chat.options.stream)
    }

    @Test func itemsFoldIntoChatTurns() throws {
        let r = try translate("""
        {"input": [
          {"role": "developer", "content": "Use tools."},
          {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather in "}, {"type": "input_text", "text": "Paris?"}]},
          {"type": "reasoning", "id": "rs_1", "summary": [], "content": [{"type": "reasoning_text", "text": "Need the tool."}]},
          {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Checking.", "annotations": []}]},
          {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\\"city\\":\\"Paris\\"}"},
          {"type": "function_call", "call_id": "call_2", "name": "get_time", "arguments": "{}"},
          {"type": "function_call_output", "call_id": "call_1", "output": "22 C"},
          {"type": "function_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "noon"}]},
          {"role": "user", "content": "Thanks"}]}
        """)
        let m = try #require(r.chat["messages"]?.arrayValue)
        #expect(m.count == 6)
        #expect(m[0] == ["role": "system", "content": "Use tools."])
        #expect(m[1] == ["role": "user", "content": "Weather in Paris?"])
        #expect(m[2] == ["role": "assistant", "content": "Checking.", "reasoning_content": "Need the tool.",
                         "tool_calls": [["id": "call_1", "type": "function", "function": ["name": "get_weather", "arguments": #"{"city":"Paris"}"#]],
                                        ["id": "call_2", "type": "function", "function": ["name": "get_time", "arguments": "{}"]]]])
        #expect(m[3] == ["role": "tool", "tool_call_id": "call_1", "content": "22 C"])
        #expect(m[4] == ["role": "tool", "tool_call_id": "call_2", "content": "noon"])
        #expect(m[5] == ["role": "user", "content": "Thanks"])
        _ = try ChatCompletionRequest(r.chat)
    }

    @Test func toolsChoiceFormatAndReasoning() throws {
        let r = try translate("""
        {"input": "x", "tools": [{"type": "function", "name": "f", "description": "F", "parameters": {"type": "object"}, "strict": true}],
         "tool_choice": {"type": "function", "name": "f"}, "parallel_tool_calls": false,
         "text": {"format": {"type": "json_schema", "name": "out", "schema": {"type": "object"}, "strict": true}},
         "reasoning": {"effort": "none"}, "metadata": {"k": "v"}, "user": "u", "store": true}
        """)
        #expect(r.chat["tools"] == [["type": "function", "function": ["name": "f", "description": "F", "parameters": ["type": "object"], "strict": true]]])
        #expect(r.chat["tool_choice"] == ["type": "function", "function": ["name": "f"]])
        #expect(r.chat["parallel_tool_calls"] == false)
        #expect(r.chat["response_format"] == ["type": "json_schema", "json_schema": ["name": "out", "schema": ["type": "object"], "strict": true]])
        #expect(r.chat["chat_template_kwargs"] == ["enable_thinking": false])
        #expect(r.echo.toolChoice == ["type": "function", "name": "f"] && r.echo.metadata == ["k": "v"] && r.echo.user == "u")
        let json = try translate(#"{"input": "x", "text": {"format": {"type": "json_object"}}}"#)
        #expect(json.chat["response_format"] == ["type": "json_object"])
        let plain = try translate(#"{"input": "x", "text": {"format": {"type": "text"}}, "reasoning": {"effort": "high"}}"#)
        #expect(plain.chat["response_format"] == nil && plain.chat["chat_template_kwargs"] == ["enable_thinking": true])
    }

    @Test func badInputNamesTheField() {
        #expect(param(#"{"model": "m"}"#) == "input")
        #expect(param(#"{"input": []}"#) == "input")
        #expect(param(#"{"input": "x", "previous_response_id": "resp_1"}"#) == "previous_response_id")
        #expect(param(#"{"input": "x", "tools": [{"type": "web_search"}]}"#) == "tools[0].type")
        #expect(param(#"{"input": "x", "tools": [{"type": "function"}]}"#) == "tools[0].name")
        #expect(param(#"{"input": "x", "tool_choice": {"type": "web_search_preview"}}"#) == "tool_choice")
        #expect(param(#"{"input": [{"role": "tool", "content": "x"}]}"#) == "input[0].role")
        #expect(param(#"{"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "u"}]}]}"#) == "input[0].content[0].type")
        #expect(param(#"{"input": [{"type": "item_reference", "id": "x"}]}"#) == "input[0].type")
        #expect(param(#"{"input": [{"type": "function_call_output", "output": "x"}]}"#) == "input[0].call_id")
        #expect(param(#"{"input": "x", "max_output_tokens": 0}"#) == "max_output_tokens")
        #expect(param(#"{"input": "x", "text": {"format": {"type": "yaml"}}}"#) == "text.format.type")
        #expect(param(#"{"input": "x", "text": {"format": {"type": "json_schema", "name": "n"}}}"#) == "text.format.schema")
        #expect(param(#"{"input": "x", "reasoning": {"effort": "extreme"}}"#) == "reasoning.effort")
    }

    @Test func chatErrorsAreRenamed() {
        let e = ResponsesRequest.renamed(.invalidRequest("'max_tokens' must be ≥ 1", param: "max_tokens"))
        #expect(e.param == "max_output_tokens" && e.message == "'max_output_tokens' must be ≥ 1")
        #expect(ResponsesRequest.renamed(.invalidRequest("x", param: "messages[2].content")).param == "input")
        #expect(ResponsesRequest.renamed(.invalidRequest("response_format type 'json_object' is not supported yet", param: "response_format")).message
                == "text.format type 'json_object' is not supported yet")
        #expect(ResponsesRequest.renamed(.invalidRequest("x", param: "temperature")).param == "temperature")
    }
}
