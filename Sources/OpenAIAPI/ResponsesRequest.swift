import Foundation
import OrderedJSON

/// `POST /v1/responses` (OpenAI API reference, "Create a model response") translated into the
/// chat representation: the body a chat.completions client would send for the same
/// conversation, which then takes the chat path. Pure. Stateless: `store` is accepted and
/// ignored, `previous_response_id` and `conversation` are refused (400).
///
/// Mapping: `instructions` → a system message; `input` as a string → a user message; input
/// items: messages (`developer` → system; parts `input_text` / `output_text` joined), and runs
/// of assistant-side items (`reasoning`, assistant messages, `function_call`) fold into ONE
/// assistant message (`reasoning_content`, `content`, `tool_calls`); `function_call_output` →
/// a `tool` message; function `tools` → chat tools; `max_output_tokens` → `max_tokens`;
/// `text.format` json_object / json_schema → `response_format`; `reasoning.effort` "none" →
/// the template's `enable_thinking: false` (any other effort → true).
struct ResponsesRequest: Sendable {
    /// The chat.completions body.
    var chat: JSONValue
    /// Request fields the response object repeats.
    var echo: Echo

    /// What a response object echoes from its request (the Response object's fields).
    struct Echo: Sendable {
        var instructions: JSONValue = .null
        var maxOutputTokens: JSONValue = .null
        var metadata: JSONValue = [:]
        var parallelToolCalls = true
        var temperature: JSONValue = 1.0
        var topP: JSONValue = 1.0
        var toolChoice: JSONValue = "auto"
        var tools: [JSONValue] = []
        var textFormat: JSONValue = ["type": "text"]
        var reasoningEffort: JSONValue = .null
        var user: JSONValue = .null
    }

    init(_ body: JSONValue) throws(OpenAIError) {
        let r = try RequestReader(body)
        var out: JSONObject = [:]
        var echo = Echo()
        if let m = try r.string("model") { out["model"] = .string(m) }
        if r.value("previous_response_id") != nil {
            throw .invalidRequest("'previous_response_id' is not supported: this server is stateless and stores no responses; send the whole conversation in 'input'",
                                  param: "previous_response_id")
        }
        if r.value("conversation") != nil {
            throw .invalidRequest("'conversation' is not supported: this server is stateless; send the whole conversation in 'input'", param: "conversation")
        }
        _ = try r.bool("store")   // accepted; nothing is stored
        var messages: [JSONValue] = []
        if let instructions = try r.string("instructions") {
            echo.instructions = .string(instructions)
            messages.append(["role": "system", "content": .string(instructions)])
        }
        switch r.value("input") {
        case .string(let s)?: messages.append(["role": "user", "content": .string(s)])
        case .array(let items)?:
            guard !items.isEmpty else { throw .invalidRequest("'input' must contain at least one item", param: "input") }
            messages += try Self.messages(items)
        case nil: throw .invalidRequest("'input' is required", param: "input")
        default: throw .invalidRequest("'input' must be a string or an array of input items", param: "input")
        }
        out["messages"] = .array(messages)
        if let tools = try r.array("tools") {
            var converted: [JSONValue] = []
            for (i, t) in tools.enumerated() {
                let p = "tools[\(i)]"
                let tr = try RequestReader(t, prefix: p)
                let type = try tr.string("type")
                guard type == "function" else {
                    throw .invalidRequest("tool type '\(type ?? "none")' is not supported (only \"function\" tools)", param: "\(p).type")
                }
                guard let name = try tr.string("name") else { throw .invalidRequest("'\(p).name' is required", param: "\(p).name") }
                var function: JSONObject = ["name": .string(name)]
                if let d = try tr.string("description") { function["description"] = .string(d) }
                if let params = try tr.object("parameters") { function["parameters"] = .object(params) }
                if let strict = try tr.bool("strict") { function["strict"] = .bool(strict) }
                converted.append(["type": "function", "function": .object(function)])
            }
            echo.tools = tools
            if !converted.isEmpty { out["tools"] = .array(converted) }
        }
        if let tc = r.value("tool_choice") {
            switch tc {
            case .string(let s) where ["none", "auto", "required"].contains(s): out["tool_choice"] = tc
            case .object:
                let cr = try RequestReader(tc, prefix: "tool_choice")
                guard try cr.string("type") == "function", let name = try cr.string("name") else {
                    throw .invalidRequest("'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"name\": …}", param: "tool_choice")
                }
                out["tool_choice"] = ["type": "function", "function": ["name": .string(name)]]
            default:
                throw .invalidRequest("'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"name\": …}", param: "tool_choice")
            }
            echo.toolChoice = tc
        }
        if let p = try r.bool("parallel_tool_calls") { out["parallel_tool_calls"] = .bool(p); echo.parallelToolCalls = p }
        if let m = try r.int("max_output_tokens", min: 1) { out["max_tokens"] = .integer(Int64(m)); echo.maxOutputTokens = .integer(Int64(m)) }
        if let t = r.value("temperature") { out["temperature"] = t; echo.temperature = t }
        if let p = r.value("top_p") { out["top_p"] = p; echo.topP = p }
        if let s = try r.bool("stream") { out["stream"] = .bool(s) }
        if let text = try r.object("text"), let format = try RequestReader(.object(text), prefix: "text").object("format") {
            let fr = try RequestReader(.object(format), prefix: "text.format")
            switch try fr.string("type") {
            case "text"?: break
            case "json_object"?: out["response_format"] = ["type": "json_object"]
            case "json_schema"?:
                guard let name = try fr.string("name") else { throw .invalidRequest("'text.format.name' is required", param: "text.format.name") }
                guard let schema = try fr.object("schema") else { throw .invalidRequest("'text.format.schema' is required", param: "text.format.schema") }
                var js: JSONObject = ["name": .string(name), "schema": .object(schema)]
                if let d = try fr.string("description") { js["description"] = .string(d) }
                if let s = try fr.bool("strict") { js["strict"] = .bool(s) }
                out["response_format"] = ["type": "json_schema", "json_schema": .object(js)]
            default:
                throw .invalidRequest("'text.format.type' must be one of text, json_object, json_schema", param: "text.format.type")
            }
            echo.textFormat = .object(format)
        }
        if let reasoning = try r.object("reasoning") {
            let rr = try RequestReader(.object(reasoning), prefix: "reasoning")
            if let effort = try rr.string("effort") {
                guard ["none", "minimal", "low", "medium", "high", "xhigh"].contains(effort) else {
                    throw .invalidRequest("'reasoning.effort' must be one of none, minimal, low, medium, high, xhigh", param: "reasoning.effort")
                }
                out["chat_template_kwargs"] = ["enable_thinking": .bool(effort != "none")]
                out["reasoning_effort"] = .string(effort)   // a think-block budget (ChatCompletionRequest.effortBudgets)
                echo.reasoningEffort = .string(effort)
            }
        }
        if let m = try r.object("metadata") { echo.metadata = .object(m) }
        if let u = try r.string("user") { echo.user = .string(u) }
        chat = .object(out)
        self.echo = echo
    }

    /// Input items as chat messages.
    static func messages(_ items: [JSONValue]) throws(OpenAIError) -> [JSONValue] {
        var out: [JSONObject] = []
        var folding = false   // the last message is an assistant turn built from consecutive assistant-side items
        func assistant() -> Int {
            if !folding {
                out.append(["role": "assistant", "content": ""])
                folding = true
            }
            return out.count - 1
        }
        for (i, item) in items.enumerated() {
            let p = "input[\(i)]"
            let r = try RequestReader(item, prefix: p)
            let type = try r.string("type") ?? "message"
            switch type {
            case "message":
                guard let role = try r.string("role") else { throw .invalidRequest("'\(p).role' is required", param: "\(p).role") }
                guard ["user", "system", "developer", "assistant"].contains(role) else {
                    throw .invalidRequest("'\(p).role' must be one of user, system, developer, assistant; got '\(role)'", param: "\(p).role")
                }
                let text = try Self.text(r.value("content"), field: "\(p).content")
                if role == "assistant" {
                    let a = assistant()
                    out[a]["content"] = .string((out[a]["content"]?.stringValue ?? "") + text)
                } else {
                    folding = false
                    out.append(["role": .string(role == "developer" ? "system" : role), "content": .string(text)])
                }
            case "function_call":
                guard let callID = try r.string("call_id") else { throw .invalidRequest("'\(p).call_id' is required", param: "\(p).call_id") }
                guard let name = try r.string("name") else { throw .invalidRequest("'\(p).name' is required", param: "\(p).name") }
                let arguments = try r.string("arguments") ?? "{}"
                let a = assistant()
                var calls = out[a]["tool_calls"]?.arrayValue ?? []
                calls.append(["id": .string(callID), "type": "function", "function": ["name": .string(name), "arguments": .string(arguments)]])
                out[a]["tool_calls"] = .array(calls)
            case "function_call_output":
                guard let callID = try r.string("call_id") else { throw .invalidRequest("'\(p).call_id' is required", param: "\(p).call_id") }
                let output = try Self.text(r.value("output"), field: "\(p).output")
                folding = false
                out.append(["role": "tool", "tool_call_id": .string(callID), "content": .string(output)])
            case "reasoning":
                var text = ""
                for part in try r.array("content") ?? [] { text += part["text"]?.stringValue ?? "" }
                if text.isEmpty { for part in try r.array("summary") ?? [] { text += part["text"]?.stringValue ?? "" } }
                let a = assistant()
                out[a]["reasoning_content"] = .string((out[a]["reasoning_content"]?.stringValue ?? "") + text)
            default:
                throw .invalidRequest("input item type '\(type)' is not supported (message, function_call, function_call_output, reasoning)",
                                      param: "\(p).type")
            }
        }
        return out.map { .object($0) }
    }

    /// Message content: a string, or text parts (`input_text`, `output_text`, `text`) joined.
    static func text(_ v: JSONValue?, field: String) throws(OpenAIError) -> String {
        switch v {
        case .string(let s)?: return s
        case .array(let parts)?:
            var text = ""
            for (j, part) in parts.enumerated() {
                let pr = try RequestReader(part, prefix: "\(field)[\(j)]")
                let type = try pr.string("type") ?? "none"
                guard ["input_text", "output_text", "text"].contains(type) else {
                    throw .invalidRequest("content part type '\(type)' is not supported (input_text, output_text)", param: "\(field)[\(j)].type")
                }
                guard let t = try pr.string("text") else { throw .invalidRequest("'\(field)[\(j)].text' is required", param: "\(field)[\(j)].text") }
                text += t
            }
            return text
        case nil: throw .invalidRequest("'\(field)' is required", param: field)
        default: throw .invalidRequest("'\(field)' must be a string or an array of text parts", param: field)
        }
    }

    /// An error the chat path raised, with the chat field names changed to this API's
    /// (`messages` → `input`, `max_tokens` → `max_output_tokens`, `response_format` → `text.format`).
    static func renamed(_ e: OpenAIError) -> OpenAIError {
        guard let param = e.param else { return e }
        var e = e
        for (chat, responses) in [("max_tokens", "max_output_tokens"), ("response_format", "text.format"), ("messages", "input")]
        where param == chat || param.hasPrefix(chat + "[") || param.hasPrefix(chat + ".") {
            e.param = responses
            e.message = e.message.replacingOccurrences(of: "'\(chat)", with: "'\(responses)")
                .replacingOccurrences(of: "response_format", with: "text.format")
        }
        return e
    }
}
