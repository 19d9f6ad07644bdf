import Foundation
import LFMTestSupport
import LFMTokenizer
import OrderedJSON
import Testing
@testable import OpenAIAPI

/// Prompt building for assistant prefill (`continue_final_message`, `add_generation_prompt`).
struct AssistantPrefillTests {
    let template: ChatTemplate

    init() throws { template = try ChatTemplate.load(fromModelDirectory: Fixtures.url("models/tiny-chat")) }

    func messages(_ last: String, role: String = "assistant") -> [JSONValue] {
        [["role": "user", "content": "Name a colour."], ["role": .string(role), "content": .string(last)]]
    }

    func prompt(_ msgs: [JSONValue], continueFlag: Bool? = nil, generationPrompt: Bool? = nil) throws -> String {
        let mode = try AssistantPrefill.mode(continueFlag: continueFlag, generationPromptFlag: generationPrompt, messages: msgs)
        let rendered = try AssistantPrefill.render(template, messages: msgs, tools: nil, mode: mode, extraContext: [:])
        return try AssistantPrefill.prompt(rendered: rendered, mode: mode, messages: msgs)
    }

    @Test func continueFinalMessageEndsInsideTheAssistantTurn() throws {
        let expected = "<|startoftext|><|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\nThe colour is"
        #expect(try prompt(messages("The colour is"), continueFlag: true) == expected)
        // vLLM's add_generation_prompt: false with an assistant message last continues it too.
        #expect(try prompt(messages("The colour is"), generationPrompt: false) == expected)
        // Trailing whitespace the template keeps is kept.
        #expect(try prompt(messages("The colour is "), continueFlag: true) == expected + " ")
    }

    @Test func defaultStartsANewTurnAfterAFinalAssistantMessage() throws {
        #expect(try prompt(messages("Red.")) == "<|startoftext|><|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\nRed.<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func emptyFinalMessageIsAnOpenedTurn() throws {
        #expect(try prompt(messages(""), continueFlag: true) == "<|startoftext|><|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func noGenerationPromptAfterAUserMessage() throws {
        #expect(try prompt(messages("Hi", role: "user"), generationPrompt: false).hasSuffix("<|im_start|>user\nHi<|im_end|>\n"))
    }

    @Test func contentRepeatedEarlierIsCutAtItsLastOccurrence() throws {
        let msgs: [JSONValue] = [["role": "user", "content": "Say: yes"], ["role": "assistant", "content": "yes"]]
        #expect(try prompt(msgs, continueFlag: true).hasSuffix("<|im_start|>assistant\nyes"))
    }

    @Test func invalidCombinationsAre400() throws {
        #expect(throws: OpenAIError.self) { try prompt(messages("Hi", role: "user"), continueFlag: true) }
        #expect(throws: OpenAIError.self) { try prompt(messages("Hi"), continueFlag: true, generationPrompt: true) }
        // A template that drops the content cannot be continued.
        #expect(throws: OpenAIError.self) { try AssistantPrefill.cut("<|im_start|>assistant\n<|im_end|>", afterFinalContent: "abc") }
    }
}
