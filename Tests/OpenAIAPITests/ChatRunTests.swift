import Foundation
import LFMRuntime
import LFMTestSupport
import LFMTokenizer
import OrderedJSON
import Synchronization
import Testing
@testable import OpenAIAPI

@Suite struct ChatRunTests {
    static let tokenizer = try! Tokenizer.load(directory: Fixtures.url("lfm2-tokenizer"))

    func options(_ body: JSONValue) throws -> GenerationOptions {
        try GenerationOptions(RequestReader(body), maxTokensKeys: ["max_tokens"], logprobsAsInt: false)
    }

    func token(_ text: String) -> GenerationEvent {
        .token(TokenOutput(id: 1, text: text, logprob: -0.5, topLogprobs: []))
    }

    /// Runs events through a non-streamed ChatRun and returns the response JSON.
    func respond(_ events: [GenerationEvent], tools: Bool, reasoning: ReasoningFormat = .auto) throws -> JSONValue {
        let run = ChatRun(id: "chatcmpl-x", model: "m", created: 1, choices: 1, options: try options([:]), parseTools: tools,
                          prefill: "", reasoning: reasoning, startsInReasoning: false, tokenizer: Self.tokenizer)
        let box = Mutex<JSONValue?>(nil)
        run.onComplete { v, _ in box.withLock { $0 = v } }
        for e in events { run.handle(choice: 0, event: e) }
        return try #require(box.withLock { $0 })
    }

    /// A failure that arrives before the completion is registered is still answered as an
    /// error with its status, never as a 200 with empty content.
    @Test func earlyFailureIsAnErrorNotAnEmpty200() throws {
        for registerFirst in [false, true] {
            let run = ChatRun(id: "chatcmpl-x", model: "m", created: 1, choices: 2, options: try options([:]), parseTools: false,
                              prefill: "", reasoning: .auto, startsInReasoning: false, tokenizer: Self.tokenizer)
            let box = Mutex<(JSONValue, Int)?>(nil)
            if registerFirst { run.onComplete { v, s in box.withLock { $0 = (v, s) } } }
            run.handle(choice: 1, event: .failed("boom"))
            run.handle(choice: 0, event: token("late"))
            if !registerFirst { run.onComplete { v, s in box.withLock { $0 = (v, s) } } }
            let (value, status) = try #require(box.withLock { $0 })
            #expect(status == 500)
            #expect(value["error"]?["message"]?.stringValue?.contains("boom") == true)
            #expect(value["choices"] == nil)
        }
    }

    /// Tokens produced before the stream is attached come after the opening events: the
    /// Responses `sequence_number`s are 0, 1, 2, … in the order the events are sent.
    @Test func eventsHeldBeforeAttachKeepTheirOrder() throws {
        let formatter = ResponsesFormatter(id: "resp_1", model: "m", createdAt: 1, echo: ResponsesRequest.Echo())
        let run = ChatRun(id: "resp_1", choices: 1, options: try options(["stream": true]), parseTools: false, prefill: "",
                          reasoning: .auto, startsInReasoning: false, tokenizer: Self.tokenizer, formatter: formatter)
        run.handle(choice: 0, event: token("<think>hm"))
        run.handle(choice: 0, event: token("</think>Hi"))
        run.handle(choice: 0, event: .finished(reason: .stop, trailingText: "", usage: GenerationUsage(promptTokens: 3, completionTokens: 2, cachedTokens: 0)))
        let events = run.heldEvents.compactMap { try? JSONValue.parse($0.data) }
        #expect(events.first?["type"] == "response.created")
        #expect(events.last?["type"] == "response.completed")
        #expect(events.map { $0["sequence_number"]?.intValue } == Array(0..<events.count))
    }

    /// A call cut off by max_tokens before its end marker is content, with finish_reason length.
    @Test func toolCallCutByMaxTokensStaysContent() throws {
        let cut = try respond([token("<|tool_call_start|>[get_weather(city="), token("\"Par"),
                               .finished(reason: .length, trailingText: "", usage: GenerationUsage(promptTokens: 9, completionTokens: 2, cachedTokens: 0))],
                              tools: true)
        let c = try #require(cut["choices"]?[0])
        #expect(c["finish_reason"] == "length")
        #expect(c["message"]?["tool_calls"] == nil)
        #expect(c["message"]?["content"] == "<|tool_call_start|>[get_weather(city=\"Par")
        // A complete first call stands; only the call being written is content.
        let partial = try respond([token("<|tool_call_start|>[f(a=1), g(b="),
                                   .finished(reason: .length, trailingText: "", usage: GenerationUsage(promptTokens: 9, completionTokens: 1, cachedTokens: 0))],
                                  tools: true)
        let p = try #require(partial["choices"]?[0])
        #expect(p["message"]?["tool_calls"]?[0]?["function"]?["name"] == "f")
        #expect(p["message"]?["content"] == " g(b=")
        #expect(p["finish_reason"] == "length")
    }

    @Test func toolCallsBecomeOpenAIToolCalls() throws {
        let r = try respond([token("<|tool_call_start|>[get_weather(city="), token("\"Paris\", days=2)]<|tool_call_end|>"),
                             .finished(reason: .stop, trailingText: "", usage: GenerationUsage(promptTokens: 9, completionTokens: 2, cachedTokens: 0))],
                            tools: true)
        let choice = try #require(r["choices"]?[0])
        #expect(choice["finish_reason"] == "tool_calls")
        #expect(choice["message"]?["content"] == JSONValue.null)
        let call = try #require(choice["message"]?["tool_calls"]?[0])
        #expect(call["type"] == "function")
        #expect(call["function"]?["name"] == "get_weather")
        #expect(call["function"]?["arguments"] == #"{"city":"Paris","days":2}"#)
        #expect(call["id"]?.stringValue?.hasPrefix("call_") == true)
        #expect(r["usage"]?["total_tokens"] == 11)
    }

    @Test func reasoningIsSplitOut() throws {
        let r = try respond([token("<think>"), token("step 1"), token("</think>"), token("The answer is 4."),
                             .finished(reason: .stop, trailingText: "", usage: GenerationUsage(promptTokens: 1, completionTokens: 4, cachedTokens: 0))],
                            tools: false)
        let msg = try #require(r["choices"]?[0]?["message"])
        #expect(msg["reasoning_content"] == "step 1")
        #expect(msg["content"] == "The answer is 4.")
    }

    @Test func openThinkBlockAtMaxTokensIsReasoning() throws {
        let r = try respond([token("<think>still thinking"),
                             .finished(reason: .length, trailingText: "", usage: GenerationUsage(promptTokens: 1, completionTokens: 1, cachedTokens: 0))],
                            tools: false)
        let c = try #require(r["choices"]?[0])
        #expect(c["finish_reason"] == "length")
        #expect(c["message"]?["reasoning_content"] == "still thinking")
        #expect(c["message"]?["content"] == "")
    }

    @Test func reasoningFormatNoneKeepsTheTags() throws {
        let r = try respond([token("<think>x</think>y"),
                             .finished(reason: .stop, trailingText: "", usage: GenerationUsage(promptTokens: 1, completionTokens: 1, cachedTokens: 0))],
                            tools: false, reasoning: .none)
        #expect(r["choices"]?[0]?["message"]?["content"] == "<think>x</think>y")
    }

    @Test func failureBecomesAServerError() throws {
        let r = try respond([.failed("boom")], tools: false)
        #expect(r["error"]?["type"] == "server_error")
    }
}
