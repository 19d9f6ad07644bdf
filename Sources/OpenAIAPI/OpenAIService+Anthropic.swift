import Foundation
import HTTPServer
import OrderedJSON

extension OpenAIService {
    /// `POST /v1/messages` (Anthropic Messages API), streamed or not: the request is
    /// translated to the chat representation (``AnthropicMessagesRequest``) and runs the chat
    /// path; only the output is formatted differently (``AnthropicMessagesFormatter``).
    func messages(_ req: HTTPRequest, _ res: HTTPResponder) throws(OpenAIError) {
        let chat = try ChatCompletionRequest(AnthropicMessagesRequest.chatBody(try parseBody(req)))
        let model = configuration.modelID
        try runChat(chat, res: res, idPrefix: "msg_") { id, _, _, promptTokens in
            AnthropicMessagesFormatter(id: id, model: model, promptTokens: promptTokens)
        }
    }

    /// `POST /v1/messages/count_tokens`: the prompt tokens the same body would use,
    /// `{"input_tokens": N}` (no generation).
    func countTokens(_ req: HTTPRequest, _ res: HTTPResponder) throws(OpenAIError) {
        let chat = try ChatCompletionRequest(AnthropicMessagesRequest.chatBody(try parseBody(req), countOnly: true))
        try checkModel(chat.model)
        let prompt = try chatPrompt(chat)
        res.respond(json(["input_tokens": .integer(Int64(prompt.ids.count))]))
    }
}
