import HTTPServer
import LFMRuntime
import LFMTokenizer
import Locking
import OrderedJSON

/// The state of one chat run while its `n` choices generate: it receives engine events (on
/// the engine thread), runs each choice's output through reasoning and tool-call parsing
/// (``ChoiceAssembler``), counts tokens, and hands the result to its API's
/// ``ChatOutputFormatter`` (chat.completions, Anthropic Messages, Responses), which writes the
/// stream events or the final body. Every API shares this one engine-event path.
final class ChatRun: Sendable {
    let id: String
    let options: GenerationOptions
    let tokenizer: Tokenizer
    let metrics: ServiceMetrics?
    private let state: Locked<State>

    struct Choice {
        var assembler: ChoiceAssembler
        var output = ChoiceOutput()
        var timer: GenerationTimer
        /// Generated token ids and the text the engine reported for them (to tell which stop
        /// string ended the choice).
        var ids: [Int] = []
        var rawText = ""
        /// Tokens since the last one that produced output, while outside the think block.
        var undecidedTokens = 0
    }

    struct State {
        var choices: [Choice]
        var usage = RunUsage()
        var out: RunOutput
        var formatter: any ChatOutputFormatter
        var done = false
    }

    /// A chat.completions run (``ChatCompletionsFormatter``).
    convenience init(id: String, model: String, created: Int, choices n: Int, options: GenerationOptions, parseTools: Bool, prefill: String,
                     reasoning: ReasoningFormat, startsInReasoning: Bool, tokenizer: Tokenizer, metrics: ServiceMetrics? = nil) {
        self.init(id: id, choices: n, options: options, parseTools: parseTools, prefill: prefill, reasoning: reasoning,
                  startsInReasoning: startsInReasoning, tokenizer: tokenizer, metrics: metrics,
                  formatter: ChatCompletionsFormatter(id: id, model: model, created: created, options: options))
    }

    /// A run whose output `formatter` writes.
    init(id: String, choices n: Int, options: GenerationOptions, parseTools: Bool, prefill: String, reasoning: ReasoningFormat,
         startsInReasoning: Bool, tokenizer: Tokenizer, metrics: ServiceMetrics? = nil, formatter: any ChatOutputFormatter) {
        self.id = id
        self.options = options
        self.tokenizer = tokenizer
        self.metrics = metrics
        let start = ContinuousClock.now
        let choices = (0..<n).map { _ in
            Choice(assembler: ChoiceAssembler(parseTools: parseTools, reasoning: reasoning, startsInReasoning: startsInReasoning, prefill: prefill),
                   timer: GenerationTimer(start: start))
        }
        // The opening events are made now, before any engine event can arrive, so their
        // sequence numbers come first even when tokens are produced before the stream starts.
        var formatter = formatter
        var out = RunOutput(streaming: options.stream)
        if options.stream { formatter.opening(choices: n).forEach { out.send($0) } }
        state = Locked(State(choices: choices, out: out, formatter: formatter))
    }

    /// Streams to `stream`: the formatter's opening events first, then what was produced
    /// before the stream started.
    func attach(_ stream: HTTPBodyStream) {
        state.withLock { $0.out.attach(stream) }
    }

    /// The stream events made so far and not yet sent (before ``attach(_:)``).
    var heldEvents: [SSEEvent] { state.withLock { $0.out.held } }

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
                s.choices[i].output.completionTokens += 1
                s.choices[i].timer.token(metrics)
                s.choices[i].ids.append(t.id)
                s.choices[i].rawText += t.text
                let wasInside = s.choices[i].assembler.insideReasoning
                let deltas = s.choices[i].assembler.feed(t.text)
                countReasoning(&s.choices[i], wasInside: wasInside, deltas: deltas)
                var lp: JSONValue = .null
                if options.logprobs {
                    let entry = logprobEntry(t)
                    s.choices[i].output.logprobs.append(entry)
                    lp = ["content": [entry]]
                }
                apply(deltas, to: &s, choice: i, logprobs: lp)
            case .finished(let reason, let trailing, let usage):
                s.choices[i].rawText += trailing
                var deltas = s.choices[i].assembler.feed(trailing)
                deltas += s.choices[i].assembler.finish(truncated: reason.isTruncation)
                apply(deltas, to: &s, choice: i, logprobs: .null)
                s.usage.promptTokens = usage.promptTokens
                s.usage.cachedTokens = max(s.usage.cachedTokens, usage.cachedTokens)
                s.choices[i].timer.finish(metrics, usage: usage, countPrompt: i == 0)
                s.choices[i].output.finish = finish(reason, usage: usage, choice: s.choices[i])
                s.choices[i].output.stopReason = reason.stopReason
                if reason == .loop { metrics?.loopGuardStopped() }
                let events = s.formatter.finished(choice: i, output: s.choices[i].output)
                events.forEach { s.out.send($0) }
                if s.choices.allSatisfy({ $0.output.finish != nil }) { respond = complete(&s) }
            case .failed(let message):
                s.done = true
                let e = OpenAIError.generationFailed(message)
                let events = s.formatter.errorEvents(e, outputs: s.choices.map(\.output), usage: totals(s))
                respond = s.out.fail(events: events, body: s.formatter.errorBody(e), status: e.status)
            }
        }
        if let (body, value, status) = respond { body(value, status) }
    }

    /// Counts the token just fed as reasoning when it was generated inside the think block,
    /// or opened it — together with the tokens before it that only held the opening tag's
    /// start (a tag spans several tokens), so the tags count as reasoning.
    private func countReasoning(_ c: inout Choice, wasInside: Bool, deltas: [ChoiceDelta]) {
        if wasInside || c.assembler.insideReasoning || deltas.contains(where: \.isReasoning) {
            c.output.reasoningTokens += 1 + (wasInside ? 0 : c.undecidedTokens)
            c.undecidedTokens = 0
        } else {
            c.undecidedTokens = deltas.isEmpty ? c.undecidedTokens + 1 : 0
        }
    }

    private func apply(_ deltas: [ChoiceDelta], to s: inout State, choice i: Int, logprobs: JSONValue) {
        for d in deltas {
            switch d {
            case .content(let t): s.choices[i].output.content += t
            case .reasoning(let t): s.choices[i].output.reasoning += t
            case .toolCall(let call): s.choices[i].output.toolCalls.append(call)
            }
        }
        guard options.stream else { return }
        let events = s.formatter.deltas(deltas, choice: i, logprobs: logprobs, output: s.choices[i].output)
        events.forEach { s.out.send($0) }
    }

    /// The API-neutral finish of a choice. A stop that consumed no EOS token was a stop
    /// string; which one is read off the decoded ids past the text the engine reported.
    private func finish(_ reason: FinishReason, usage: GenerationUsage, choice c: Choice) -> ChoiceFinish {
        if reason.isTruncation { return .length }
        if !c.output.toolCalls.isEmpty { return .toolCalls }
        guard !options.stop.isEmpty, usage.completionTokens == c.output.completionTokens else { return .stop }
        let decoded = tokenizer.decode(c.ids)
        guard decoded.hasPrefix(c.rawText) else { return .stopSequence(nil) }
        let rest = decoded.dropFirst(c.rawText.count)
        return .stopSequence(options.stop.filter { rest.hasPrefix($0) }.max(by: { $0.count < $1.count }))
    }

    private func totals(_ s: State) -> RunUsage {
        var u = s.usage
        u.completionTokens = s.choices.reduce(0) { $0 + $1.output.completionTokens }
        u.reasoningTokens = s.choices.reduce(0) { $0 + $1.output.reasoningTokens }
        return u
    }

    /// All choices finished: close the stream or build the response.
    private func complete(_ s: inout State) -> (RunOutput.Completion, JSONValue, Int)? {
        s.done = true
        let usage = totals(s)
        let outputs = s.choices.map(\.output)
        if options.stream {
            let events = s.formatter.closing(outputs, usage: usage)
            events.forEach { s.out.send($0) }
            s.out.finishStream(usage: usage.chatJSON)
            return nil
        }
        return s.out.complete(s.formatter.response(outputs, usage: usage), status: 200)
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

extension ChoiceDelta {
    var isReasoning: Bool { if case .reasoning = self { return true } else { return false } }
}

/// Identifies the serving configuration (OpenAI `system_fingerprint`).
let systemFingerprint = "fp_lfmserve_0_1"
