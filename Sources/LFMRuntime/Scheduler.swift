import LFMModel

/// What the scheduler reads of a sequence (``ActiveSequence`` in the engine; plain test
/// doubles in unit tests).
protocol ScheduledSequence: AnyObject {
    /// Arrival order: FCFS admission, newest-first preemption.
    var order: Int { get }
    /// Prompt followed by generated tokens.
    var tokens: [Int] { get }
    /// Tokens already in the KV cache.
    var computed: Int { get }
    /// Whether the whole prompt has been processed: from now on a step reads the newest token
    /// (with the tokens appended after it without sampling, when there are any).
    var isDecoding: Bool { get }
    /// Held out of steps by its consumer (a stream that is not being read).
    var isPaused: Bool { get }
    /// Whether it took part in a step before (it no longer counts as waiting).
    var admitted: Bool { get set }
    /// Whether it adopts cached prefixes (and so may wait for a running prefill's page).
    var readsPrefixCache: Bool { get }
}

extension ScheduledSequence {
    var readsPrefixCache: Bool { true }
    /// Tokens not yet in the KV cache.
    var pending: Int { tokens.count - computed }
}

/// The KV-cache verbs the scheduler needs (``KVCacheManager`` in the engine).
protocol KVSlots {
    associatedtype Sequence
    /// Whether prompts can take computed pages from a prefix cache.
    var sharesPrefixes: Bool { get }
    /// Tokens per page.
    var pageSize: Int { get }
    /// Takes the cached prefix of a sequence that holds nothing yet.
    func adoptComputedPrefix(_ s: Sequence)
    /// Pages for `tokens` more positions; false (taking nothing) when they cannot be had.
    func allocate(_ s: Sequence, tokens: Int) -> Bool
    /// Gives back every page of `s`.
    func free(_ s: Sequence)
}

/// One step's work, decided before anything runs.
struct StepPlan<S: AnyObject> {
    /// Sequences and how many of their tokens the forward pass computes (decode tokens first).
    var entries: [(sequence: S, tokens: Int)] = []
    /// Sequences whose pages were freed to make room; they were put back into `waiting`.
    var preempted: [S] = []
    /// Sequences taking part in a step for the first time.
    var admitted: [S] = []
    /// Sequences that can never get the pages they need (pages already freed), with the reason.
    var failed: [(sequence: S, reason: String)] = []
}

/// Continuous-batching policy (after vLLM v1's `Scheduler.schedule()`): a function of the
/// running and waiting sequences, the token budget and the KV cache, tested without a model.
///
/// 1. Every running sequence that is not paused gets its next token (decode; with the tokens
///    appended after it without sampling, within the budget) or its next
///    prompt chunk, oldest first. When a decode cannot get a page, the newest running
///    sequence is preempted (pages freed, back to waiting, recomputed later; its stream
///    continues without a visible gap). A sequence that alone cannot fit fails.
/// 2. Waiting sequences are admitted FCFS with prompt chunks while the budget, the sequence
///    limit and pages last; each first adopts its cached prefix, and one whose next page a
///    running prefill is computing waits a step (``SharedPrefixPolicy``).
///
/// While any sequence decodes, the prompt tokens of a step (running and newly admitted
/// prefills together) are capped at ``promptCapWhileDecoding``, so a long prompt arriving is
/// cut into small chunks and the running streams keep their inter-token latency; with no
/// decode running, prompts use the whole budget. With ``attentionDepthUnit`` set, a prompt
/// token at depth p counts 1 + p / unit against that cap (its attention reads p keys), so the
/// step's cost, and the streams' inter-token gap, stays about the same deep into a 16k or 32k
/// prompt instead of growing with it.
struct Scheduler {
    /// Tokens per step (decode tokens plus prompt chunks).
    var tokenBudget: Int
    /// Sequences running at once.
    var maxSequences: Int
    /// Prompt tokens per step while decodes run; nil: a quarter of the budget (at least 1).
    var prefillCapWhileDecoding: Int? = nil
    /// Context depth at which a prompt token's attention costs about as much as the rest of its
    /// forward pass (``attentionDepthUnit(config:)``); nil: prompt tokens count 1 at any depth.
    var attentionDepthUnit: Int? = nil

    /// The prompt-token cap in force while decodes run.
    var promptCapWhileDecoding: Int { max(1, min(tokenBudget, prefillCapWhileDecoding ?? tokenBudget / 4)) }

    /// The depth (in keys) at which one token's attention does as many multiply-adds as its
    /// matrix products, times 3/4 (attention runs at a lower share of the machine's peak than
    /// the products): conv and attention projections 4·h², the FFN 3·h·f (MoE: the active
    /// experts), per layer, against 2·d multiply-adds per key and query head of each attention
    /// layer. About 18k keys for the LFM2-350M shape. Nil for a model without attention.
    static func attentionDepthUnit(config c: LFM2Config) -> Int? {
        let attention = c.attentionLayerCount * c.numHeads * c.headDim * 2
        guard attention > 0 else { return nil }
        let h = Double(c.hiddenSize)
        let ffn = c.moe.map { Double($0.expertsPerToken * $0.expertFFNSize) } ?? Double(c.ffnSize)
        let linear = Double(c.numLayers) * (4 * h * h + 3 * h * ffn)
        return max(256, Int(0.75 * linear / Double(attention)))
    }

    /// Prompt tokens a chunk starting at `depth` may take from `promptBudget` (at least 1).
    func chunkTokens(_ promptBudget: Int, depth: Int, decoding: Bool) -> Int {
        guard decoding, let unit = attentionDepthUnit, unit > 0 else { return max(1, promptBudget) }
        return max(1, Int(Double(max(0, promptBudget)) * Double(unit) / Double(unit + depth)))
    }

    /// What `n` prompt tokens starting at `depth` count against the prompt cap.
    func promptCost(_ n: Int, depth: Int, decoding: Bool) -> Int {
        guard decoding, let unit = attentionDepthUnit, unit > 0 else { return n }
        return Int((Double(n) * Double(unit + depth) / Double(unit)).rounded(.up))
    }

    /// Plans one step; moves sequences between `running` and `waiting` as it decides.
    func schedule<S: ScheduledSequence, KV: KVSlots>(running: inout [S], waiting: inout [S], kv: KV) -> StepPlan<S>
    where KV.Sequence == S {
        var plan = StepPlan<S>()
        var budget = tokenBudget
        running.sort { $0.order < $1.order }
        let decoding = running.contains { $0.isDecoding && $0.pending > 0 && !$0.isPaused }
        var promptBudget = decoding ? promptCapWhileDecoding : tokenBudget
        var i = 0
        while i < running.count {
            let s = running[i]
            guard s.pending > 0, !s.isPaused else { i += 1; continue }
            // A decode reads its newest token and any appended after it without sampling (fast-forward).
            let n = s.isDecoding ? min(s.pending, max(1, budget)) : min(s.pending, budget, chunkTokens(promptBudget, depth: s.computed, decoding: decoding))
            if (budget <= 0 || promptBudget <= 0) && !s.isDecoding { i += 1; continue }
            if kv.allocate(s, tokens: n) {
                plan.entries.append((s, n))
                budget -= n
                if !s.isDecoding { promptBudget -= promptCost(n, depth: s.computed, decoding: decoding) }
                i += 1
            } else if running.count > 1, let victim = running.last {
                // Free the newest sequence's pages (possibly s itself) and retry.
                kv.free(victim)
                running.removeLast()
                waiting.append(victim)
                plan.preempted.append(victim)
            } else {
                kv.free(s)
                plan.failed.append((s, "the KV cache is too small for this request"))
                running.remove(at: i)
            }
        }
        waiting.sort { $0.order < $1.order }
        while budget > 0, promptBudget > 0, let s = waiting.first, running.count < maxSequences {
            // A sequence preempted in this step does not come straight back (FCFS: nothing passes it).
            if plan.preempted.contains(where: { $0 === s }) { break }
            kv.adoptComputedPrefix(s)
            if kv.sharesPrefixes, s.readsPrefixCache,
               SharedPrefixPolicy.shouldWait(tokens: s.tokens, cached: s.computed, pageSize: kv.pageSize,
                                             running: running.map { ($0.tokens, $0.computed) }) {
                // A running prefill is computing this prompt's next page: take it from the cache next step.
                if s.computed > 0 { kv.free(s) }
                break
            }
            let n = min(s.pending, budget, chunkTokens(promptBudget, depth: s.computed, decoding: decoding))
            guard kv.allocate(s, tokens: n) else {
                // Give the shared pages back while it waits.
                if s.computed > 0 { kv.free(s) }
                break
            }
            if !s.admitted { plan.admitted.append(s) }
            s.admitted = true
            waiting.removeFirst()
            running.append(s)
            plan.entries.append((s, n))
            budget -= n
            promptBudget -= promptCost(n, depth: s.computed, decoding: decoding)
        }
        if plan.entries.isEmpty, running.isEmpty, let s = waiting.first {
            kv.free(s)
            plan.failed.append((s, "the KV cache is too small for this prompt"))
            waiting.removeFirst()
        }
        return plan
    }
}
