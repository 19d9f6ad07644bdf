import LFMRuntime
import OrderedJSON

/// A validated `POST /v1/chat/completions` body (OpenAI API reference, "Create chat completion").
struct ChatCompletionRequest: Sendable {
    var model: String?
    /// Messages normalised for the chat template: content lists of text parts joined into a
    /// string, `developer` mapped to `system`, every other field passed through unchanged.
    var messages: [JSONValue]
    var tools: [JSONValue]?
    var toolChoice: ToolChoice = .auto
    var parallelToolCalls = true
    var options: GenerationOptions
    var templateKwargs: [String: JSONValue] = [:]
    var reasoning: ReasoningFormat?
    /// The answer's required format (structured outputs), if any.
    var structured: StructuredOutputRequest?
    /// Think-block token budget asked for (`reasoning_budget`, or `reasoning_effort` mapped by
    /// ``effortBudgets``); nil: the server default. A negative value means no limit.
    var reasoningBudget: Int?

    /// Token budgets of `reasoning_effort` values (docs/api.md); nil: no limit.
    static let effortBudgets: [String: Int?] = ["none": 0, "minimal": 0, "low": 512, "medium": 2048, "high": nil, "xhigh": nil]
    /// `continue_final_message` / `add_generation_prompt` (vLLM's names), when given (`AssistantPrefill`).
    var continueFinalMessage: Bool?
    var addGenerationPrompt: Bool?

    /// `tool_choice`.
    enum ToolChoice: Sendable, Equatable {
        case none, auto, required
        case function(String)
    }

    init(_ body: JSONValue) throws(OpenAIError) {
        let r = try RequestReader(body)
        model = try r.string("model")
        guard let list = try r.array("messages") else { throw .invalidRequest("'messages' is required", param: "messages") }
        guard !list.isEmpty else { throw .invalidRequest("'messages' must contain at least one message", param: "messages") }
        messages = try list.enumerated().map { (i, m) throws(OpenAIError) -> JSONValue in try Self.normalise(m, index: i) }
        if let t = try r.array("tools") {
            for (i, tool) in t.enumerated() {
                let tr = try RequestReader(tool, prefix: "tools[\(i)]")
                guard try tr.string("type") ?? "function" == "function" else {
                    throw .invalidRequest("'tools[\(i)].type' must be \"function\"", param: "tools[\(i)].type")
                }
                guard let f = tr.value("function") else { throw .invalidRequest("'tools[\(i)].function' is required", param: "tools[\(i)].function") }
                let fr = try RequestReader(f, prefix: "tools[\(i)].function")
                guard try fr.string("name") != nil else { throw .invalidRequest("'tools[\(i)].function.name' is required", param: "tools[\(i)].function.name") }
            }
            tools = t.isEmpty ? nil : t
        }
        if let tc = r.value("tool_choice") {
            switch tc {
            case .string("none"): toolChoice = .none
            case .string("auto"): toolChoice = .auto
            case .string("required"): toolChoice = .required
            case .object:
                let o = try RequestReader(tc, prefix: "tool_choice")
                guard let f = o.value("function"), let name = try RequestReader(f, prefix: "tool_choice.function").string("name") else {
                    throw .invalidRequest("'tool_choice.function.name' is required", param: "tool_choice")
                }
                guard tools?.contains(where: { $0["function"]?["name"]?.stringValue == name }) == true else {
                    throw .invalidRequest("'tool_choice' names function '\(name)', which is not in 'tools'", param: "tool_choice")
                }
                toolChoice = .function(name)
            default:
                throw .invalidRequest("'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": …}}", param: "tool_choice")
            }
            if toolChoice != .none && toolChoice != .auto && tools == nil {
                throw .invalidRequest("'tool_choice' requires 'tools'", param: "tool_choice")
            }
        }
        parallelToolCalls = try r.bool("parallel_tool_calls") ?? true
        structured = try StructuredOutputRequest.read(r)
        if let effort = try r.string("reasoning_effort") {
            guard let budget = Self.effortBudgets[effort] else {
                throw .invalidRequest("'reasoning_effort' must be one of none, minimal, low, medium, high, xhigh; got '\(effort)'", param: "reasoning_effort")
            }
            reasoningBudget = budget ?? -1
        }
        if let b = try r.int("reasoning_budget", min: -1) { reasoningBudget = b }
        options = try GenerationOptions(r, maxTokensKeys: ["max_completion_tokens", "max_tokens"], logprobsAsInt: false)
        if let kw = try r.object("chat_template_kwargs") {
            for (k, v) in kw { templateKwargs[k] = v }
        }
        continueFinalMessage = try r.bool("continue_final_message")
        addGenerationPrompt = try r.bool("add_generation_prompt")
        if let rf = try r.string("reasoning_format") {
            guard let m = ReasoningFormat(rawValue: rf) else {
                throw .invalidRequest("'reasoning_format' must be one of none, auto, deepseek", param: "reasoning_format")
            }
            reasoning = m
        }
    }

    static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool"]

    /// Checks one message and turns list-of-parts content into the plain string the LFM2
    /// templates expect.
    static func normalise(_ m: JSONValue, index i: Int) throws(OpenAIError) -> JSONValue {
        let p = "messages[\(i)]"
        let r = try RequestReader(m, prefix: p)
        guard let role = try r.string("role") else { throw .invalidRequest("'\(p).role' is required", param: "\(p).role") }
        guard roles.contains(role) else {
            throw .invalidRequest("'\(p).role' must be one of system, developer, user, assistant, tool; got '\(role)'", param: "\(p).role")
        }
        var out = r.object
        if role == "developer" { out["role"] = .string("system") }
        switch r.value("content") {
        case nil:
            guard role == "assistant" else { throw .invalidRequest("'\(p).content' is required", param: "\(p).content") }
            out["content"] = .string("")   // templates print content unconditionally
        case .string?: break
        case .array(let parts)?:
            var text = ""
            for (j, part) in parts.enumerated() {
                let pr = try RequestReader(part, prefix: "\(p).content[\(j)]")
                guard let type = try pr.string("type") else {
                    throw .invalidRequest("'\(p).content[\(j)].type' is required (\"text\")", param: "\(p).content[\(j)].type")
                }
                guard type == "text" else {
                    throw .invalidRequest("content part type '\(type)' is not supported (text only)", param: "\(p).content[\(j)].type")
                }
                guard let t = try pr.string("text") else { throw .invalidRequest("'\(p).content[\(j)].text' is required", param: "\(p).content[\(j)].text") }
                text += t
            }
            out["content"] = .string(text)
        default:
            throw .invalidRequest("'\(p).content' must be a string or an array of content parts", param: "\(p).content")
        }
        _ = try r.string("tool_call_id")   // type-checked; optional, as several clients omit it
        if let calls = try r.array("tool_calls") {
            guard role == "assistant" else { throw .invalidRequest("only assistant messages carry 'tool_calls'", param: "\(p).tool_calls") }
            var converted: [JSONValue] = []
            for (j, c) in calls.enumerated() {
                let cr = try RequestReader(c, prefix: "\(p).tool_calls[\(j)]")
                guard let f = cr.value("function") else { throw .invalidRequest("'\(p).tool_calls[\(j)].function' is required", param: "\(p).tool_calls[\(j)].function") }
                let fr = try RequestReader(f, prefix: "\(p).tool_calls[\(j)].function")
                guard try fr.string("name") != nil else { throw .invalidRequest("'\(p).tool_calls[\(j)].function.name' is required", param: "\(p).tool_calls[\(j)].function.name") }
                // OpenAI sends arguments as a JSON string; templates expect a mapping (as
                // transformers documents and vLLM converts). Unparseable strings stay strings.
                var call = cr.object
                var function = fr.object
                if case .string(let args)? = fr.value("arguments"), let parsed = try? JSONValue.parse(args), parsed.objectValue != nil {
                    function["arguments"] = parsed
                    call["function"] = .object(function)
                }
                converted.append(.object(call))
            }
            out["tool_calls"] = .array(converted)
        }
        return .object(out)
    }
}


extension ChatCompletionRequest {
    /// For templates that ignore `tool_calls` (the LFM2 template prints only `content`), writes
    /// each assistant message's calls into its content in LFM2's own output format,
    /// `<|tool_call_start|>[name(arg="v", n=2)]<|tool_call_end|>`, so the model sees its past calls.
    static func inlineToolCalls(_ messages: [JSONValue]) -> [JSONValue] {
        messages.map { m in
            guard case .object(var o) = m, o["role"] == "assistant", let calls = o["tool_calls"]?.arrayValue, !calls.isEmpty else { return m }
            let rendered = calls.compactMap { c -> String? in
                guard let f = c["function"], let name = f["name"]?.stringValue else { return nil }
                var args: [String] = []
                switch f["arguments"] {
                case .object(let a)?: for (k, v) in a { args.append("\(k)=\(v.serialized())") }
                case .string(let s)?: if !s.isEmpty { args.append(s) }
                default: break
                }
                return "\(name)(\(args.joined(separator: ", ")))"
            }
            let text = "<|tool_call_start|>[" + rendered.joined(separator: ", ") + "]<|tool_call_end|>"
            o["content"] = .string(text + (o["content"]?.stringValue ?? ""))
            o["tool_calls"] = nil
            return .object(o)
        }
    }
}
