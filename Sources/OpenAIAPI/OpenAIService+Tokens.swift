import HTTPServer
import OrderedJSON

extension OpenAIService {
    /// `POST /tokenize`: `{"content" | "prompt": string, "add_special": bool}` → `{"tokens": [...], "count": n}`;
    /// or `{"messages": [...]}` to tokenize a rendered chat prompt.
    func tokenize(_ req: HTTPRequest, _ res: HTTPResponder) throws(OpenAIError) {
        let r = try RequestReader(try parseBody(req))
        let ids: [Int]
        if let messages = try r.array("messages") {
            guard let template else { throw .invalidRequest("the model has no chat template") }
            let normalised = try messages.enumerated().map { (i, m) throws(OpenAIError) -> JSONValue in try ChatCompletionRequest.normalise(m, index: i) }
            let tools = try r.array("tools")
            let messages = template.source.contains("tool_calls") ? normalised : ChatCompletionRequest.inlineToolCalls(normalised)
            // As chat completions build it, with the same assistant-prefill fields.
            let ending = try AssistantPrefill.mode(continueFlag: try r.bool("continue_final_message"),
                                                   generationPromptFlag: try r.bool("add_generation_prompt"), messages: messages)
            let rendered: String
            do {
                rendered = try AssistantPrefill.render(template, messages: messages, tools: tools, mode: ending, extraContext: [:])
            } catch {
                throw .invalidRequest("the chat template rejected the conversation: \(error)", param: "messages")
            }
            let text = try AssistantPrefill.prompt(rendered: rendered, mode: ending, messages: messages)
            ids = tokenizer.encode(text, addSpecialTokens: false)
        } else {
            let content = try r.string("content")
            let prompt = try r.string("prompt")
            guard let text = content ?? prompt else {
                throw .invalidRequest("'content' (a string) or 'messages' is required", param: "content")
            }
            // `add_special_tokens` (vLLM) or `add_special` (llama-server); default true as in vLLM.
            let special = try r.bool("add_special_tokens")
            let specialShort = try r.bool("add_special")
            ids = tokenizer.encode(text, addSpecialTokens: special ?? specialShort ?? true)
        }
        res.respond(json(["tokens": .array(ids.map { .integer(Int64($0)) }), "count": .integer(Int64(ids.count)),
                          "max_model_len": .integer(Int64(engine.contextLength))]))
    }

    /// `POST /detokenize`: `{"tokens": [ids]}` → `{"content": text}`.
    func detokenize(_ req: HTTPRequest, _ res: HTTPResponder) throws(OpenAIError) {
        let r = try RequestReader(try parseBody(req))
        guard let list = try r.array("tokens") else { throw .invalidRequest("'tokens' is required", param: "tokens") }
        let ids = try list.map { (v: JSONValue) throws(OpenAIError) -> Int in
            guard case .integer = v, let i = v.intValue, i >= 0, i < tokenizer.vocabularySize else {
                throw .invalidRequest("'tokens' must be token ids in 0..<\(tokenizer.vocabularySize)", param: "tokens")
            }
            return i
        }
        res.respond(json(["content": .string(tokenizer.decode(ids, skipSpecialTokens: try r.bool("skip_special_tokens") ?? false))]))
    }
}
