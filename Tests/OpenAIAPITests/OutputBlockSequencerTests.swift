import Testing
@testable import OpenAIAPI

@Suite struct OutputBlockSequencerTests {
    @Test func reasoningTextAndCallsBecomeOrderedBlocks() {
        var s = OutputBlockSequencer()
        let call = ToolCall(index: 0, id: "call_1", name: "f", arguments: #"{"a":1}"#)
        var steps = s.feed([.reasoning("Let me "), .reasoning("think.")])
        steps += s.feed([])
        steps += s.feed([.content(""), .content("Answer"), .toolCall(call), .content(" more")])
        steps += s.finish()
        steps += s.finish()
        #expect(steps == [
            .open(.reasoning, index: 0), .append(.reasoning, index: 0, text: "Let me "), .append(.reasoning, index: 0, text: "think."),
            .close(.reasoning, index: 0, text: "Let me think."),
            .open(.text, index: 1), .append(.text, index: 1, text: "Answer"), .close(.text, index: 1, text: "Answer"),
            .toolCall(call, index: 2),
            .open(.text, index: 3), .append(.text, index: 3, text: " more"), .close(.text, index: 3, text: " more"),
        ])
        #expect(s.nextIndex == 4)
    }

    @Test func nothingProducedMeansNoBlocks() {
        var s = OutputBlockSequencer()
        #expect(s.feed([.content("")]) == [] && s.finish() == [])
    }
}
