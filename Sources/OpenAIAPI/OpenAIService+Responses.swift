import Foundation
import HTTPServer
import OrderedJSON

extension OpenAIService {
    /// `POST /v1/responses` (OpenAI Responses API), streamed or not: the request is translated
    /// to the chat representation (``ResponsesRequest``) and runs the chat path; only the
    /// output is formatted differently (``ResponsesFormatter``). Errors name this API's fields.
    func responses(_ req: HTTPRequest, _ res: HTTPResponder) throws(OpenAIError) {
        let request = try ResponsesRequest(try parseBody(req))
        let model = configuration.modelID
        let echo = request.echo
        do {
            let chat = try ChatCompletionRequest(request.chat)
            try runChat(chat, res: res, idPrefix: "resp_") { id, created, _, _ in
                ResponsesFormatter(id: id, model: model, createdAt: created, echo: echo)
            }
        } catch {
            throw ResponsesRequest.renamed(error)
        }
    }
}
