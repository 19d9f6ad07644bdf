import LFMGrammar
import LFMRuntime
import LFMTokenizer
import Locking
import OrderedJSON

/// The service's side of structured outputs: one grammar compiler over the model's vocabulary
/// (built on first use, caching compiled grammars by content), and the planning of a request's
/// ``OutputConstraint`` from its structured-output field, its tools and `tool_choice`
/// (docs/api.md, "Structured outputs"; docs/architecture.md, "Structured outputs").
final class StructuredOutputs: Sendable {
    private let tokenizer: Tokenizer
    private let endIDs: [Int]
    private let box = Locked<GrammarCompiler?>(nil)
    /// `<|tool_call_start|>` / `<|tool_call_end|>`, when the vocabulary has them.
    let toolCallTokens: (start: Int, end: Int)?

    init(tokenizer: Tokenizer, endIDs: Set<Int>) {
        self.tokenizer = tokenizer
        self.endIDs = endIDs.sorted()
        if let s = tokenizer.id(forToken: "<|tool_call_start|>"), let e = tokenizer.id(forToken: "<|tool_call_end|>") {
            toolCallTokens = (s, e)
        } else {
            toolCallTokens = nil
        }
    }

    /// The compiler (its vocabulary is built once, on first use).
    var compiler: GrammarCompiler {
        box.withLock { c in
            if let c { return c }
            let made = GrammarCompiler(vocabulary: TokenVocabulary(tokenizer: tokenizer, eosIDs: endIDs), cacheCapacity: 256)
            c = made
            return made
        }
    }

    /// Builds the compiler's vocabulary and the JSON rules every schema shares (a JSON-object
    /// grammar), so the first structured request does not pay for them (~0.1 s with a 65k
    /// vocabulary). Errors are left for that request to report.
    func prepare() {
        // Building every state of JSON mode builds the process-wide DFAs of the built-in JSON
        // rules (values, strings, whitespace) that every schema's grammar calls.
        (try? compiler.compile(.jsonObject))?.buildAllStates()
    }

    /// Whether the compiler (and its view of the vocabulary) exists yet.
    var isCompilerBuilt: Bool { box.withLock { $0 != nil } }

    /// Compiles `spec`; an unsupported or unsatisfiable one is a 400 naming `param` and the
    /// keyword or rule the compiler names.
    func compile(_ spec: GrammarSpec, param: String) throws(OpenAIError) -> CompiledGrammar {
        do {
            return try compiler.compile(spec)
        } catch {
            throw .invalidRequest("'\(param)' cannot be enforced: \(error.message)", param: param)
        }
    }

    /// A function of `tools`, as the tool-call grammar sees it.
    struct Tool {
        var name: String
        var parameters: JSONValue?
        var strict: Bool
        /// Position in `tools` (for error messages).
        var index: Int
    }

    /// The functions of a request's `tools` (Chat Completions shape).
    static func tools(_ tools: [JSONValue]?) -> [Tool] {
        (tools ?? []).enumerated().compactMap { i, t in
            guard let f = t["function"], let name = f["name"]?.stringValue else { return nil }
            return Tool(name: name, parameters: f["parameters"], strict: f["strict"]?.boolValue ?? false, index: i)
        }
    }

    /// Plans the constraint of a chat request.
    /// - Parameters:
    ///   - structured: the answer's format (`response_format` and the other dialects), or nil.
    ///   - tools: the request's functions; `choice` its `tool_choice`; `parallel` its `parallel_tool_calls`.
    ///   - reasoning: how a think block before the answer is kept free.
    /// - Returns: nil when nothing constrains the output.
    func constraint(structured: StructuredOutputRequest?, tools: [Tool], choice: ChatCompletionRequest.ToolChoice,
                    parallel: Bool, reasoning: OutputConstraint.Reasoning) throws(OpenAIError) -> OutputConstraint? {
        let answer = try structured.map { (s: StructuredOutputRequest) throws(OpenAIError) -> Grammar in
            do { return try GrammarCompiler.grammar(for: s.spec) } catch {
                throw .invalidRequest("'\(s.param)' cannot be enforced: \(error)", param: s.param)
            }
        }
        let param = structured?.param ?? "tools"
        func build(_ g: Grammar, scope: OutputConstraint.Scope) throws(OpenAIError) -> OutputConstraint {
            OutputConstraint(grammar: try compile(.grammar(g), param: param), scope: scope,
                             reasoning: scope == .whole ? reasoning : .none)
        }
        guard let marks = toolCallTokens, !tools.isEmpty, choice != .none else {
            return try answer.map { g throws(OpenAIError) in try build(g, scope: .whole) }
        }
        switch choice {
        case .required, .function:
            var chosen = tools
            if case .function(let name) = choice { chosen = tools.filter { $0.name == name } }
            let calls = try toolCallGrammar(chosen, marks: marks, parallel: parallel && choice == .required, allSchemas: true)
            return try build(calls, scope: .whole)
        case .auto, .none:
            if let answer {
                let calls = try toolCallGrammar(tools, marks: marks, parallel: parallel, allSchemas: false)
                return try build(.union([calls, answer], name: "tool_call_or_answer"), scope: .whole)
            }
            guard tools.contains(where: \.strict) else { return nil }
            let calls = try toolCallGrammar(tools, marks: marks, parallel: parallel, allSchemas: false)
            return try build(calls, scope: .triggered(by: marks.start))
        }
    }

    /// The LFM2 tool-call grammar of `tools`. Strict functions' arguments follow their
    /// `parameters` schema (a schema that cannot be enforced is a 400); others follow it too when
    /// `allSchemas` (a forced call) and it compiles, else any keyword arguments.
    func toolCallGrammar(_ tools: [Tool], marks: (start: Int, end: Int), parallel: Bool, allSchemas: Bool) throws(OpenAIError) -> Grammar {
        var list: [ToolCallGrammar.Tool] = []
        for t in tools {
            var tool = ToolCallGrammar.Tool(name: t.name, parameters: t.strict || allSchemas ? t.parameters : nil)
            do {
                _ = try ToolCallGrammar.lfm2(tools: [tool], startToken: marks.start, endToken: marks.end)
            } catch {
                let p = "tools[\(t.index)].function.parameters"
                if t.strict || tool.parameters == nil { throw .invalidRequest("'\(p)' cannot be enforced: \(error.message)", param: p) }
                tool.parameters = nil
            }
            list.append(tool)
        }
        do {
            return try ToolCallGrammar.lfm2(tools: list, startToken: marks.start, endToken: marks.end, parallel: parallel)
        } catch {
            throw .invalidRequest("'tools' cannot be enforced: \(error.message)", param: "tools")
        }
    }
}
