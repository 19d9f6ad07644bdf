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
    /// Adds the token counts of a `usage` object to the access-log line: OpenAI's chat shape,
    /// or the agent APIs' `input_tokens` shapes (Anthropic's excludes cache reads).
    func logUsage(_ usage: JSONValue?) {
        guard let usage else { return }
        if usage["prompt_tokens"] == nil, let input = usage["input_tokens"]?.intValue {
            let anthropicCached = usage["cache_read_input_tokens"]?.intValue
            let cached = anthropicCached ?? usage["input_tokens_details"]?["cached_tokens"]?.intValue ?? 0
            addLogMetadata("prompt_tokens", String(input + (anthropicCached ?? 0)))
            addLogMetadata("cached_tokens", String(cached))
            if let c = usage["output_tokens"]?.intValue { addLogMetadata("completion_tokens", String(c)) }
            return
        }
        if let p = usage["prompt_tokens"]?.intValue { addLogMetadata("prompt_tokens", String(p)) }
        if let c = usage["prompt_tokens_details"]?["cached_tokens"]?.intValue { addLogMetadata("cached_tokens", String(c)) }
        if let c = usage["completion_tokens"]?.intValue { addLogMetadata("completion_tokens", String(c)) }
    }
}
