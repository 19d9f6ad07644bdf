import Foundation
import HTTPServer
import LFMRuntime
import LFMTokenizer
import OrderedJSON
import Synchronization

extension OpenAIService {
    /// `POST /v1/chat/completions`, streamed (SSE) or not.
    func chatCompletions(_ req: HTTPRequest, _ res: HTTPResponder) throws(OpenAIError) {
        let body = try parseBody(req)
        let chat = try ChatCompletionRequest(body)
        try runChat(chat, res: res, idPrefix: "chatcmpl-") { id, created, options, _ in
            ChatCompletionsFormatter(id: id, model: self.configuration.modelID, created: created, options: options)
        }
    }

    /// Makes the output formatter of a run: id, creation time, options, prompt tokens.
    typealias FormatterFactory = @Sendable (String, Int, GenerationOptions, Int) -> any ChatOutputFormatter

    /// A chat request rendered by the chat template and tokenized.
    struct ChatPrompt {
        var text: String
        /// Text the prompt ends with that belongs to the answer (a forced tool call's opening).
        var prefill: String
        var ids: [Int]
        /// The tools the model was offered (nil when none or `tool_choice` is none).
        var tools: [JSONValue]?
        /// The prompt ends inside an opened `<think>` block.
        var startsInReasoning: Bool
        /// How a constraint treats a think block before the answer.
        var constraintReasoning: OutputConstraint.Reasoning
    }

    /// Runs a chat request, whichever API it came through, and answers it in the format
    /// `formatter` writes: the one path of chat.completions, Anthropic Messages and Responses.
    func runChat(_ chat: ChatCompletionRequest, res: HTTPResponder, idPrefix: String,
                 formatter: FormatterFactory) throws(OpenAIError) {
        try checkModel(chat.model)
        let prompt = try chatPrompt(chat)
        let (text, prefill, promptIDs, tools) = (prompt.text, prompt.prefill, prompt.ids, prompt.tools)
        let maxTokens = try resolveMaxTokens(chat.options.maxTokens, promptTokens: promptIDs.count)
        let options = chat.options
        try options.validate(vocabularySize: engine.model.checkpoint.config.vocabSize)
        let mode = chat.reasoning ?? configuration.reasoning
        let constraint = try structuredOutputs.constraint(structured: chat.structured, tools: StructuredOutputs.tools(tools),
                                                          choice: chat.toolChoice, parallel: chat.parallelToolCalls,
                                                          reasoning: prompt.constraintReasoning)
        let reasoningLimit = self.reasoningLimit(asked: chat.reasoningBudget, startsInside: prompt.startsInReasoning)
        let id = idPrefix + randomID()
        let created = Int(Date().timeIntervalSince1970)
        let run = ChatRun(id: id, choices: options.n, options: options, parseTools: tools != nil, prefill: prefill, reasoning: mode,
                          startsInReasoning: prompt.startsInReasoning, tokenizer: tokenizer, metrics: metrics,
                          formatter: formatter(id, created, options, promptIDs.count))
        let requests = (0..<options.n).map { i in
            var sampling = options.sampling
            if let s = sampling.seed { sampling.seed = s &+ UInt64(i) }
            var request = GenerationRequest(id: "\(id)-\(i)", promptTokens: promptIDs, sampling: sampling, maxTokens: maxTokens,
                                            stopStrings: options.stop, ignoreEOS: options.ignoreEOS, logprobs: options.logprobs,
                                            topLogprobs: options.logprobs ? max(options.topLogprobs, 0) : 0, skipSpecialTokens: false,
                                            constraint: constraint, reasoningLimit: reasoningLimit)
            request.loopGuard = options.resolvedLoopGuard(default: configuration.loopGuard)
            if request.loopGuard != nil && request.reasoningLimit == nil {
                // Track the think block so a loop inside it closes the block instead of ending the answer.
                request.reasoningLimit = self.reasoningLimit(asked: Int.max, startsInside: prompt.startsInReasoning)
            }
            return request
        }
        try start(requests, promptParam: "messages", stream: options.stream, res: res, attach: { run.attach($0) }, onComplete: { run.onComplete($0) },
                  sink: { i, event in run.handle(choice: i, event: event) })
    }

    /// Renders `chat` with the chat template (plus a forced tool choice's prefill) and tokenizes it.
    func chatPrompt(_ chat: ChatCompletionRequest) throws(OpenAIError) -> ChatPrompt {
        guard let template else { throw .invalidRequest("the model has no chat template; use /v1/completions") }
        let tools = chat.toolChoice == .none ? nil : chat.tools
        let rendered: String
        let messages = template.source.contains("tool_calls") ? chat.messages : ChatCompletionRequest.inlineToolCalls(chat.messages)
        let ending = try AssistantPrefill.mode(continueFlag: chat.continueFinalMessage, generationPromptFlag: chat.addGenerationPrompt,
                                               messages: messages)
        do {
            rendered = try AssistantPrefill.render(template, messages: messages, tools: tools, mode: ending, extraContext: chat.templateKwargs)
        } catch {
            throw .invalidRequest("the chat template rejected the conversation: \(error)", param: "messages")
        }
        let text = try AssistantPrefill.prompt(rendered: rendered, mode: ending, messages: messages)
        let mode = chat.reasoning ?? configuration.reasoning
        let startsInReasoning = Self.promptOpensThinking(text)
        // A think block stays free under a constraint when reasoning is parsed and the template knows it.
        let reasoning: OutputConstraint.Reasoning = mode == .none ? .none
            : startsInReasoning ? .open : (template.source.contains("</think>") ? .optional : .none)
        // Forced tool choice without the tool-call tokens in the vocabulary: open the call in the
        // assistant turn so the model writes it.
        var prefill = ""
        if structuredOutputs.toolCallTokens == nil {
            switch chat.toolChoice {
            case .required: prefill = "<|tool_call_start|>["
            case .function(let name): prefill = "<|tool_call_start|>[\(name)("
            case .none, .auto: break
            }
        }
        let promptIDs = tokenizer.encode(text + prefill, addSpecialTokens: false)   // the template emits BOS itself
        return ChatPrompt(text: text, prefill: prefill, ids: promptIDs, tools: tools, startsInReasoning: startsInReasoning,
                          constraintReasoning: reasoning)
    }

    /// The think-block limit of a request: its own budget (negative: none) or the server default.
    func reasoningLimit(asked: Int?, startsInside: Bool) -> ReasoningLimit? {
        guard let budget = asked ?? configuration.reasoningBudget, budget >= 0 else { return nil }
        return ReasoningLimit(budget: budget, closeTokens: tokenizer.encode("\n</think>\n\n", addSpecialTokens: false),
                              startsInside: startsInside)
    }

    /// Whether the rendered prompt ends inside an opened `<think>` block (templates that
    /// prefill it), so the output starts as reasoning.
    static func promptOpensThinking(_ prompt: String) -> Bool {
        let trimmed = prompt.reversed().drop { $0.isWhitespace }
        return String(trimmed.prefix(7).reversed()) == "<think>"
    }

    /// max_tokens as asked (400 when prompt + max_tokens exceed the context), else what is left of the context.
    /// `promptField` names the request field of the prompt (`messages`, or `prompt` for completions).
    func resolveMaxTokens(_ asked: Int?, promptTokens: Int, promptField: String = "messages") throws(OpenAIError) -> Int {
        let context = engine.contextLength
        let what = promptField == "messages" ? "messages" : "prompt"
        guard promptTokens < context else {
            throw .invalidRequest("This model's maximum context length is \(context) tokens. However, your \(what) resulted in \(promptTokens) tokens.",
                                  param: promptField, code: "context_length_exceeded")
        }
        if let m = asked {
            guard promptTokens + m <= context else {
                throw .invalidRequest("This model's maximum context length is \(context) tokens. However, you requested \(promptTokens + m) tokens (\(promptTokens) in the \(what), \(m) in the completion). Please reduce the length of the \(what) or completion.",
                                      param: "max_tokens", code: "context_length_exceeded")
            }
            return m
        }
        return min(configuration.defaultMaxTokens ?? Int.max, context - promptTokens)
    }
}

/// A random alphanumeric id suffix (OpenAI ids look like `chatcmpl-…`).
func randomID(_ n: Int = 24) -> String {
    let chars = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    return String((0..<n).map { _ in chars.randomElement()! })
}
