import HTTPServer
import LFMRuntime
import LFMTokenizer
import OrderedJSON
import Synchronization

/// The state of one chat completion while its `n` choices generate: it receives engine
/// events (on the engine thread), runs each choice's output through reasoning and tool-call
/// parsing, and either streams OpenAI chunks or builds the final response.
final class ChatRun: Sendable {
    let id: String
    let model: String
    let created: Int
    let options: GenerationOptions
    let tokenizer: Tokenizer
    let metrics: ServiceMetrics?
    private let state: Mutex<State>

    struct Choice {
        var assembler: ChoiceAssembler
        var content = ""
        var reasoning = ""
        var toolCalls: [JSONValue] = []
        var logprobs: [JSONValue] = []
        var finish: String?
        /// `stop_reason` when the loop guard ended the choice.
        var stopReason: JSONValue?
        var completionTokens = 0
        var timer: GenerationTimer
    }

    struct State {
        var choices: [Choice]
        var promptTokens = 0
        var cachedTokens = 0
        var out: RunOutput
        var done = false
    }

    init(id: String, model: String, created: Int, choices n: Int, options: GenerationOptions, parseTools: Bool, prefill: String,
         reasoning: ReasoningFormat, startsInReasoning: Bool, tokenizer: Tokenizer, metrics: ServiceMetrics? = nil) {
        self.id = id
        self.model = model
        self.created = created
        self.options = options
        self.tokenizer = tokenizer
        self.metrics = metrics
        let start = ContinuousClock.now
        let choices = (0..<n).map { _ in
            Choice(assembler: ChoiceAssembler(parseTools: parseTools, reasoning: reasoning, startsInReasoning: startsInReasoning, prefill: prefill),
                   timer: GenerationTimer(start: start))
        }
        state = Mutex(State(choices: choices, out: RunOutput(streaming: options.stream)))
    }

    /// Streams to `stream`: the role chunk of every choice first, then what was produced
    /// before the stream started.
    func attach(_ stream: HTTPBodyStream) {
        state.withLock { s in
            let roles = s.choices.indices.map { i in
                SSEEvent(data: chunk([["index": .integer(Int64(i)), "delta": ["role": "assistant", "content": ""],
                                       "logprobs": .null, "finish_reason": .null]]).serialized())
            }
            s.out.attach(stream, first: roles)
        }
    }

    /// Calls `body` with the response and its status once every choice has finished, or
    /// with the error once one failed (non-streamed).
    func onComplete(_ body: @escaping RunOutput.Completion) {
        if let (value, status) = state.withLock({ $0.out.onComplete(body) }) { body(value, status) }
    }

    /// One engine event of choice `i`.
    func handle(choice i: Int, event: GenerationEvent) {
        var respond: (RunOutput.Completion, JSONValue, Int)?
        state.withLock { s in
            guard !s.done else { return }
            switch event {
            case .promptLogprobs: break
            case .token(let t):
                s.choices[i].completionTokens += 1
                s.choices[i].timer.token(metrics)
                let deltas = s.choices[i].assembler.feed(t.text)
                var lp: JSONValue = .null
                if options.logprobs {
                    let entry = logprobEntry(t)
                    s.choices[i].logprobs.append(entry)
                    lp = ["content": [entry]]
                }
                apply(deltas, to: &s, choice: i, logprobs: lp)
            case .finished(let reason, let trailing, let usage):
                var deltas = s.choices[i].assembler.feed(trailing)
                deltas += s.choices[i].assembler.finish(truncated: reason.isTruncation)
                apply(deltas, to: &s, choice: i, logprobs: .null)
                s.promptTokens = usage.promptTokens
                s.cachedTokens = max(s.cachedTokens, usage.cachedTokens)
                s.choices[i].timer.finish(metrics, usage: usage, countPrompt: i == 0)
                let finish = reason.isTruncation ? "length" : (!s.choices[i].toolCalls.isEmpty ? "tool_calls" : "stop")
                s.choices[i].finish = finish
                s.choices[i].stopReason = reason.stopReason
                if reason == .loop { metrics?.loopGuardStopped() }
                var last: JSONObject = ["index": .integer(Int64(i)), "delta": [:], "logprobs": .null, "finish_reason": .string(finish)]
                last["stop_reason"] = reason.stopReason
                s.out.send(SSEEvent(data: chunk([.object(last)]).serialized()))
                if s.choices.allSatisfy({ $0.finish != nil }) { respond = complete(&s) }
            case .failed(let message):
                s.done = true
                respond = s.out.fail(.generationFailed(message))
            }
        }
        if let (body, value, status) = respond { body(value, status) }
    }

    private func apply(_ deltas: [ChoiceDelta], to s: inout State, choice i: Int, logprobs: JSONValue) {
        var sentLogprobs = false
        for d in deltas {
            var delta: JSONObject = [:]
            switch d {
            case .content(let t):
                s.choices[i].content += t
                delta["content"] = .string(t)
            case .reasoning(let t):
                s.choices[i].reasoning += t
                delta["reasoning_content"] = .string(t)
            case .toolCall(let call):
                s.choices[i].toolCalls.append(call.jsonValue())
                delta["tool_calls"] = [call.streamDeltaJSONValue()]
            }
            if options.stream {
                let lp = sentLogprobs ? .null : logprobs
                sentLogprobs = true
                s.out.send(SSEEvent(data: chunk([["index": .integer(Int64(i)), "delta": .object(delta), "logprobs": lp,
                                                  "finish_reason": .null]]).serialized()))
            }
        }
        if !sentLogprobs, !logprobs.isNull, options.stream {
            s.out.send(SSEEvent(data: chunk([["index": .integer(Int64(i)), "delta": [:], "logprobs": logprobs,
                                              "finish_reason": .null]]).serialized()))
        }
    }

    /// All choices finished: close the stream or build the response.
    private func complete(_ s: inout State) -> (RunOutput.Completion, JSONValue, Int)? {
        s.done = true
        if options.stream {
            if options.includeUsage {
                var c = chunk([])
                if case .object(var o) = c { o["usage"] = usage(s); c = .object(o) }
                s.out.send(SSEEvent(data: c.serialized()))
            }
            s.out.send(SSEEvent(data: "[DONE]"))
            s.out.finishStream(usage: usage(s))
            return nil
        }
        return s.out.complete(response(s), status: 200)
    }

    private func usage(_ s: State) -> JSONValue {
        let completion = s.choices.reduce(0) { $0 + $1.completionTokens }
        return ["prompt_tokens": .integer(Int64(s.promptTokens)), "completion_tokens": .integer(Int64(completion)),
                "total_tokens": .integer(Int64(s.promptTokens + completion)),
                "prompt_tokens_details": ["cached_tokens": .integer(Int64(s.cachedTokens))]]
    }

    private func response(_ s: State) -> JSONValue {
        let choices: [JSONValue] = s.choices.enumerated().map { i, c in
            var message: JSONObject = ["role": "assistant"]
            message["content"] = c.content.isEmpty && !c.toolCalls.isEmpty ? .null : .string(c.content)
            if !c.reasoning.isEmpty { message["reasoning_content"] = .string(c.reasoning) }
            if !c.toolCalls.isEmpty { message["tool_calls"] = .array(c.toolCalls) }
            var choice: JSONObject = ["index": .integer(Int64(i)), "message": .object(message),
                                      "logprobs": options.logprobs ? ["content": .array(c.logprobs)] : .null,
                                      "finish_reason": .string(c.finish ?? "stop")]
            choice["stop_reason"] = c.stopReason
            return .object(choice)
        }
        return ["id": .string(id), "object": "chat.completion", "created": .integer(Int64(created)), "model": .string(model),
                "system_fingerprint": .string(systemFingerprint), "choices": .array(choices), "usage": usage(s)]
    }

    private func chunk(_ choices: [JSONValue]) -> JSONValue {
        ["id": .string(id), "object": "chat.completion.chunk", "created": .integer(Int64(created)), "model": .string(model),
         "system_fingerprint": .string(systemFingerprint), "choices": .array(choices)]
    }

    private func logprobEntry(_ t: TokenOutput) -> JSONValue {
        func item(_ id: Int, _ lp: Float) -> JSONObject {
            let bytes = tokenizer.bytes(of: id) ?? []
            return ["token": .string(String(decoding: bytes, as: UTF8.self)), "logprob": .double(Double(lp)),
                    "bytes": .array(bytes.map { .integer(Int64($0)) })]
        }
        var e = item(t.id, t.logprob)
        e["top_logprobs"] = .array(t.topLogprobs.map { .object(item($0.id, $0.logprob)) })
        return .object(e)
    }
}

/// Identifies the serving configuration (OpenAI `system_fingerprint`).
let systemFingerprint = "fp_lfmserve_0_1"
