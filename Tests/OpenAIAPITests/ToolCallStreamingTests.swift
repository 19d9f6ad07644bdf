import Testing
@testable import OpenAIAPI

/// Every table input plus a few long mixed outputs, for the split-invariance tests.
let streamingCorpus: [String] = toolCases.map(\.input) + [
    "Sure.\n" + TCStart + #"[get_weather(city="Paris", days=3), get_time()]"# + TCEnd + "Checking now." + TCStart + "[x(" ,
    "<|tool_call_start|><|tool_call_start|>[f()]" + TCEnd,
    "<<|<|tool<|tool_call_start|>[f(a='<|tool_call_end')]<|tool_call_end|><|tool_call_end|>",
    "a<|tool_call_star" + "t|>[{\"name\": \"f\", \"arguments\": {\"q\": \"}\"}}]" + TCEnd + "b",
]

@Suite("Tool-call parser: streaming")
struct ToolCallStreamingTests {
    @Test("split at every scalar boundary into two deltas", arguments: Array(streamingCorpus.indices))
    func everyTwoWaySplit(_ i: Int) {
        let text = streamingCorpus[i]
        let expected = ToolCallStreamParser.parse(text, options: testOptions)
        for split in twoWaySplits(text) {
            #expect(streamToolCalls(split) == expected, "split \(split)")
        }
    }

    @Test("one scalar per delta", arguments: Array(streamingCorpus.indices))
    func oneScalarAtATime(_ i: Int) {
        let text = streamingCorpus[i]
        #expect(streamToolCalls(scalarDeltas(text)) == ToolCallStreamParser.parse(text, options: testOptions))
    }

    /// A long argument streamed a scalar at a time parses like the whole text (the call is
    /// re-parsed only at closing brackets or when its text doubled), and a malformed call is
    /// still found before the block ends.
    @Test func longArgumentsStreamAndMalformedCallsAreFoundEarly() {
        let body = String(repeating: "ab(c) {d} ", count: 400)
        let text = TCStart + "[f(text=\"" + body + "\", n=2)]" + TCEnd + "after"
        #expect(streamToolCalls(scalarDeltas(text)) == ToolCallStreamParser.parse(text, options: testOptions))

        var parser = ToolCallStreamParser(options: testOptions)
        let long = "[f(a=\"" + String(repeating: "y", count: 300) + "\""
        var out = parser.feed(TCStart + long)
        #expect(out.isEmpty)
        out += parser.feed(" b")
        for _ in 0..<400 where out.isEmpty { out += parser.feed("x") }
        #expect(!out.isEmpty, "the malformed call became content before the block ended")
    }

    @Test func contentIsNotHeldBackNeedlessly() {
        var parser = ToolCallStreamParser(options: testOptions)
        #expect(parser.feed("Hello ") == [.content("Hello ")])
        #expect(parser.feed("wor<|tool") == [.content("wor")])
        #expect(parser.feed("box|>") == [.content("<|toolbox|>")])
        #expect(parser.feed("<") == [])
        #expect(parser.finish() == [.content("<")])
    }

    @Test func callsAreEmittedAsSoonAsTheyClose() {
        var parser = ToolCallStreamParser(options: testOptions)
        #expect(parser.feed("Ok" + TCStart + "[f(a=") == [.content("Ok")])
        #expect(parser.feed("1), g(") == [.toolCall(ToolCall(index: 0, id: "call_0", name: "f", arguments: #"{"a":1}"#))])
        #expect(parser.feed("b='x')") == [.toolCall(ToolCall(index: 1, id: "call_1", name: "g", arguments: #"{"b":"x"}"#))])
        #expect(parser.feed("]<|tool_call") == [])
        #expect(parser.feed("_end|>Done") == [.content("Done")])
        #expect(parser.finish() == [])
        #expect(parser.toolCallCount == 2)
    }

    @Test func malformedBlockStreamsAsContentOnceKnownBad() {
        var parser = ToolCallStreamParser(options: testOptions)
        // `Sorry` could still be a function name (`Sorry(`): held until the comma rules it out.
        #expect(parser.feed(TCStart + "Sorry") == [])
        #expect(parser.feed(",") == [.content(TCStart + "Sorry,")])
        #expect(parser.feed(", no tools" + TCEnd + "!") == [.content(", no tools" + TCEnd + "!")])
    }

    @Test func numberAtEndOfDeltaWaitsForMore() {
        // `f(a=12` could continue as `f(a=123)`: nothing is emitted until `)`.
        var parser = ToolCallStreamParser(options: testOptions)
        #expect(parser.feed(TCStart + "[f(a=12") == [])
        #expect(parser.feed("3)]" + TCEnd) == [.toolCall(ToolCall(index: 0, id: "call_0", name: "f", arguments: #"{"a":123}"#))])
    }

    @Test func feedAfterFinishIsIgnored() {
        var parser = ToolCallStreamParser(options: testOptions)
        #expect(parser.feed("a<|") == [.content("a")])
        #expect(parser.finish() == [.content("<|")])
        #expect(parser.feed("b") == [])
        #expect(parser.finish() == [])
    }
}
