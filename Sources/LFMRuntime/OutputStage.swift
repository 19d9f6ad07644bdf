import LFMTokenizer

/// The sampler and output stage: from one sequence's next-token logits to its next token and
/// events. Logit processors (repetition, presence/frequency penalties, logit_bias; constraint
/// masks plug in here) act on a copy of the logits, the sampler draws with the sequence's own
/// generator, log-probabilities are of the model's unmodified distribution, and the token's
/// text goes through the streaming detokenizer and the stop-string matcher before it is sent.
struct OutputStage {
    /// Ids that end generation (the model's EOS and end-of-turn tokens).
    let stopTokenIDs: Set<Int>
    /// Context length: a sequence that fills it ends with `length`.
    let contextLength: Int

    /// What became of the sequence after its token.
    enum Outcome: Equatable {
        /// It goes on.
        case running
        /// It ended; `flushText` false when a stop string already cut the text.
        case finished(FinishReason, flushText: Bool)
    }

    /// Samples and emits the next token of `s` from `raw` logits.
    func emitNextToken(_ s: ActiveSequence, logits row: ArraySlice<Float>) -> Outcome {
        let p = s.request.sampling
        let raw = Array(row)
        var logits = raw
        LogitProcessor.applyRepetitionPenalty(&logits, seen: s.seen, penalty: p.repetitionPenalty)
        LogitProcessor.applyPresenceFrequency(&logits, counts: s.counts, presence: p.presencePenalty, frequency: p.frequencyPenalty)
        LogitProcessor.applyBias(&logits, bias: p.logitBias)
        let id = Sampler.sample(logits, p, rng: &s.rng)
        var logSum: Float = 0, m: Float = 0
        if s.request.logprobs { (logSum, m) = LogitProcessor.logProbabilities(raw[...]) }
        var top: [TokenLogprob] = []
        if s.request.topLogprobs > 0 {
            top = LogitProcessor.topIndices(raw, count: s.request.topLogprobs)
                .map { TokenLogprob(id: $0, logprob: raw[$0] - m - logSum) }
        }
        s.tokens.append(id)
        s.generated += 1
        s.seen.insert(id)
        s.counts[id, default: 0] += 1
        if !s.request.ignoreEOS && (stopTokenIDs.contains(id) || s.request.stopTokenIDs.contains(id)) {
            return .finished(.stop, flushText: true)
        }
        var text = s.detokenizer.push(id)
        var stopped = false
        switch s.stopMatcher.feed(text) {
        case .text(let t): text = t
        case .stop(let t): text = t; stopped = true
        }
        s.sink(.token(TokenOutput(id: id, text: text, logprob: s.request.logprobs ? raw[id] - m - logSum : 0, topLogprobs: top)))
        if stopped { return .finished(.stop, flushText: false) }
        if s.generated >= s.request.maxTokens || s.tokens.count >= contextLength { return .finished(.length, flushText: true) }
        return .running
    }

    /// The final event of `s`: the text held back (unless a stop string cut it) and usage.
    func finishedEvent(_ s: ActiveSequence, reason: FinishReason, flushText: Bool) -> GenerationEvent {
        var trailing = ""
        if flushText {
            trailing = s.detokenizer.finish()
            switch s.stopMatcher.feed(trailing) {
            case .text(let t): trailing = t + s.stopMatcher.flush()
            case .stop(let t): trailing = t
            }
        }
        return .finished(reason: reason, trailingText: trailing,
                         usage: GenerationUsage(promptTokens: s.request.promptTokens.count, completionTokens: s.generated,
                                                cachedTokens: s.cachedTokens))
    }
}
