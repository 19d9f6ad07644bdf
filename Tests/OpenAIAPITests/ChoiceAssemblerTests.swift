import Testing
@testable import OpenAIAPI

@Suite struct ChoiceAssemblerTests {
    func run(_ a: inout ChoiceAssembler, _ parts: [String]) -> [ChoiceDelta] {
        parts.flatMap { a.feed($0) } + a.finish()
    }

    @Test func forcedFunctionPrefillCompletesTheCall() {
        var a = ChoiceAssembler(parseTools: true, reasoning: .auto, prefill: "<|tool_call_start|>[get_weather(")
        let out = run(&a, ["city=", "\"Paris\")]", "<|tool_call_end|>", " done"])
        let calls = out.compactMap { if case .toolCall(let c) = $0 { return c } else { return nil } }
        #expect(calls.count == 1)
        #expect(calls.first?.name == "get_weather")
        #expect(calls.first?.arguments == #"{"city":"Paris"}"#)
        let content = out.compactMap { if case .content(let c) = $0 { return c } else { return nil } }.joined()
        #expect(content == " done")
    }

    /// Without tools a call is plain content, its marker tokens removed (docs/api.md, "Tool-call markup without tools").
    @Test func withoutToolsCallsArePlainContent() {
        var a = ChoiceAssembler(parseTools: false, reasoning: .none, prefill: "")
        let out = run(&a, ["<|tool_call_start|>[f()]", "<|tool_call_end|>"])
        #expect(out.compactMap { if case .content(let c) = $0 { return c } else { return nil } }.joined() == "[f()]")
        #expect(!out.contains { if case .toolCall = $0 { return true } else { return false } })
    }

    @Test func reasoningThenContent() {
        var a = ChoiceAssembler(parseTools: false, reasoning: .auto, prefill: "")
        let out = run(&a, ["<th", "ink>hmm", "</think>\n\nAnswer"])
        let reasoning = out.compactMap { if case .reasoning(let c) = $0 { return c } else { return nil } }.joined()
        let content = out.compactMap { if case .content(let c) = $0 { return c } else { return nil } }.joined()
        #expect(reasoning == "hmm" && content == "Answer")
    }

    @Test func promptThatOpensThinking() {
        #expect(OpenAIService.promptOpensThinking("<|im_start|>assistant\n<think>\n"))
        #expect(!OpenAIService.promptOpensThinking("<|im_start|>assistant\n"))
        var a = ChoiceAssembler(parseTools: false, reasoning: .auto, startsInReasoning: true, prefill: "")
        let out = run(&a, ["deep thought", "</think>ok"])
        #expect(out.contains(.reasoning("deep thought")))
    }
}
