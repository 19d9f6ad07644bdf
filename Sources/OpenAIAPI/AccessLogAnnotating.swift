import HTTPServer
import OrderedJSON

/// Something that can add fields to a request's access-log line: the responder of a
/// plain response, or the stream of a streamed one.
protocol AccessLogAnnotating {
    func addLogMetadata(_ key: String, _ value: String)
}

extension HTTPResponder: AccessLogAnnotating {}
extension HTTPBodyStream: AccessLogAnnotating {}

extension AccessLogAnnotating {
    /// Adds the token counts of an OpenAI `usage` object to the access-log line.
    func logUsage(_ usage: JSONValue?) {
        guard let usage else { return }
        if let p = usage["prompt_tokens"]?.intValue { addLogMetadata("prompt_tokens", String(p)) }
        if let c = usage["prompt_tokens_details"]?["cached_tokens"]?.intValue { addLogMetadata("cached_tokens", String(c)) }
        if let c = usage["completion_tokens"]?.intValue { addLogMetadata("completion_tokens", String(c)) }
    }
}
