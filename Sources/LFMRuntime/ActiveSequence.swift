import LFMModel
import LFMTokenizer

/// Engine-side bookkeeping of one request: its tokens, KV state, sampler state and
/// streaming text state.
final class ActiveSequence {
    let request: GenerationRequest
    let handle: RequestHandle
    let sink: @Sendable (GenerationEvent) -> Void
    let state: SequenceState
    /// Prompt followed by generated tokens.
    var tokens: [Int]
    var generated = 0
    var rng: RandomGenerator
    var seen: Set<Int>
    var counts: [Int: Int] = [:]
    var detokenizer: StreamingDetokenizer
    var stopMatcher: StopStringMatcher
    /// Structured-output progress (nil when the output is free).
    var constraint: ConstraintState?
    /// Think-block budget progress (nil without a limit).
    var reasoningBudget: ReasoningBudget?
    /// Where the loop guard starts looking (after the prompt; moved past a think block it closed).
    var loopCheckStart: Int
    /// The loop guard found a loop inside the think block: close it (``OutputStage``).
    var closeThinkBlock = false
    /// Tokens appended after the newest sampled one without sampling (grammar fast-forward,
    /// a think block closed by the engine): the next step reads them with it as one decode.
    var forcedTail = 0
    /// Arrival order, for FCFS admission and newest-first preemption.
    let order: Int
    var preemptions = 0
    /// Hash-chain values of this sequence's full pages registered in the prefix cache.
    var pageHashes: [UInt64] = []
    /// The cache entry holding this sequence's newest conv snapshot that the snapshot policy
    /// would not keep: dropped once the sequence commits its next page (``KVCacheManager``).
    var tailSnapshot: UInt64?
    /// Prompt tokens served from the prefix cache at first admission.
    var cachedTokens = 0
    var admitted = false
    /// The prompt's log-probabilities, for requests that ask for them.
    var promptScores: PromptScores?
    /// When the request was submitted (queue-time metric).
    let arrival = ContinuousClock.now

    init(request: GenerationRequest, handle: RequestHandle, sink: @escaping @Sendable (GenerationEvent) -> Void,
         config: LFM2Config, tokenizer: Tokenizer, order: Int) {
        self.request = request
        self.handle = handle
        self.sink = sink
        self.order = order
        state = SequenceState(config: config)
        tokens = request.promptTokens
        loopCheckStart = request.promptTokens.count
        rng = RandomGenerator(seed: request.sampling.seed ?? UInt64.random(in: 0...UInt64.max))
        seen = Set(request.promptTokens)
        detokenizer = StreamingDetokenizer(tokenizer: tokenizer, skipSpecialTokens: request.skipSpecialTokens)
        stopMatcher = StopStringMatcher(request.stopStrings)
        constraint = request.constraint.map(ConstraintState.init)
        reasoningBudget = request.reasoningLimit.map { ReasoningBudget(limit: $0.budget, startsInside: $0.startsInside) }
        promptScores = request.promptLogprobs.map { PromptScores(promptCount: request.promptTokens.count, top: $0) }
    }

    /// Whether the whole prompt has been processed (the sequence is decoding): what is left is
    /// the newest sampled token and the tokens appended after it without sampling.
    var isDecoding: Bool { generated > 0 && pending >= 1 && pending <= 1 + forcedTail }

    /// Whether a step that processes `n` more tokens reaches the newest one (the sequence samples next).
    func samples(after n: Int) -> Bool { state.length + n == tokens.count }
}

extension ActiveSequence: ScheduledSequence {
    /// Tokens already in the KV cache.
    var computed: Int { state.length }
    /// Paused by its consumer (stream backpressure).
    var isPaused: Bool { handle.isPaused }
    /// A prompt-scoring sequence computes every prompt position, so it takes no cached prefix.
    var readsPrefixCache: Bool { promptScores == nil }
}
