import OrderedJSON
import Testing
@testable import OpenAIAPI

@Suite struct AnthropicMessagesRequestTests {
    func translate(_ text: String, countOnly: Bool = false) throws -> JSONValue {
        try AnthropicMessagesRequest.chatBody(JSONValue.parse(text), countOnly: countOnly)
    }

    func param(_ text: String, countOnly: Bool = false) -> String? {
        do {
            _ = try AnthropicMessagesRequest.chatBody(JSONValue.parse(text), countOnly: countOnly)
            return nil
        } catch let e as OpenAIError {
            #expect(e.status == 400)
            return e.param
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test func conversationBecomesChatMessages() throws {
        let chat = try translate("""
        {"model": "m", "max_tokens": 64, "system": [{"type": "text", "text": "Be brief."}],
         "messages": [
           {"role": "user", "content": "What is the weather in Paris?"},
           {"role": "assistant", "content": [
              {"type": "thinking", "thinking": "Call the tool.", "signature": "x"},
              {"type": "text", "text": "Let me check."},
              {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]},
           {"role": "user", "content": [
              {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "22 C"}]},
              {"type": "tool_result", "tool_use_id": "toolu_2", "content": "boom", "is_error": true},
              {"type": "text", "text": "Thanks"}]}],
         "temperature": 0.5, "top_p": 0.9, "top_k": 20, "stop_sequences": ["END"], "stream": true,
         "metadata": {"user_id": "u"}}
        """)
        #expect(chat["model"] == "m")
        #expect(chat["max_tokens"] == 64)
        #expect(chat["temperature"] == 0.5 && chat["top_p"] == 0.9 && chat["top_k"] == 20)
        #expect(chat["stop"] == ["END"] && chat["stream"] == true)
        let m = try #require(chat["messages"]?.arrayValue)
        #expect(m.count == 6)
        #expect(m[0] == ["role": "system", "content": "Be brief."])
        #expect(m[1] == ["role": "user", "content": "What is the weather in Paris?"])
        #expect(m[2]["role"] == "assistant" && m[2]["content"] == "Let me check.")
        #expect(m[2]["reasoning_content"] == "Call the tool.")
        #expect(m[2]["tool_calls"] == [["id": "toolu_1", "type": "function",
                                        "function": ["name": "get_weather", "arguments": #"{"city":"Paris"}"#]]])
        #expect(m[3] == ["role": "tool", "tool_call_id": "toolu_1", "content": "22 C"])
        #expect(m[4] == ["role": "tool", "tool_call_id": "toolu_2", "content": "Error: boom"])
        #expect(m[5] == ["role": "user", "content": "Thanks"])
        // The translation is a valid chat.completions body.
        let req = try ChatCompletionRequest(chat)
        #expect(req.options.stream && req.options.stop == ["END"] && req.options.maxTokens == 64)
    }

    @Test func toolsToolChoiceAndThinking() throws {
        let chat = try translate("""
        {"model": "m", "max_tokens": 2048,
         "messages": [{"role": "user", "content": "hi"}],
         "tools": [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {}}}],
         "tool_choice": {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": true},
         "thinking": {"type": "enabled", "budget_tokens": 1024}}
        """)
        #expect(chat["tools"] == [["type": "function", "function": ["name": "get_weather", "description": "Weather",
                                                                    "parameters": ["type": "object", "properties": [:]]]]])
        #expect(chat["tool_choice"] == ["type": "function", "function": ["name": "get_weather"]])
        #expect(chat["parallel_tool_calls"] == false)
        #expect(chat["chat_template_kwargs"] == ["enable_thinking": true])
        let req = try ChatCompletionRequest(chat)
        #expect(req.toolChoice == .function("get_weather") && !req.parallelToolCalls)
        for (choice, expected) in [("auto", JSONValue.string("auto")), ("any", "required"), ("none", "none")] {
            let c = try translate("""
            {"max_tokens": 5, "messages": [{"role": "user", "content": "hi"}],
             "tools": [{"name": "f", "input_schema": {"type": "object"}}], "tool_choice": {"type": "\(choice)"}}
            """)
            #expect(c["tool_choice"] == expected)
        }
        let off = try translate(#"{"max_tokens": 5, "messages": [{"role": "user", "content": "hi"}], "thinking": {"type": "disabled"}}"#)
        #expect(off["chat_template_kwargs"] == ["enable_thinking": false])
        let structured = try translate(#"{"max_tokens": 5, "messages": [{"role": "user", "content": "hi"}], "output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}}}"#)
        #expect(structured["response_format"] == ["type": "json_schema", "json_schema": ["name": "output", "schema": ["type": "object"]]])
    }

    @Test func countTokensNeedsNoMaxTokens() throws {
        let chat = try translate(#"{"model": "m", "messages": [{"role": "user", "content": "hi"}]}"#, countOnly: true)
        #expect(chat["max_tokens"] == nil && chat["messages"]?.arrayValue?.count == 1)
    }

    @Test func badInputNamesTheField() {
        let user = #""messages": [{"role": "user", "content": "hi"}]"#
        #expect(param("{\(user)}") == "max_tokens")
        #expect(param(#"{"max_tokens": 0, "#+user+"}") == "max_tokens")
        #expect(param(#"{"max_tokens": 5}"#) == "messages")
        #expect(param(#"{"max_tokens": 5, "messages": [{"role": "system", "content": "x"}]}"#) == "messages[0].role")
        #expect(param(#"{"max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "image", "source": {}}]}]}"#) == "messages[0].content[0].type")
        #expect(param(#"{"max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "tool_result"}]}]}"#) == "messages[0].content[0].tool_use_id")
        #expect(param(#"{"max_tokens": 5, "temperature": 1.5, "#+user+"}") == "temperature")
        #expect(param(#"{"max_tokens": 5, "stop_sequences": [1], "#+user+"}") == "stop_sequences[0]")
        #expect(param(#"{"max_tokens": 5, "tools": [{"type": "web_search_20250305", "name": "web_search"}], "#+user+"}") == "tools[0].type")
        #expect(param(#"{"max_tokens": 5, "tools": [{"name": "f"}], "#+user+"}") == "tools[0].input_schema")
        #expect(param(#"{"max_tokens": 5, "tool_choice": {"type": "tool", "name": "g"}, "tools": [{"name": "f", "input_schema": {}}], "#+user+"}") == "tool_choice.name")
        #expect(param(#"{"max_tokens": 5, "tool_choice": {"type": "any"}, "#+user+"}") == "tool_choice")
        #expect(param(#"{"max_tokens": 5, "thinking": {"type": "sometimes"}, "#+user+"}") == "thinking.type")
        #expect(param(#"{"max_tokens": 5, "thinking": {"type": "enabled", "budget_tokens": 9}, "#+user+"}") == "thinking.budget_tokens")
        #expect(param(#"{"max_tokens": 5, "system": [{"type": "image"}], "#+user+"}") == "system[0].type")
        #expect(param(#"{"max_tokens": 5, "output_config": {"format": {"type": "json_object"}}, "#+user+"}") == "output_config.format")
    }

    @Test func errorShapeFollowsTheStatus() {
        let e = AnthropicMessagesFormatter.error(.invalidRequest("'max_tokens' is required", param: "max_tokens"))
        #expect(e == ["type": "error", "error": ["type": "invalid_request_error", "message": "'max_tokens' is required"]])
        let types = [401, 404, 429, 500, 503].map { AnthropicMessagesFormatter.errorType(status: $0) }
        #expect(types == ["authentication_error", "not_found_error", "rate_limit_error", "api_error", "overloaded_error"])
    }

    /// The route table decides the error shape: Anthropic's on the Messages routes (with and
    /// without /v1), OpenAI's elsewhere, also for the server's own 401 bodies.
    @Test func routesCarryTheirErrorShape() throws {
        let anthropic = OpenAIService.routes.filter { $0.anthropicErrors }.map { $0.pattern }.sorted()
        #expect(anthropic == ["/messages", "/messages/count_tokens", "/v1/messages", "/v1/messages/count_tokens"])
        for route in OpenAIService.routes {
            let body: JSONValue = route.errorBody(OpenAIError.unavailable("loading"))
            let anthropicShaped = body["type"]?.stringValue == "error"
            let openAIShaped = body["error"]?["code"]?.stringValue == "service_unavailable"
            #expect(anthropicShaped == route.anthropicErrors)
            #expect(openAIShaped == !route.anthropicErrors)
        }
        #expect(Set(OpenAIService.routeErrorBodies.keys) == Set(anthropic))
        let builder = try #require(OpenAIService.routeErrorBodies["/v1/messages"])
        let unauthorized: JSONValue = try JSONValue.parse(builder(401, "No API key provided."))
        let expected: JSONValue = ["type": "error", "error": ["type": "authentication_error", "message": "No API key provided."]]
        #expect(unauthorized == expected)
        let responses = OpenAIService.routes.contains { $0.pattern == "/v1/responses" && !$0.anthropicErrors }
        #expect(responses)
    }
}
