import Foundation
import LFMTokenizer
import OrderedJSON

/// Building the chat prompt when the client wants the final assistant message continued
/// ("assistant prefill": `continue_final_message: true`, or `add_generation_prompt: false`
/// with an assistant message last), as vLLM and transformers' `apply_chat_template` do: the
/// template is rendered without the generation prompt and the text is cut right after the
/// final message's content, dropping the template's end-of-turn, so the model's output
/// continues that content (docs/api.md, "Assistant prefill").
enum AssistantPrefill {
    /// How the prompt ends, from the request's flags and its messages.
    enum Mode: Equatable {
        /// A new assistant turn (`add_generation_prompt`, the default, also when the last
        /// message is an assistant message: it is then a finished turn).
        case newTurn
        /// The template without the generation prompt (`add_generation_prompt: false` and the
        /// last message is not an assistant message).
        case noGenerationPrompt
        /// The final assistant message continued.
        case continueFinal
    }

    /// Decides the mode. `continueFlag` / `generationPromptFlag` are the request's
    /// `continue_final_message` / `add_generation_prompt` when given.
    /// - Throws: 400 when both flags are true, or continuation is asked without an assistant message last.
    static func mode(continueFlag: Bool?, generationPromptFlag: Bool?, messages: [JSONValue]) throws(OpenAIError) -> Mode {
        let lastIsAssistant = messages.last?["role"] == "assistant"
        if continueFlag == true {
            guard generationPromptFlag != true else {
                throw .invalidRequest("'continue_final_message' and 'add_generation_prompt' cannot both be true", param: "continue_final_message")
            }
            guard lastIsAssistant else {
                throw .invalidRequest("'continue_final_message' needs an assistant message last in 'messages'", param: "continue_final_message")
            }
            return .continueFinal
        }
        if generationPromptFlag == false { return lastIsAssistant ? .continueFinal : .noGenerationPrompt }
        return .newTurn
    }

    /// Renders `messages` for `mode`; pass the result to ``prompt(rendered:mode:messages:)``.
    /// An empty final assistant message is continued by rendering the conversation before it
    /// with the generation prompt (the same prompt: an opened assistant turn, nothing in it yet).
    static func render(_ template: ChatTemplate, messages: [JSONValue], tools: [JSONValue]?, mode: Mode,
                       extraContext: [String: JSONValue]) throws -> String {
        switch mode {
        case .newTurn:
            return try template.render(messages: messages, tools: tools, addGenerationPrompt: true, extraContext: extraContext)
        case .noGenerationPrompt:
            return try template.render(messages: messages, tools: tools, addGenerationPrompt: false, extraContext: extraContext)
        case .continueFinal:
            if finalContent(messages).isEmpty {
                return try template.render(messages: Array(messages.dropLast()), tools: tools, addGenerationPrompt: true,
                                           extraContext: extraContext)
            }
            return try template.render(messages: messages, tools: tools, addGenerationPrompt: false, extraContext: extraContext)
        }
    }

    /// The prompt text from the rendering: cut after the final content when continuing it.
    /// - Throws: 400 when the template does not keep the final message's content.
    static func prompt(rendered: String, mode: Mode, messages: [JSONValue]) throws(OpenAIError) -> String {
        let final = finalContent(messages)
        guard mode == .continueFinal, !final.isEmpty else { return rendered }
        return try cut(rendered, afterFinalContent: final)
    }

    private static func finalContent(_ messages: [JSONValue]) -> String { messages.last?["content"]?.stringValue ?? "" }

    /// The rendered chat up to the end of the final message's content (transformers'
    /// `apply_chat_template(continue_final_message=True)`: the last occurrence of the stripped
    /// content; the content's trailing whitespace is kept when the template kept it).
    /// - Throws: 400 when the content does not appear in the rendered text.
    static func cut(_ rendered: String, afterFinalContent content: String) throws(OpenAIError) -> String {
        let stripped = content.trimmingPythonWhitespace()
        guard !stripped.isEmpty, let range = rendered.range(of: stripped, options: .backwards) else {
            throw .invalidRequest("the final assistant message cannot be continued: the chat template does not keep its content",
                                  param: "messages")
        }
        let start = range.lowerBound
        let leftStripped = String(content.drop { $0.isPythonWhitespace })
        if rendered[start...].hasPrefix(leftStripped) {
            return String(rendered[..<rendered.index(start, offsetBy: leftStripped.count)])
        }
        return String(rendered[..<range.upperBound])
    }
}

extension Character {
    /// Whitespace as Python's `str.strip()` sees it (for the characters templates meet).
    var isPythonWhitespace: Bool { isWhitespace }
}

extension String {
    /// `str.strip()` with no argument.
    func trimmingPythonWhitespace() -> String {
        let head = drop { $0.isPythonWhitespace }
        var end = head.endIndex
        while end > head.startIndex, head[head.index(before: end)].isPythonWhitespace { end = head.index(before: end) }
        return String(head[..<end])
    }
}
