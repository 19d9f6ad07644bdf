import LFMTokenizer

/// The sampler and output stage: from one sequence's next-token logits to its next token and
/// events. A structured-output mask (``ConstraintState``) is applied first; then the logit
/// processors (repetition, presence/frequency penalties, logit_bias) act on the masked logits,
/// the sampler draws with the sequence's own generator, log-probabilities are of the masked
/// distribution before penalties, and the token's text goes through the streaming
/// detokenizer and the stop-string matcher before it is sent.
struct OutputStage {
    /// Ids that end generation (the model's EOS and end-of-turn tokens).
    let stopTokenIDs: Set<Int>
    /// Context length: a sequence that fills it ends with `length`.
    let contextLength: Int
    /// Tokens that can spell think-block tags (for constraints that keep the block free).
    let tags: TagTokens
    /// Grammar fast-forward (nil when switched off, ``EngineConfiguration/grammarFastForward``).
    var fastForward: FastForward? = nil

    /// What became of the sequence after its token.
    enum Outcome: Equatable {
        /// It goes on.
        case running
        /// It ended; `flushText` false when a stop string already cut the text.
        case finished(FinishReason, flushText: Bool)
    }

    /// The allowed-token mask of `s`'s next token, or nil when its next token is free.
    func mask(of s: ActiveSequence) -> [UInt64]? {
        guard let c = s.constraint else { return nil }
        var mask: [UInt64] = []
        return c.fillMask(into: &mask, tags: tags) ? mask : nil
    }

    /// Samples and emits the next token of `s` from `raw` logits. `mask` is the sequence's
    /// constraint mask when already computed (``mask(of:)``, e.g. overlapped with the forward pass).
    func emitNextToken(_ s: ActiveSequence, logits row: ArraySlice<Float>, mask precomputed: [UInt64]?? = nil) -> Outcome {
        let p = s.request.sampling
        var raw = Array(row)
        if let mask = precomputed ?? mask(of: s) {
            // No allowed token cannot happen with a consistent grammar; end rather than emit a wrong one.
            guard Self.apply(mask, to: &raw) else { return .finished(.stop, flushText: true) }
        }
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
                .filter { raw[$0] > -.infinity }
                .map { TokenLogprob(id: $0, logprob: raw[$0] - m - logSum) }
        }
        s.forcedTail = 0
        var outcome = emit(id, of: s, logprob: s.request.logprobs ? raw[id] - m - logSum : 0, top: top)
        // Tokens the engine appends itself (a think block closed at its budget): probability 1 under the rules.
        var forced: [Int] = []
        if outcome == .running, let limit = s.request.reasoningLimit {
            if s.closeThinkBlock {
                // A loop inside the think block: close it and let the model answer (docs/api.md, loop guard).
                s.closeThinkBlock = false
                s.reasoningBudget?.closed()
                forced = limit.closeTokens
            } else if s.reasoningBudget?.feed(tags.bytes(id) ?? []) == true {
                forced = limit.closeTokens
            }
        }
        for f in forced where outcome == .running {
            outcome = emit(f, of: s, logprob: 0, top: [])
            s.forcedTail += 1
        }
        if !forced.isEmpty && s.closeThinkBlock == false { s.loopCheckStart = s.tokens.count }
        if outcome == .running && forced.isEmpty {
            for f in fastForwardTokens(of: s) where outcome == .running {
                outcome = emit(f, of: s, logprob: 0, top: [])
                s.forcedTail += 1
            }
        }
        return outcome
    }

    /// The tokens the grammar forces after `s`'s newest token (``FastForward``): none when
    /// fast-forward is off, the request reports log-probabilities (an appended token has no
    /// sampled distribution), or a think block is still open or may still open.
    func fastForwardTokens(of s: ActiveSequence) -> [Int] {
        guard let fastForward, let c = s.constraint, !s.request.logprobs,
              s.reasoningBudget.map({ $0.phase == .done }) ?? true else { return [] }
        return fastForward.tokens(after: s.tokens[s.request.promptTokens.count...], constraint: c, tags: tags)
    }

    /// Appends token `id` to `s` and sends it; says whether the sequence goes on.
    private func emit(_ id: Int, of s: ActiveSequence, logprob: Float, top: [TokenLogprob]) -> Outcome {
        if s.constraint != nil, s.constraint?.accept(id, tags: tags) == false { return .finished(.stop, flushText: true) }
        s.tokens.append(id)
        s.generated += 1
        s.seen.insert(id)
        s.counts[id, default: 0] += 1
        if !s.request.ignoreEOS && (stopTokenIDs.contains(id) || s.request.stopTokenIDs.contains(id)) {
            return .finished(.stop, flushText: true)
        }
        if s.constraint?.isFinished == true { return .finished(.stop, flushText: true) }
        var text = s.detokenizer.push(id)
        var stopped = false
        switch s.stopMatcher.feed(text) {
        case .text(let t): text = t
        case .stop(let t): text = t; stopped = true
        }
        s.sink(.token(TokenOutput(id: id, text: text, logprob: logprob, topLogprobs: top)))
        if stopped { return .finished(.stop, flushText: false) }
        if let g = s.request.loopGuard, LoopGuard.isLooping(s.tokens[s.loopCheckStart...], g) {
            guard s.reasoningBudget?.isInside == true, s.request.reasoningLimit != nil else { return .finished(.loop, flushText: true) }
            s.closeThinkBlock = true
        }
        if s.generated >= s.request.maxTokens || s.tokens.count >= contextLength { return .finished(.length, flushText: true) }
        return .running
    }

    /// Sets the logits of tokens the mask does not allow (and of ids past the mask) to −∞.
    /// Returns false when no token is allowed.
    static func apply(_ mask: [UInt64], to logits: inout [Float]) -> Bool {
        var any = false
        logits.withUnsafeMutableBufferPointer { p in
            let n = p.count
            var base = 0, w = 0
            while base < n {
                let width = min(64, n - base)
                let valid: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
                let m = (w < mask.count ? mask[w] : 0) & valid
                if m == valid {
                    any = true
                } else if m == 0 {
                    for i in base..<(base + width) { p[i] = -.infinity }
                } else {
                    any = true
                    for i in 0..<width where m & (1 << UInt64(i)) == 0 { p[base + i] = -.infinity }
                }
                base += 64
                w += 1
            }
        }
        return any
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
