import OrderedJSON

/// `POST /v1/messages` (Anthropic Messages API, "Create a Message") translated into the chat
/// representation: the body a chat.completions client would send for the same conversation,
/// which then takes the chat path (``ChatCompletionRequest``, template, engine). Pure.
///
/// Mapping: `system` → a system message; user text blocks → a user message, each
/// `tool_result` → a `tool` message (in block order; `is_error` prefixes the content with
/// "Error: "); assistant `text` → content, `thinking` → `reasoning_content` (the chat
/// template's reasoning), `tool_use` → `tool_calls`; `tools` → function tools with
/// `input_schema` as `parameters`; `tool_choice` auto / any / tool / none → auto / required /
/// the function / none (`disable_parallel_tool_use` → `parallel_tool_calls: false`);
/// `stop_sequences` → `stop`; `thinking` enabled (or adaptive) / disabled → the template's
/// `enable_thinking`; `output_config.format` (json_schema) → `response_format`.
enum AnthropicMessagesRequest {
    /// The chat.completions body for an Anthropic body. `countOnly`: the count_tokens body
    /// (no `max_tokens`, no sampling).
    static func chatBody(_ body: JSONValue, countOnly: Bool = false) throws(OpenAIError) -> JSONValue {
        let r = try RequestReader(body)
        var out: JSONObject = [:]
        if let m = try r.string("model") { out["model"] = .string(m) }
        if !countOnly {
            guard let maxTokens = try r.int("max_tokens", min: 1) else {
                throw .invalidRequest("'max_tokens' is required", param: "max_tokens")
            }
            out["max_tokens"] = .integer(Int64(maxTokens))
            if let t = try r.number("temperature", min: 0, max: 1) { out["temperature"] = .double(t) }
            if let p = try r.number("top_p", min: 0, max: 1, openMin: true) { out["top_p"] = .double(p) }
            if let k = try r.int("top_k", min: 0) { out["top_k"] = .integer(Int64(k)) }
            if let stops = try r.array("stop_sequences") {
                for (i, s) in stops.enumerated() where s.stringValue == nil {
                    throw .invalidRequest("'stop_sequences[\(i)]' must be a string", param: "stop_sequences[\(i)]")
                }
                if !stops.isEmpty { out["stop"] = .array(stops) }
            }
            if let s = try r.bool("stream") { out["stream"] = .bool(s) }
            _ = try r.object("metadata")
        }
        var messages: [JSONValue] = []
        if let system = r.value("system") {
            let text = try Self.text(system, field: "system")
            if !text.isEmpty { messages.append(["role": "system", "content": .string(text)]) }
        }
        guard let list = try r.array("messages") else { throw .invalidRequest("'messages' is required", param: "messages") }
        guard !list.isEmpty else { throw .invalidRequest("'messages' must contain at least one message", param: "messages") }
        for (i, m) in list.enumerated() { messages += try Self.messages(m, index: i) }
        out["messages"] = .array(messages)
        var toolNames: [String] = []
        if let tools = try r.array("tools") {
            var converted: [JSONValue] = []
            for (i, t) in tools.enumerated() {
                let p = "tools[\(i)]"
                let tr = try RequestReader(t, prefix: p)
                if let type = try tr.string("type"), type != "custom" {
                    throw .invalidRequest("tool type '\(type)' is not supported (only client tools with 'input_schema')", param: "\(p).type")
                }
                guard let name = try tr.string("name") else { throw .invalidRequest("'\(p).name' is required", param: "\(p).name") }
                guard let schema = try tr.object("input_schema") else {
                    throw .invalidRequest("'\(p).input_schema' is required", param: "\(p).input_schema")
                }
                var function: JSONObject = ["name": .string(name)]
                if let d = try tr.string("description") { function["description"] = .string(d) }
                function["parameters"] = .object(schema)
                converted.append(["type": "function", "function": .object(function)])
                toolNames.append(name)
            }
            if !converted.isEmpty { out["tools"] = .array(converted) }
        }
        if let tc = try r.object("tool_choice") {
            let cr = try RequestReader(.object(tc), prefix: "tool_choice")
            switch try cr.string("type") {
            case "auto"?: out["tool_choice"] = "auto"
            case "any"?: out["tool_choice"] = "required"
            case "none"?: out["tool_choice"] = "none"
            case "tool"?:
                guard let name = try cr.string("name") else { throw .invalidRequest("'tool_choice.name' is required", param: "tool_choice.name") }
                guard toolNames.contains(name) else {
                    throw .invalidRequest("'tool_choice' names tool '\(name)', which is not in 'tools'", param: "tool_choice.name")
                }
                out["tool_choice"] = ["type": "function", "function": ["name": .string(name)]]
            default:
                throw .invalidRequest("'tool_choice.type' must be one of auto, any, tool, none", param: "tool_choice.type")
            }
            if try cr.bool("disable_parallel_tool_use") == true { out["parallel_tool_calls"] = false }
            if out["tool_choice"] != "none" && out["tool_choice"] != "auto" && out["tools"] == nil {
                throw .invalidRequest("'tool_choice' requires 'tools'", param: "tool_choice")
            }
        }
        if let thinking = try r.object("thinking") {
            let tr = try RequestReader(.object(thinking), prefix: "thinking")
            switch try tr.string("type") {
            case "enabled"?, "adaptive"?:
                if let budget = try tr.int("budget_tokens", min: 1) {
                    if let m = out["max_tokens"]?.intValue, budget >= m {
                        throw .invalidRequest("'thinking.budget_tokens' must be less than 'max_tokens'", param: "thinking.budget_tokens")
                    }
                    out["reasoning_budget"] = .integer(Int64(budget))   // enforced by the engine (ReasoningBudget)
                }
                out["chat_template_kwargs"] = ["enable_thinking": true]
            case "disabled"?:
                out["chat_template_kwargs"] = ["enable_thinking": false]
            default:
                throw .invalidRequest("'thinking.type' must be \"enabled\", \"adaptive\" or \"disabled\"", param: "thinking.type")
            }
        }
        if let config = try r.object("output_config"), let format = try RequestReader(.object(config), prefix: "output_config").object("format") {
            // Structured outputs: passed on as the chat path's response_format.
            let fr = try RequestReader(.object(format), prefix: "output_config.format")
            guard try fr.string("type") == "json_schema", let schema = try fr.object("schema") else {
                throw .invalidRequest("'output_config.format' must be {\"type\": \"json_schema\", \"schema\": {…}}", param: "output_config.format")
            }
            out["response_format"] = ["type": "json_schema", "json_schema": ["name": "output", "schema": .object(schema)]]
        }
        return .object(out)
    }

    /// One Anthropic message as chat messages (a user turn with tool results becomes the
    /// `tool` messages and the user's text, in block order).
    static func messages(_ m: JSONValue, index i: Int) throws(OpenAIError) -> [JSONValue] {
        let p = "messages[\(i)]"
        let r = try RequestReader(m, prefix: p)
        guard let role = try r.string("role") else { throw .invalidRequest("'\(p).role' is required", param: "\(p).role") }
        guard role == "user" || role == "assistant" else {
            throw .invalidRequest("'\(p).role' must be \"user\" or \"assistant\"; got '\(role)'", param: "\(p).role")
        }
        let blocks: [JSONValue]
        switch r.value("content") {
        case .string(let s)?: return [["role": .string(role), "content": .string(s)]]
        case .array(let a)?: blocks = a
        case nil: throw .invalidRequest("'\(p).content' is required", param: "\(p).content")
        default: throw .invalidRequest("'\(p).content' must be a string or an array of content blocks", param: "\(p).content")
        }
        var out: [JSONValue] = []
        var text = ""
        var hasText = false
        var reasoning = ""
        var calls: [JSONValue] = []
        func flushUser() {
            if hasText { out.append(["role": "user", "content": .string(text)]) }
            text = ""
            hasText = false
        }
        for (j, block) in blocks.enumerated() {
            let bp = "\(p).content[\(j)]"
            let br = try RequestReader(block, prefix: bp)
            guard let type = try br.string("type") else { throw .invalidRequest("'\(bp).type' is required", param: "\(bp).type") }
            switch (type, role) {
            case ("text", _):
                guard let t = try br.string("text") else { throw .invalidRequest("'\(bp).text' is required", param: "\(bp).text") }
                text += t
                hasText = true
            case ("tool_result", "user"):
                guard let id = try br.string("tool_use_id") else {
                    throw .invalidRequest("'\(bp).tool_use_id' is required", param: "\(bp).tool_use_id")
                }
                var content = try br.value("content").map { v throws(OpenAIError) in try Self.text(v, field: "\(bp).content") } ?? ""
                if try br.bool("is_error") == true { content = "Error: " + content }
                flushUser()
                out.append(["role": "tool", "tool_call_id": .string(id), "content": .string(content)])
            case ("tool_use", "assistant"):
                guard let id = try br.string("id") else { throw .invalidRequest("'\(bp).id' is required", param: "\(bp).id") }
                guard let name = try br.string("name") else { throw .invalidRequest("'\(bp).name' is required", param: "\(bp).name") }
                let input = try br.object("input") ?? [:]
                calls.append(["id": .string(id), "type": "function",
                              "function": ["name": .string(name), "arguments": .string(JSONValue.object(input).serialized())]])
            case ("thinking", "assistant"):
                guard let t = try br.string("thinking") else { throw .invalidRequest("'\(bp).thinking' is required", param: "\(bp).thinking") }
                reasoning += t
            case ("redacted_thinking", "assistant"):
                continue   // opaque; nothing the template can show
            default:
                throw .invalidRequest("content block type '\(type)' is not supported in \(role) messages", param: "\(bp).type")
            }
        }
        if role == "user" {
            flushUser()
            return out
        }
        var message: JSONObject = ["role": "assistant", "content": .string(text)]
        if !reasoning.isEmpty { message["reasoning_content"] = .string(reasoning) }
        if !calls.isEmpty { message["tool_calls"] = .array(calls) }
        return [.object(message)]
    }

    /// A string, or the joined text of a list of `text` blocks (`system`, tool results).
    static func text(_ v: JSONValue, field: String) throws(OpenAIError) -> String {
        switch v {
        case .string(let s): return s
        case .array(let blocks):
            var text = ""
            for (j, b) in blocks.enumerated() {
                let br = try RequestReader(b, prefix: "\(field)[\(j)]")
                let type = try br.string("type")
                guard type == "text", let t = try br.string("text") else {
                    throw .invalidRequest("'\(field)[\(j)]' must be a text block ({\"type\": \"text\", \"text\": …}); got type '\(type ?? "none")'",
                                          param: "\(field)[\(j)].type")
                }
                text += t
            }
            return text
        default:
            throw .invalidRequest("'\(field)' must be a string or an array of text blocks", param: field)
        }
    }
}
