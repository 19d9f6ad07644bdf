import Foundation
import HTTPServer
import LFMRuntime
import LFMTokenizer
import Locking
import OrderedJSON

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
            let t = try ids(a); prompts = [t]; texts = [tokenizer.decode(t, skipSpecialTokens: true)]
        case .array(let a) where a.allSatisfy({ $0.arrayValue != nil }) && !a.isEmpty:
            for v in a { let t = try ids(v.arrayValue!); prompts.append(t); texts.append(tokenizer.decode(t, skipSpecialTokens: true)) }
        default:
            throw .invalidRequest("'prompt' must be a string, an array of strings, an array of token ids or an array of such arrays", param: "prompt")
        }
        guard prompts.allSatisfy({ !$0.isEmpty }) else { throw .invalidRequest("'prompt' must not be empty", param: "prompt") }
        let echo = try r.bool("echo") ?? false
        let options = try GenerationOptions(r, maxTokensKeys: ["max_tokens"], logprobsAsInt: true, allowZeroMaxTokens: echo)
        try options.validate(vocabularySize: engine.model.checkpoint.config.vocabSize)
        let structured = try StructuredOutputRequest.read(r)
        let constraint = try structuredOutputs.constraint(structured: structured, tools: [], choice: .none, parallel: false, reasoning: .none)
        let maxTokensAsked = options.maxTokens ?? 16   // OpenAI's default for completions
        let maxTokens = try prompts.map { (ids: [Int]) throws(OpenAIError) -> Int in try resolveMaxTokens(maxTokensAsked, promptTokens: ids.count, promptField: "prompt") }
        let id = "cmpl-" + randomID()
        let run = CompletionRun(id: id, model: configuration.modelID, created: Int(Date().timeIntervalSince1970),
                                count: prompts.count * options.n, options: options, echo: echo ? texts : nil, n: options.n,
                                metrics: metrics, echoTokens: echo ? prompts : nil)
        var requests: [GenerationRequest] = []
        for (pi, prompt) in prompts.enumerated() {
            for j in 0..<options.n {
                var sampling = options.sampling
                if let s = sampling.seed { sampling.seed = s &+ UInt64(j) }
                requests.append(GenerationRequest(id: "\(id)-\(pi * options.n + j)", promptTokens: prompt, sampling: sampling,
                                                  maxTokens: maxTokens[pi], stopStrings: options.stop, ignoreEOS: options.ignoreEOS,
                                                  logprobs: options.logprobs, topLogprobs: options.topLogprobs, skipSpecialTokens: true,
                                                  constraint: constraint))
                // echo + logprobs: the prompt's tokens are scored too (docs/api.md, "Prompt log-probabilities").
                if echo && options.logprobs { requests[requests.count - 1].promptLogprobs = options.topLogprobs }
                requests[requests.count - 1].loopGuard = options.resolvedLoopGuard(default: configuration.loopGuard)
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
    /// The prompts' ids (with `echo`): their tokens lead the choice's `logprobs`.
    let echoTokens: [[Int]]?
    let metrics: ServiceMetrics?
    private let state: Locked<State>

    struct State {
        var text: [String]
        var finish: [String?]
        var stopReason: [JSONValue?]
        var tokens: [[JSONValue]]
        var tokenLogprobs: [[JSONValue]]
        var top: [[JSONValue]]
        /// Per listed token: how many code points it adds to the text (`text_offset`).
        var widths: [[Int]]
        /// Per choice: whether the echoed prompt text went out.
        var echoed: [Bool]
        var completionTokens = 0
        var promptTokens: [Int]
        var cachedTokens = 0
        var out: RunOutput
        var done = false
        var timers: [GenerationTimer]
    }

    init(id: String, model: String, created: Int, count: Int, options: GenerationOptions, echo: [String]?, n: Int,
         metrics: ServiceMetrics? = nil, echoTokens: [[Int]]? = nil) {
        self.id = id; self.model = model; self.created = created; self.options = options; self.echo = echo; self.n = n
        self.metrics = metrics; self.echoTokens = echoTokens
        let start = ContinuousClock.now
        state = Locked(State(text: Array(repeating: "", count: count), finish: Array(repeating: nil, count: count),
                            stopReason: Array(repeating: nil, count: count),
                            tokens: Array(repeating: [], count: count), tokenLogprobs: Array(repeating: [], count: count),
                            top: Array(repeating: [], count: count), widths: Array(repeating: [], count: count), echoed: Array(repeating: false, count: count), promptTokens: Array(repeating: 0, count: count),
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
            case .promptLogprobs(let scores):
                guard options.logprobs, let first = echoTokens?[i / n].first else { break }
                s.tokens[i].append(.string(Self.tokenText(first, tokenizer)))
                s.widths[i].append(Self.width(first, tokenizer))
                s.tokenLogprobs[i].append(.null)
                s.top[i].append(.null)
                for p in scores { appendLogprob(&s, i, id: p.id, logprob: p.logprob, top: p.topLogprobs, tokenizer) }
            case .token(let t):
                s.completionTokens += 1
                s.timers[i].token(metrics)
                let text = echoPrefix(&s, i) + t.text
                s.text[i] += text
                if options.logprobs { appendLogprob(&s, i, id: t.id, logprob: t.logprob, top: t.topLogprobs, tokenizer) }
                if !text.isEmpty { s.out.send(SSEEvent(data: chunk(i, text, nil).serialized())) }
            case .finished(let reason, var trailing, let u):
                trailing = echoPrefix(&s, i) + trailing
                s.text[i] += trailing
                s.promptTokens[i] = u.promptTokens
                if i % n == 0 { s.cachedTokens += u.cachedTokens }
                s.timers[i].finish(metrics, usage: u, countPrompt: i % n == 0)
                let f = reason.isTruncation ? "length" : "stop"
                s.finish[i] = f
                s.stopReason[i] = reason.stopReason
                if reason == .loop { metrics?.loopGuardStopped() }
                s.out.send(SSEEvent(data: chunk(i, trailing, f, stopReason: reason.stopReason).serialized()))
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

    /// The echoed prompt of choice `i` the first time it is asked for, then "".
    private func echoPrefix(_ s: inout State, _ i: Int) -> String {
        guard let echo, !s.echoed[i] else { return "" }
        s.echoed[i] = true
        return echo[i / n]
    }

    /// A token's text as the `logprobs` object lists it (its bytes, invalid UTF-8 replaced).
    static func tokenText(_ id: Int, _ tokenizer: Tokenizer) -> String {
        String(decoding: tokenizer.bytes(of: id) ?? [], as: UTF8.self)
    }

    private func appendLogprob(_ s: inout State, _ i: Int, id: Int, logprob: Float, top: [TokenLogprob], _ tokenizer: Tokenizer) {
        s.tokens[i].append(.string(Self.tokenText(id, tokenizer)))
        s.widths[i].append(Self.width(id, tokenizer))
        s.tokenLogprobs[i].append(.double(Double(logprob)))
        var alternatives: JSONObject = [:]
        for a in top { alternatives[Self.tokenText(a.id, tokenizer)] = .double(Double(a.logprob)) }
        s.top[i].append(.object(alternatives))
    }

    /// Code points a token adds to the choice's text: its bytes' UTF-8 lead bytes; special
    /// tokens add none (the text leaves them out).
    static func width(_ id: Int, _ tokenizer: Tokenizer) -> Int {
        (tokenizer.bytes(of: id, skipSpecial: true) ?? []).reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
    }

    /// `text_offset`: where each listed token starts in the choice's text, in code points
    /// (Python string indices), from 0.
    static func textOffsets(_ widths: [Int]) -> [JSONValue] {
        var offset = 0
        return widths.map { w in
            defer { offset += w }
            return .integer(Int64(offset))
        }
    }

    private func usage(_ s: State) -> JSONValue {
        let prompt = stride(from: 0, to: s.promptTokens.count, by: n).reduce(0) { $0 + s.promptTokens[$1] }
        return ["prompt_tokens": .integer(Int64(prompt)), "completion_tokens": .integer(Int64(s.completionTokens)),
                "total_tokens": .integer(Int64(prompt + s.completionTokens)),
                "prompt_tokens_details": ["cached_tokens": .integer(Int64(s.cachedTokens))]]
    }

    private func chunk(_ i: Int?, _ text: String, _ finish: String?, stopReason: JSONValue? = nil) -> JSONValue {
        var choices: [JSONValue] = []
        if let i {
            var c: JSONObject = ["index": .integer(Int64(i)), "text": .string(text), "logprobs": .null,
                                 "finish_reason": finish.map { .string($0) } ?? .null]
            c["stop_reason"] = stopReason
            choices = [.object(c)]
        }
        return ["id": .string(id), "object": "text_completion", "created": .integer(Int64(created)), "model": .string(model),
                "system_fingerprint": .string(systemFingerprint), "choices": .array(choices)]
    }

    private func response(_ s: State) -> JSONValue {
        let choices: [JSONValue] = s.text.indices.map { i in
            var lp: JSONValue = .null
            if options.logprobs {
                lp = ["tokens": .array(s.tokens[i]), "token_logprobs": .array(s.tokenLogprobs[i]),
                      "top_logprobs": .array(s.top[i]), "text_offset": .array(Self.textOffsets(s.widths[i]))]
            }
            var c: JSONObject = ["index": .integer(Int64(i)), "text": .string(s.text[i]), "logprobs": lp,
                                 "finish_reason": .string(s.finish[i] ?? "stop")]
            c["stop_reason"] = s.stopReason[i]
            return .object(c)
        }
        return ["id": .string(id), "object": "text_completion", "created": .integer(Int64(created)), "model": .string(model),
                "system_fingerprint": .string(systemFingerprint), "choices": .array(choices), "usage": usage(s)]
    }
}
