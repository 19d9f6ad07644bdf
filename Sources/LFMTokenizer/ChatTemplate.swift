import Foundation
import LFMJinja
import OrderedJSON

/// A model's chat template, rendered exactly as transformers' `apply_chat_template(…, tokenize=False)`.
///
/// What the template sees (transformers 5.x, `tokenization_utils_base.apply_chat_template` and
/// `chat_template_utils.render_jinja_template`):
/// * `messages`: each message with its `null`-valued keys removed; a message with a non-null
///   `reasoning_content`, `thinking` or `reasoning` field (first found, in that order) gets that
///   text as `thinking` (first key unless already present) and as `reasoning_content`;
/// * `tools` (or none), `documents` (none), `add_generation_prompt`;
/// * the named special tokens (`bos_token`, `eos_token`, `pad_token`, … — those set);
/// * the caller's `chat_template_kwargs`, which override special tokens of the same name.
/// Globals: `raise_exception`, `strftime_now` (from `date`), `namespace`, `dict`, `range`.
public struct ChatTemplate: Sendable {
    /// The template text.
    public let source: String
    /// Named special tokens passed to the template (`bos_token`, `eos_token`, …).
    public var specialTokens: [String: String]
    private let template: JinjaTemplate

    /// Compiles a template.
    /// - Parameters:
    ///   - source: Jinja source (`chat_template.jinja`).
    ///   - bosToken: `bos_token` string, if the tokenizer defines one.
    ///   - eosToken: `eos_token` string, if the tokenizer defines one.
    ///   - otherSpecialTokens: further named tokens, e.g. `["pad_token": "<|pad|>"]`.
    /// - Throws: ``LFMJinja/TemplateError`` when the template does not compile.
    public init(source: String, bosToken: String?, eosToken: String?, otherSpecialTokens: [String: String] = [:]) throws(TemplateError) {
        self.source = source
        var tokens = otherSpecialTokens
        if let bosToken { tokens["bos_token"] = bosToken }
        if let eosToken { tokens["eos_token"] = eosToken }
        specialTokens = tokens
        template = try JinjaTemplate(source)
    }

    /// The `bos_token` string, if any.
    public var bosToken: String? { specialTokens["bos_token"] }
    /// The `eos_token` string, if any.
    public var eosToken: String? { specialTokens["eos_token"] }

    /// Renders a conversation to the prompt text.
    /// - Parameters:
    ///   - messages: OpenAI-style message objects, passed through as transformers does.
    ///   - tools: tool JSON schemas, or nil.
    ///   - addGenerationPrompt: append the assistant turn header.
    ///   - extraContext: `chat_template_kwargs` (e.g. `keep_past_thinking`).
    ///   - date: the clock for `strftime_now`; nil means now.
    ///   - timeZone: time zone for `strftime_now` (transformers uses the local time).
    /// - Throws: ``LFMJinja/TemplateError`` (kind `.raised` for the template's own `raise_exception`).
    public func render(messages: [JSONValue], tools: [JSONValue]? = nil, addGenerationPrompt: Bool,
                       extraContext: [String: JSONValue] = [:], date: Date? = nil,
                       timeZone: TimeZone = .current) throws(TemplateError) -> String {
        if messages.isEmpty {
            throw TemplateError(.type, "Cannot apply chat template to an empty conversation. Provide at least one message.")
        }
        for tool in tools ?? [] where tool.objectValue == nil {
            throw TemplateError(.type, "Tools should either be a JSON schema, or a callable function with type hints and a docstring suitable for auto-conversion to a schema.")
        }
        var context: [String: JinjaValue] = [:]
        for (name, token) in specialTokens { context[name] = .string(token) }
        for (name, value) in extraContext { context[name] = JinjaValue(value) }
        var normalized: [JinjaValue] = []
        normalized.reserveCapacity(messages.count)
        for message in messages {
            guard case .object(let object) = message else {
                throw TemplateError(.type, "Chat messages should be dicts, but got \(message.serialized()).")
            }
            normalized.append(.dict(Self.normalize(object)))
        }
        context["messages"] = .list(normalized)
        context["tools"] = tools.map { JinjaValue.list($0.map(JinjaValue.init)) } ?? JinjaValue.none
        context["documents"] = JinjaValue.none
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        let now = date
        let globals = JinjaTemplate.defaultGlobals(now: { now ?? Date() }, timeZone: timeZone)
        return try template.render(context, globals: globals)
    }

    /// transformers' `_normalize_chat_messages` (drop `null` keys) and `_alias_reasoning_fields`.
    static func normalize(_ message: JSONObject) -> OrderedMap<JinjaValue> {
        var out = OrderedMap<JinjaValue>(minimumCapacity: message.count + 2)
        let reasoning = ["reasoning_content", "thinking", "reasoning"].lazy.compactMap { key -> JSONValue? in
            guard let v = message[key], !v.isNull else { return nil }
            return v
        }.first
        if let reasoning { out["thinking"] = JinjaValue(reasoning) }
        for (key, value) in message where !value.isNull {
            out[key] = JinjaValue(value)
        }
        if let reasoning {
            out["thinking"] = JinjaValue(reasoning)
            out["reasoning_content"] = JinjaValue(reasoning)
        }
        return out
    }
}

extension ChatTemplate {
    /// A failure to find or read a model directory's chat template.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        /// What went wrong.
        public var message: String
        /// A textual description.
        public var description: String { message }
    }

    /// Loads the template of a Hugging Face model directory: `chat_template.jinja` if present,
    /// else `tokenizer_config.json`'s `chat_template` (a string, or a list of `{name, template}`
    /// from which `"default"` is taken). Special tokens come from `tokenizer_config.json`, where
    /// each may be a string or an object with a `content` string.
    /// - Throws: ``LoadError`` for missing files/templates, ``LFMJinja/TemplateError`` for bad syntax,
    ///   ``OrderedJSON/JSONError`` for a malformed config.
    public static func load(fromModelDirectory directory: URL) throws -> ChatTemplate {
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        var config = JSONObject()
        if let data = try? Data(contentsOf: configURL) {
            guard case .object(let object) = try JSONValue.parse(data) else {
                throw LoadError(message: "tokenizer_config.json is not a JSON object")
            }
            config = object
        }
        var source: String?
        let jinjaURL = directory.appendingPathComponent("chat_template.jinja")
        if let data = try? Data(contentsOf: jinjaURL) {
            source = String(decoding: data, as: UTF8.self)
        } else if let value = config["chat_template"] {
            switch value {
            case .string(let s): source = s
            case .array(let entries):
                source = entries.first { $0["name"]?.stringValue == "default" }?["template"]?.stringValue
            default: break
            }
        }
        guard let source else { throw LoadError(message: "no chat template in \(directory.path)") }
        var tokens: [String: String] = [:]
        for name in ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] {
            switch config[name] {
            case .string(let s)?: tokens[name] = s
            case .object(let o)?: if let s = o["content"]?.stringValue { tokens[name] = s }
            default: break
            }
        }
        return try ChatTemplate(source: source, bosToken: tokens["bos_token"], eosToken: tokens["eos_token"], otherSpecialTokens: tokens)
    }
}
