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
        let echo = try r.bool("echo") ?? false
        let maxTokensAsked = options.maxTokens ?? 16   // OpenAI's default for completions
        let maxTokens = try prompts.map { (ids: [Int]) throws(OpenAIError) -> Int in try resolveMaxTokens(maxTokensAsked, promptTokens: ids.count) }
        let id = "cmpl-" + randomID()
        let run = CompletionRun(id: id, model: try r.string("model") ?? configuration.modelID, created: Int(Date().timeIntervalSince1970),
                                count: prompts.count * options.n, options: options, echo: echo ? texts : nil, n: options.n,
                                metrics: metrics)
        let stream = options.stream ? res.startSSE() : nil
        if let stream { run.attach(stream) }
        var handles: [RequestHandle] = []
        for (pi, prompt) in prompts.enumerated() {
            for j in 0..<options.n {
                let index = pi * options.n + j
                var sampling = options.sampling
                if let s = sampling.seed { sampling.seed = s &+ UInt64(j) }
                let request = GenerationRequest(id: "\(id)-\(index)", promptTokens: prompt, sampling: sampling, maxTokens: maxTokens[pi],
                                                stopStrings: options.stop, ignoreEOS: options.ignoreEOS, logprobs: options.logprobs,
                                                topLogprobs: options.topLogprobs,
                                                skipSpecialTokens: true)
                do {
                    handles.append(try engine.submit(request) { event in run.handle(index: index, event: event, tokenizer: self.tokenizer) })
                } catch {
                    handles.forEach { $0.cancel() }
                    let e = submitError(error)
                    if let stream {
                        _ = stream.send(SSEEvent(data: e.json.serialized()))
                        stream.finish()
                        return
                    }
                    throw e
                }
            }
        }
        let hs = handles
        if let stream { stream.onCancel { hs.forEach { $0.cancel() } } } else {
            res.onCancel { hs.forEach { $0.cancel() } }
            run.onComplete { value in
                res.logUsage(value["usage"])
                res.respond(self.json(value))
            }
        }
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
        var stream: HTTPBodyStream?
        var completion: (@Sendable (JSONValue) -> Void)?
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
                            timers: Array(repeating: GenerationTimer(start: start), count: count)))
    }

    func attach(_ stream: HTTPBodyStream) { state.withLock { $0.stream = stream } }

    func onComplete(_ body: @escaping @Sendable (JSONValue) -> Void) {
        let ready: JSONValue? = state.withLock { s in
            if s.done { return response(s) }
            s.completion = body
            return nil
        }
        if let ready { body(ready) }
    }

    func handle(index i: Int, event: GenerationEvent, tokenizer: Tokenizer) {
        var respond: (@Sendable (JSONValue) -> Void, JSONValue)?
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
                if let stream = s.stream, !text.isEmpty { _ = stream.send(SSEEvent(data: chunk(i, text, nil).serialized())) }
            case .finished(let reason, let trailing, let u):
                s.text[i] += trailing
                s.promptTokens[i] = u.promptTokens
                if i % n == 0 { s.cachedTokens += u.cachedTokens }
                s.timers[i].finish(metrics, usage: u, countPrompt: i % n == 0)
                let f = reason == .length ? "length" : "stop"
                s.finish[i] = f
                if let stream = s.stream { _ = stream.send(SSEEvent(data: chunk(i, trailing, f).serialized())) }
                if s.finish.allSatisfy({ $0 != nil }) {
                    s.done = true
                    if let stream = s.stream {
                        if options.includeUsage, case .object(var o) = chunk(nil, "", nil) {
                            o["choices"] = []
                            o["usage"] = usage(s)
                            _ = stream.send(SSEEvent(data: JSONValue.object(o).serialized()))
                        }
                        _ = stream.send(SSEEvent(data: "[DONE]"))
                        stream.logUsage(usage(s))
                        stream.finish()
                    } else if let c = s.completion {
                        respond = (c, response(s))
                    }
                }
            case .failed(let m):
                s.done = true
                let e = OpenAIError.server("generation failed: \(m)")
                if let stream = s.stream { _ = stream.send(SSEEvent(data: e.json.serialized())); stream.finish() }
                else if let c = s.completion { respond = (c, e.json) }
            }
        }
        if let (b, v) = respond { b(v) }
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
