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
        try checkModel(chat.model)
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
        let constraint = try structuredOutputs.constraint(structured: chat.structured, tools: StructuredOutputs.tools(tools),
                                                          choice: chat.toolChoice, parallel: chat.parallelToolCalls, reasoning: reasoning)
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
        let maxTokens = try resolveMaxTokens(chat.options.maxTokens, promptTokens: promptIDs.count)
        let options = chat.options
        try options.validate(vocabularySize: engine.model.checkpoint.config.vocabSize)
        let id = "chatcmpl-" + randomID()
        let run = ChatRun(id: id, model: configuration.modelID, created: Int(Date().timeIntervalSince1970),
                          choices: options.n, options: options, parseTools: tools != nil, prefill: prefill, reasoning: mode,
                          startsInReasoning: startsInReasoning, tokenizer: tokenizer, metrics: metrics)
        let requests = (0..<options.n).map { i in
            var sampling = options.sampling
            if let s = sampling.seed { sampling.seed = s &+ UInt64(i) }
            var request = GenerationRequest(id: "\(id)-\(i)", promptTokens: promptIDs, sampling: sampling, maxTokens: maxTokens,
                                            stopStrings: options.stop, ignoreEOS: options.ignoreEOS, logprobs: options.logprobs,
                                            topLogprobs: options.logprobs ? max(options.topLogprobs, 0) : 0, skipSpecialTokens: false,
                                            constraint: constraint)
            request.loopGuard = options.resolvedLoopGuard(default: configuration.loopGuard)
            return request
        }
        try start(requests, promptParam: "messages", stream: options.stream, res: res, attach: { run.attach($0) }, onComplete: { run.onComplete($0) },
                  sink: { i, event in run.handle(choice: i, event: event) })
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
