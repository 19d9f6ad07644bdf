import Foundation
import LFMJinja
import LFMModel
import OpenAIAPI
import OrderedJSON

/// The untrusted-input parsers the fuzzer drives (docs/reliability.md, "Fuzzing"). Each run
/// must return normally — a thrown error is a correct outcome — and each checks an oracle
/// where one exists (JSON round trip, tensors inside the buffer, streamed tool-call parsing
/// equal to whole-text parsing); a violated oracle stops the process like a crash.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// OrderedJSON's parser (request bodies, tool arguments), with a serialise → parse round trip.
    case json
    /// LFMJinja lexer + parser + interpreter rendering a typical chat context.
    case jinja
    /// The GGUF header parser on an in-memory file, then `LFM2Config.fromGGUF`.
    case gguf
    /// The safetensors header parser on an in-memory file.
    case safetensors
    /// The LFM2 tool-call parser (Python-literal and JSON calls) over the text, whole and streamed.
    case pyliteral

    /// Default longest input for the target.
    public var defaultMaxLength: Int {
        switch self {
        case .json, .pyliteral: 4096
        case .jinja: 8192
        case .gguf: 4096
        case .safetensors: 2048
        }
    }

    /// Tokens of the target's format for the dictionary mutation.
    public var dictionary: [String] {
        switch self {
        case .json:
            ["{", "}", "[", "]", ":", ",", "\"", "\\", "\\u", "\\ud83d", "\\ude00", "\\u0000", "true", "false", "null",
             "-", "0", "1e308", "1e-400", "-0", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
             "0.1", "E+", "\u{FEFF}", "\u{00}", "\"messages\"", "\"role\"", "\"content\""]
        case .jinja:
            ["{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", "{{-", "-}}", "if", "elif", "else", "endif", "for", " in ",
             "endfor", "macro", "endmacro", "call", "endcall", "set", "endset", "filter", "endfilter", "with", "endwith",
             "raw", "endraw", "generation", "endgeneration", "namespace(", "loop.index", "loop.last", "messages",
             "message['role']", "message.content", "tools", "range(", "|tojson", "|length", "|join(", "|replace(",
             "|indent(", "|map(", "|selectattr(", "|default(", "|items", "|dictsort", "|string", "|upper", ".split(",
             ".format(", "caller()", "raise_exception(", "strftime_now(", " is defined", " is none", " not ", " and ",
             " or ", "~", "*", "**", "//", "%", "(", ")", "[", "]", ",", "'", "\"", "0", "-1", "10**9",
             "9223372036854775807", "true", "none", "add_generation_prompt", "bos_token", "break", "continue"]
        case .gguf:
            ["GGUF", "general.architecture", "lfm2", "general.alignment", "lfm2.block_count", "lfm2.context_length",
             "lfm2.embedding_length", "lfm2.feed_forward_length", "lfm2.attention.head_count",
             "lfm2.attention.head_count_kv", "lfm2.vocab_size", "lfm2.shortconv.l_cache", "tokenizer.ggml.tokens",
             "tokenizer.chat_template", "token_embd.weight", "blk.0.attn_q.weight", "output.weight",
             "\u{03}\0\0\0", "\u{08}\0\0\0", "\u{09}\0\0\0", "\u{0C}\0\0\0", "\u{1E}\0\0\0"]
        case .safetensors:
            ["{", "}", "[", "]", ":", ",", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"F32\"", "\"F16\"", "\"BF16\"",
             "\"I64\"", "\"__metadata__\"", "0", "-1", "4294967296", "9223372036854775807", "18446744073709551615",
             "1e300", "[0,0]", "[]", "null", "\"model.embed_tokens.weight\""]
        case .pyliteral:
            ["<|tool_call_start|>", "<|tool_call_end|>", "<|tool_ca", "[", "]", "(", ")", "{", "}", "=", ",", ":",
             "'", "\"", "\\", "\\x", "\\u", "\\N{", "True", "False", "None", "-", "1e5", "0x1F", "1_000", "get_weather(",
             "city=", "\"name\"", "\"arguments\"", "\"parameters\"", "...", "+", "j", "b'", "r'", "f'", "\n", "#"]
        }
    }

    /// Jinja limits for fuzzing: the default checks with smaller budgets, so a runaway input
    /// costs milliseconds, not seconds.
    public static let jinjaLimits = JinjaLimits(maxSteps: 50_000, maxStringBytes: 1 << 20, maxListLength: 1 << 16)

    /// Runs one input. Returns a short signature of the outcome (used to keep inputs that reach
    /// new outcomes as mutation bases).
    public func run(_ input: [UInt8]) -> String {
        switch self {
        case .json: return Self.runJSON(input)
        case .jinja: return Self.runJinja(input)
        case .gguf: return Self.runGGUF(input)
        case .safetensors: return Self.runSafetensors(input)
        case .pyliteral: return Self.runToolCalls(input)
        }
    }

    /// A coarse signature of an error: its type and message up to the first quote or digit.
    static func signature(_ error: any Error) -> String {
        let text = "\(error)"
        let cut = text.firstIndex { $0 == "'" || $0 == "\"" || $0.isNumber } ?? text.endIndex
        return "\(type(of: error)):" + text[..<cut].suffix(60)
    }

    static func runJSON(_ input: [UInt8]) -> String {
        let value: JSONValue
        do { value = try JSONValue.parse(input) } catch { return signature(error) }
        let text = value.serialized()
        // Python's json.dumps writes non-finite doubles as Infinity/NaN, which strict JSON rejects.
        if text.contains("Infinity") || text.contains("NaN") { return "ok:nonfinite" }
        guard let again = try? JSONValue.parse(text), again == value else {
            fatalError("JSON round trip changed the value: \(text)")
        }
        return "ok"
    }

    /// A typical chat context: system, user, assistant with a tool call, tool result, tools.
    static let chatContext: [String: JinjaValue] = {
        let call: JinjaValue = ["type": "function", "id": "call_1",
                                "function": ["name": "get_weather", "arguments": ["city": "Paris", "days": 3]]]
        let messages: JinjaValue = [
            ["role": "system", "content": "You are helpful."],
            ["role": "user", "content": "Weather in Paris?"],
            ["role": "assistant", "content": "", "tool_calls": [call]],
            ["role": "tool", "content": "{\"temp\": 21}", "tool_call_id": "call_1"],
            ["role": "assistant", "content": [["type": "text", "text": "It is 21°C."]]],
            ["role": "user", "content": "Thanks"],
        ]
        let tools: JinjaValue = [["type": "function", "function": [
            "name": "get_weather", "description": "Get the weather",
            "parameters": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]]]]
        return ["messages": messages, "tools": tools, "add_generation_prompt": true,
                "bos_token": "<|startoftext|>", "eos_token": "<|im_end|>"]
    }()

    static let fixedGlobals = JinjaTemplate.defaultGlobals(now: { Date(timeIntervalSince1970: 1_700_000_000) },
                                                           timeZone: TimeZone(identifier: "UTC")!)

    static func runJinja(_ input: [UInt8]) -> String {
        do {
            let template = try JinjaTemplate(String(decoding: input, as: UTF8.self), limits: jinjaLimits)
            let text = try template.render(chatContext, globals: fixedGlobals)
            return "ok:\(text.isEmpty)"
        } catch {
            return "\(error.kind):" + signature(error)
        }
    }

    static func runGGUF(_ input: [UInt8]) -> String {
        let file = MappedFile(copying: input, path: "fuzz.gguf")
        let g: GGUFFile
        do { g = try GGUFFile(file: file) } catch { return signature(error) }
        touchTensors(g.tensors.values, file: file)
        do { _ = try LFM2Config.fromGGUF(g) } catch { return "ok+" + signature(error) }
        return "ok:config"
    }

    static func runSafetensors(_ input: [UInt8]) -> String {
        let file = MappedFile(copying: input, path: "fuzz.safetensors")
        do {
            let f = try SafetensorsFile(file: file)
            touchTensors(f.tensors.values, file: file)
            return "ok:\(f.tensors.count)"
        } catch {
            return signature(error)
        }
    }

    /// Oracle: every accepted tensor's bytes lie inside the buffer (read its first and last
    /// byte; AddressSanitizer reports any read outside the allocation).
    static func touchTensors<S: Sequence>(_ tensors: S, file: MappedFile) where S.Element == Tensor {
        let lo = UInt(bitPattern: file.base), hi = lo + UInt(file.count)
        for t in tensors {
            guard let bytes = t.type.rowBytes(t.count), bytes > 0 else { continue }
            let start = UInt(bitPattern: t.data)
            guard start >= lo, start + UInt(bytes) <= hi else {
                fatalError("tensor '\(t.name)' (\(bytes) bytes at +\(start &- lo)) lies outside the \(file.count)-byte file")
            }
            _ = t.data.load(as: UInt8.self)
            _ = t.data.load(fromByteOffset: bytes - 1, as: UInt8.self)
        }
    }

    static func runToolCalls(_ input: [UInt8]) -> String {
        let text = String(decoding: input, as: UTF8.self)
        let whole = ToolCallStreamParser.parse(text, options: ToolCallParserOptions(idGenerator: .sequential()))
        // Streamed in chunks whose sizes come from the input: must give the same result.
        var parser = ToolCallStreamParser(options: ToolCallParserOptions(idGenerator: .sequential()))
        var events: [ToolCallStreamEvent] = []
        let scalars = Array(text.unicodeScalars)
        var i = 0
        var k = 0
        while i < scalars.count {
            let n = 1 + Int(input[k % input.count] % 7)
            k += 1
            let end = min(scalars.count, i + n)
            events += parser.feed(String(String.UnicodeScalarView(scalars[i..<end])))
            i = end
        }
        events += parser.finish()
        let streamed = ToolCallParseResult(events: events)
        guard streamed == whole else {
            fatalError("streamed tool-call parse differs from whole-text parse: \(streamed) vs \(whole)")
        }
        return "calls:\(min(whole.toolCalls.count, 3)):\(whole.content.isEmpty)"
    }
}
