import Foundation
import HTTPServer
import LFMRuntime
import LFMTokenizer
import OrderedJSON
import Synchronization

extension OpenAIService {
    /// `POST /v1/completions`: prompt as a string, an array of strings, token ids, or an array
    /// of token-id arrays; `echo`; `logprobs` as a number of alternatives; streamed or not.
    func completions(_ req: HTTPRequest, _ res: HTTPResponder) throws(OpenAIError) {
        let body = try parseBody(req)
        let r = try RequestReader(body)
        try checkModel(try r.string("model"))
        guard let p = r.value("prompt") else { throw .invalidRequest("'prompt' is required", param: "prompt") }
        var prompts: [[Int]] = []
        var texts: [String] = []
        func ids(_ a: [JSONValue]) throws(OpenAIError) -> [Int] {
            try a.map { (v: JSONValue) throws(OpenAIError) -> Int in
                guard case .integer = v, let i = v.intValue, i >= 0, i < engine.model.checkpoint.config.vocabSize else {
                    throw .invalidRequest("'prompt' token ids must be integers in 0..<\(engine.model.checkpoint.config.vocabSize)", param: "prompt")
                }
                return i
            }
        }
        switch p {
        case .string(let s): prompts = [tokenizer.encode(s)]; texts = [s]
        case .array(let a) where a.allSatisfy({ $0.stringValue != nil }) && !a.isEmpty:
            for v in a { prompts.append(tokenizer.encode(v.stringValue!)); texts.append(v.stringValue!) }
        case .array(let a) where a.allSatisfy({ if case .integer = $0 { return true } else { return false } }) && !a.isEmpty:
            let t = try ids(a); prompts = [t]; texts = [tokenizer.decode(t)]
        case .array(let a) where a.allSatisfy({ $0.arrayValue != nil }) && !a.isEmpty:
            for v in a { let t = try ids(v.arrayValue!); prompts.append(t); texts.append(tokenizer.decode(t)) }
        default:
            throw .invalidRequest("'prompt' must be a string, an array of strings, an array of token ids or an array of such arrays", param: "prompt")
        }
        guard prompts.allSatisfy({ !$0.isEmpty }) else { throw .invalidRequest("'prompt' must not be empty", param: "prompt") }
        let options = try GenerationOptions(r, maxTokensKeys: ["max_tokens"], logprobsAsInt: true)
        try options.validate(vocabularySize: engine.model.checkpoint.config.vocabSize)
        let echo = try r.bool("echo") ?? false
        let structured = try StructuredOutputRequest.read(r)
        let constraint = try structuredOutputs.constraint(structured: structured, tools: [], choice: .none, parallel: false, reasoning: .none)
        let maxTokensAsked = options.maxTokens ?? 16   // OpenAI's default for completions
        let maxTokens = try prompts.map { (ids: [Int]) throws(OpenAIError) -> Int in try resolveMaxTokens(maxTokensAsked, promptTokens: ids.count, promptField: "prompt") }
        let id = "cmpl-" + randomID()
        let run = CompletionRun(id: id, model: configuration.modelID, created: Int(Date().timeIntervalSince1970),
                                count: prompts.count * options.n, options: options, echo: echo ? texts : nil, n: options.n,
                                metrics: metrics)
        var requests: [GenerationRequest] = []
        for (pi, prompt) in prompts.enumerated() {
            for j in 0..<options.n {
                var sampling = options.sampling
                if let s = sampling.seed { sampling.seed = s &+ UInt64(j) }
                requests.append(GenerationRequest(id: "\(id)-\(pi * options.n + j)", promptTokens: prompt, sampling: sampling,
                                                  maxTokens: maxTokens[pi], stopStrings: options.stop, ignoreEOS: options.ignoreEOS,
                                                  logprobs: options.logprobs, topLogprobs: options.topLogprobs, skipSpecialTokens: true,
                                                  constraint: constraint))
            }
        }
        let tokenizer = self.tokenizer
        try start(requests, promptParam: "prompt", stream: options.stream, res: res, attach: { run.attach($0) }, onComplete: { run.onComplete($0) },
                  sink: { i, event in run.handle(index: i, event: event, tokenizer: tokenizer) })
    }
}

/// State of one `/v1/completions` request across its choices.
final class CompletionRun: Sendable {
    let id: String, model: String, created: Int, options: GenerationOptions, n: Int
    let echo: [String]?
    let metrics: ServiceMetrics?
    private let state: Mutex<State>

    struct State {
        var text: [String]
        var finish: [String?]
        var tokens: [[JSONValue]]
        var tokenLogprobs: [[JSONValue]]
        var top: [[JSONValue]]
        var completionTokens = 0
        var promptTokens: [Int]
        var cachedTokens = 0
        var out: RunOutput
        var done = false
        var timers: [GenerationTimer]
    }

    init(id: String, model: String, created: Int, count: Int, options: GenerationOptions, echo: [String]?, n: Int,
         metrics: ServiceMetrics? = nil) {
        self.id = id; self.model = model; self.created = created; self.options = options; self.echo = echo; self.n = n
        self.metrics = metrics
        let start = ContinuousClock.now
        state = Mutex(State(text: Array(repeating: "", count: count), finish: Array(repeating: nil, count: count),
                            tokens: Array(repeating: [], count: count), tokenLogprobs: Array(repeating: [], count: count),
                            top: Array(repeating: [], count: count), promptTokens: Array(repeating: 0, count: count),
                            out: RunOutput(streaming: options.stream), timers: Array(repeating: GenerationTimer(start: start), count: count)))
    }

    /// Streams to `stream` (sending what was produced before it started).
    func attach(_ stream: HTTPBodyStream) { state.withLock { $0.out.attach(stream) } }

    /// Calls `body` with the response (or the error) and its status when done (non-streamed).
    func onComplete(_ body: @escaping RunOutput.Completion) {
        if let (value, status) = state.withLock({ $0.out.onComplete(body) }) { body(value, status) }
    }

    func handle(index i: Int, event: GenerationEvent, tokenizer: Tokenizer) {
        var respond: (RunOutput.Completion, JSONValue, Int)?
        state.withLock { s in
            guard !s.done else { return }
            switch event {
            case .token(let t):
                s.completionTokens += 1
                s.timers[i].token(metrics)
                var text = t.text
                if s.text[i].isEmpty && s.tokens[i].isEmpty, let echo { text = echo[i / n] + text }
                s.text[i] += text
                if options.logprobs {
                    let tok = String(decoding: tokenizer.bytes(of: t.id) ?? [], as: UTF8.self)
                    s.tokens[i].append(.string(tok))
                    s.tokenLogprobs[i].append(.double(Double(t.logprob)))
                    var top: JSONObject = [:]
                    for a in t.topLogprobs { top[String(decoding: tokenizer.bytes(of: a.id) ?? [], as: UTF8.self)] = .double(Double(a.logprob)) }
                    s.top[i].append(.object(top))
                }
                if !text.isEmpty { s.out.send(SSEEvent(data: chunk(i, text, nil).serialized())) }
            case .finished(let reason, let trailing, let u):
                s.text[i] += trailing
                s.promptTokens[i] = u.promptTokens
                if i % n == 0 { s.cachedTokens += u.cachedTokens }
                s.timers[i].finish(metrics, usage: u, countPrompt: i % n == 0)
                let f = reason == .length ? "length" : "stop"
                s.finish[i] = f
                s.out.send(SSEEvent(data: chunk(i, trailing, f).serialized()))
                if s.finish.allSatisfy({ $0 != nil }) {
                    s.done = true
                    if options.stream {
                        if options.includeUsage, case .object(var o) = chunk(nil, "", nil) {
                            o["choices"] = []
                            o["usage"] = usage(s)
                            s.out.send(SSEEvent(data: JSONValue.object(o).serialized()))
                        }
                        s.out.send(SSEEvent(data: "[DONE]"))
                        s.out.finishStream(usage: usage(s))
                    } else {
                        respond = s.out.complete(response(s), status: 200)
                    }
                }
            case .failed(let m):
                s.done = true
                respond = s.out.fail(.generationFailed(m))
            }
        }
        if let (b, v, st) = respond { b(v, st) }
    }

    private func usage(_ s: State) -> JSONValue {
        let prompt = stride(from: 0, to: s.promptTokens.count, by: n).reduce(0) { $0 + s.promptTokens[$1] }
        return ["prompt_tokens": .integer(Int64(prompt)), "completion_tokens": .integer(Int64(s.completionTokens)),
                "total_tokens": .integer(Int64(prompt + s.completionTokens)),
                "prompt_tokens_details": ["cached_tokens": .integer(Int64(s.cachedTokens))]]
    }

    private func chunk(_ i: Int?, _ text: String, _ finish: String?) -> JSONValue {
        var choices: [JSONValue] = []
        if let i {
            choices = [["index": .integer(Int64(i)), "text": .string(text), "logprobs": .null,
                        "finish_reason": finish.map { .string($0) } ?? .null]]
        }
        return ["id": .string(id), "object": "text_completion", "created": .integer(Int64(created)), "model": .string(model),
                "system_fingerprint": .string(systemFingerprint), "choices": .array(choices)]
    }

    private func response(_ s: State) -> JSONValue {
        let choices: [JSONValue] = s.text.indices.map { i in
            var lp: JSONValue = .null
            if options.logprobs {
                lp = ["tokens": .array(s.tokens[i]), "token_logprobs": .array(s.tokenLogprobs[i]),
                      "top_logprobs": .array(s.top[i]), "text_offset": .array([])]
            }
            return ["index": .integer(Int64(i)), "text": .string(s.text[i]), "logprobs": lp,
                    "finish_reason": .string(s.finish[i] ?? "stop")]
        }
        return ["id": .string(id), "object": "text_completion", "created": .integer(Int64(created)), "model": .string(model),
                "system_fingerprint": .string(systemFingerprint), "choices": .array(choices), "usage": usage(s)]
    }
}
