import LFMTestSupport
import OrderedJSON
import Testing
@testable import OpenAIAPI

@Suite("Parser fuzzing")
struct ParserFuzzTests {
    static let fragments: [String] = [
        "<|tool_call_start|>", "<|tool_call_end|>", "<|tool_", "call_", "start|>", "end|>", "<|", "|>",
        "<think>", "</think>", "<th", "ink>", "</", "[", "]", "(", ")", "{", "}", ",", "=", ":", "'", "\"",
        "'''", "\\", "\\u", "\\x4", "f", "get_weather", "city", "a", "x=", "True", "None", "null", "-", "1",
        "2.5", "e", "0x", " ", "\n", "é", "😀", "\u{301}", "r", "_", ".", "#",
    ]

    static func randomText(_ rng: inout SplitMix64) -> String {
        var s = ""
        for _ in 0..<Int.random(in: 0...24, using: &rng) {
            s += fragments[Int.random(in: 0..<fragments.count, using: &rng)]
        }
        return s
    }

    @Test func randomInputsNeverCrashAndStayConsistent() throws {
        var rng = SplitMix64(seed: 0x5EED_1F32)
        for _ in 0..<20_000 {
            let text = Self.randomText(&rng)
            let oneShot = ToolCallStreamParser.parse(text, options: testOptions)
            // Arguments are always valid JSON objects.
            for call in oneShot.toolCalls {
                #expect((try? JSONValue.parse(call.arguments))?.objectValue != nil)
            }
            // Without a start marker, content reproduces the input exactly.
            if !text.contains(TCStart) { #expect(oneShot.content == text && oneShot.toolCalls.isEmpty) }
            // Content never exceeds the input and no input scalar is invented.
            #expect(oneShot.content.unicodeScalars.count <= text.unicodeScalars.count)
            // A random split and scalar-by-scalar streaming agree with the one-shot parse.
            let n = text.unicodeScalars.count
            let cut = Int.random(in: 0...n, using: &rng)
            #expect(streamToolCalls([scalarSlice(text, 0..<cut), scalarSlice(text, cut..<n)]) == oneShot)
            if n < 40 { #expect(streamToolCalls(scalarDeltas(text)) == oneShot) }

            // Reasoning: one-shot equals streaming, and reasoning+content never invent text.
            let r = ReasoningStreamParser.parse(text)
            #expect(streamReasoning([scalarSlice(text, 0..<cut), scalarSlice(text, cut..<n)]) == r)
            #expect((r.reasoning ?? "").unicodeScalars.count + r.content.unicodeScalars.count <= n)
            let none = ReasoningStreamParser.parse(text, options: ReasoningParserOptions(format: .none))
            #expect(none.content == text && none.reasoning == nil)
        }
    }

    @Test func hostileNestingDoesNotOverflowTheStack() {
        let deep = TCStart + "[f(a=" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + ")]" + TCEnd
        let r = ToolCallStreamParser.parse(deep, options: testOptions)
        #expect(r.toolCalls.isEmpty)
        #expect(r.content == deep)
    }
}
