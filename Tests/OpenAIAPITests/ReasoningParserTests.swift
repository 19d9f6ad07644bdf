import Testing
@testable import OpenAIAPI

/// One reasoning case.
struct ReasoningCase: Sendable, CustomTestStringConvertible {
    let name: String
    let input: String
    let reasoning: String?
    let content: String
    var options = ReasoningParserOptions()

    var testDescription: String { name }
}

let reasoningCases: [ReasoningCase] = [
    ReasoningCase(name: "closed block", input: "<think>\nLet me think.\n</think>\n\nThe answer is 4.",
                  reasoning: "Let me think.", content: "The answer is 4."),
    ReasoningCase(name: "leading whitespace before think", input: " \n<think>r</think>a", reasoning: "r", content: "a"),
    ReasoningCase(name: "open block at max_tokens", input: "<think>\nStill thinking about <thi",
                  reasoning: "Still thinking about <thi", content: ""),
    ReasoningCase(name: "open block ending in partial close tag", input: "<think>abc </thin",
                  reasoning: "abc </thin", content: ""),
    ReasoningCase(name: "no think block", input: "Just an answer.", reasoning: nil, content: "Just an answer."),
    ReasoningCase(name: "no think block keeps leading whitespace", input: "\n  Answer", reasoning: nil, content: "\n  Answer"),
    ReasoningCase(name: "text before think is all content by default", input: "Hi <think>x</think>y",
                  reasoning: nil, content: "Hi <think>x</think>y"),
    ReasoningCase(name: "text before think with detection", input: "Hi <think> x </think> y",
                  reasoning: "x", content: "Hi y",
                  options: ReasoningParserOptions(detectThinkAfterText: true)),
    ReasoningCase(name: "empty block", input: "<think></think>Answer", reasoning: "", content: "Answer"),
    ReasoningCase(name: "whitespace-only block", input: "<think>\n\n</think>\n\nAnswer", reasoning: "", content: "Answer"),
    ReasoningCase(name: "only second block is content", input: "<think>a</think>b<think>c</think>",
                  reasoning: "a", content: "b<think>c</think>"),
    ReasoningCase(name: "inner whitespace kept", input: "<think>step 1\n\nstep 2</think>ok",
                  reasoning: "step 1\n\nstep 2", content: "ok"),
    ReasoningCase(name: "content whitespace kept inside", input: "<think>r</think>\n\nline1\n\nline2\n",
                  reasoning: "r", content: "line1\n\nline2\n"),
    ReasoningCase(name: "lookalike tag", input: "<thinking>x</thinking>", reasoning: nil, content: "<thinking>x</thinking>"),
    ReasoningCase(name: "stray close tag", input: "a</think>b", reasoning: nil, content: "a</think>b"),
    ReasoningCase(name: "starts in reasoning", input: "I should add.\n</think>\n\n4",
                  reasoning: "I should add.", content: "4",
                  options: ReasoningParserOptions(startsInReasoning: true)),
    ReasoningCase(name: "starts in reasoning, never closed", input: "thinking...",
                  reasoning: "thinking...", content: "",
                  options: ReasoningParserOptions(startsInReasoning: true)),
    ReasoningCase(name: "format none keeps everything", input: "<think>r</think>\n\na",
                  reasoning: nil, content: "<think>r</think>\n\na",
                  options: ReasoningParserOptions(format: .none)),
    ReasoningCase(name: "format deepseek", input: "<think>r</think>a", reasoning: "r", content: "a",
                  options: ReasoningParserOptions(format: .deepseek)),
    ReasoningCase(name: "no trimming (vLLM style)", input: "<think>\nr\n</think>\n\na",
                  reasoning: "\nr\n", content: "\n\na",
                  options: ReasoningParserOptions(trimReasoning: false, trimContentStart: false)),
    ReasoningCase(name: "unicode", input: "<think>🤔 日本</think>答え 👍", reasoning: "🤔 日本", content: "答え 👍"),
    ReasoningCase(name: "empty output", input: "", reasoning: nil, content: ""),
    ReasoningCase(name: "whitespace-only output", input: " \n", reasoning: nil, content: " \n"),
    ReasoningCase(name: "only open tag", input: "<think>", reasoning: "", content: ""),
    ReasoningCase(name: "partial open tag only", input: "<thi", reasoning: nil, content: "<thi"),
    ReasoningCase(name: "think then tool call", input: "<think>need tool</think>" + TCStart + "[f()]" + TCEnd,
                  reasoning: "need tool", content: TCStart + "[f()]" + TCEnd),
]

@Suite("Reasoning parser")
struct ReasoningParserTests {
    @Test("table case", arguments: reasoningCases)
    func tableCase(_ c: ReasoningCase) {
        let r = ReasoningStreamParser.parse(c.input, options: c.options)
        #expect(r.reasoning == c.reasoning)
        #expect(r.content == c.content)
    }

    @Test("split at every scalar boundary", arguments: reasoningCases)
    func everySplit(_ c: ReasoningCase) {
        let expected = ReasoningStreamParser.parse(c.input, options: c.options)
        for split in twoWaySplits(c.input) {
            #expect(streamReasoning(split, options: c.options) == expected, "split \(split)")
        }
        #expect(streamReasoning(scalarDeltas(c.input), options: c.options) == expected)
    }

    @Test func tagsSplitAcrossTokens() {
        var p = ReasoningStreamParser()
        #expect(p.feed("<") == [])
        #expect(p.feed("think") == [])
        #expect(p.feed(">") == [])
        #expect(p.feed("\nHmm") == [.reasoning("Hmm")])
        #expect(p.feed(" ok\n<") == [.reasoning(" ok")])
        #expect(p.feed("/think") == [])
        #expect(p.feed(">\n\n") == [])
        #expect(p.feed("Yes") == [.content("Yes")])
        #expect(p.finish() == [])
    }

    @Test func plainContentStreamsImmediately() {
        var p = ReasoningStreamParser()
        #expect(p.feed("Hel") == [.content("Hel")])
        #expect(p.feed("lo <think>") == [.content("lo <think>")])
    }

    @Test func combinedPipelineSplitsReasoningThenToolCalls() {
        let text = "<think>\nThe user wants weather.\n</think>\n\n" + TCStart + #"[get_weather(city="Paris")]"# + TCEnd + "Checking."
        let r = AssistantOutputParser.parse(text, toolCalls: testOptions)
        #expect(r.reasoning == "The user wants weather.")
        #expect(r.content == "Checking.")
        #expect(r.toolCalls == [ToolCall(index: 0, id: "call_0", name: "get_weather", arguments: #"{"city":"Paris"}"#)])
        // Streaming in every two-way split gives the same.
        for split in twoWaySplits(text) {
            var p = AssistantOutputParser(toolCalls: testOptions)
            var events: [AssistantOutputEvent] = []
            for d in split { events += p.feed(d) }
            events += p.finish()
            var reasoning = "", content = ""
            var calls: [ToolCall] = []
            for e in events {
                switch e {
                case .reasoning(let x): reasoning += x
                case .content(let x): content += x
                case .toolCall(let c): calls.append(c)
                }
            }
            #expect(reasoning == r.reasoning && content == r.content && calls == r.toolCalls)
        }
    }

    @Test func pipelineWithoutTools() {
        let r = AssistantOutputParser.parse("<think>r</think>" + TCStart + "[f()]" + TCEnd, toolCalls: nil)
        #expect(r.reasoning == "r")
        #expect(r.content == "[f()]")   // markers removed without tools
        #expect(r.toolCalls.isEmpty)
    }
}
