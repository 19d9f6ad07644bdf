/// What a client asks the engine for: a prompt as token ids and how to continue it.
public struct GenerationRequest: Sendable {
    /// Identifier for logs and events.
    public var id: String
    public var promptTokens: [Int]
    public var sampling: SamplingParameters
    /// Upper bound of generated tokens (also bounded by the context length).
    public var maxTokens: Int
    /// Stop strings (not part of the returned text).
    public var stopStrings: [String]
    /// Extra stop token ids besides the model's EOS ids.
    public var stopTokenIDs: Set<Int>
    /// Keep generating past EOS (benchmarks, `ignore_eos`).
    public var ignoreEOS: Bool
    /// Report each token's log-probability (`TokenOutput.logprob`; 0 when off). Costs one
    /// log-sum-exp over the vocabulary per token, so it is opt-in.
    public var logprobs: Bool
    /// Number of alternatives to report per token with `logprob` (implies `logprobs`).
    public var topLogprobs: Int
    /// Drop special tokens from the text deltas.
    public var skipSpecialTokens: Bool
    /// A grammar the output must follow (structured outputs), or nil.
    public var constraint: OutputConstraint?
    /// A token budget for a `<think>` block, or nil for none.
    public var reasoningLimit: ReasoningLimit?
    /// Score the prompt too (`echo` with `logprobs`): when set, a `.promptLogprobs` event with
    /// this many alternatives per position comes before the first token. Computed in the
    /// prefill (every prompt position's logits row); such a request does not read the prefix
    /// cache. With it, `maxTokens` may be 0: the request ends with `length` after its prefill.
    public var promptLogprobs: Int? = nil
    /// End the generation when it repeats itself (`LoopGuard`); nil: no guard.
    public var loopGuard: LoopGuardSettings? = nil

    public init(id: String, promptTokens: [Int], sampling: SamplingParameters = .greedy, maxTokens: Int = 256,
                stopStrings: [String] = [], stopTokenIDs: Set<Int> = [], ignoreEOS: Bool = false, logprobs: Bool = false,
                topLogprobs: Int = 0, skipSpecialTokens: Bool = false, constraint: OutputConstraint? = nil,
                reasoningLimit: ReasoningLimit? = nil) {
        self.id = id
        self.promptTokens = promptTokens
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.stopStrings = stopStrings
        self.stopTokenIDs = stopTokenIDs
        self.ignoreEOS = ignoreEOS
        self.logprobs = logprobs || topLogprobs > 0
        self.topLogprobs = topLogprobs
        self.skipSpecialTokens = skipSpecialTokens
        self.constraint = constraint
        self.reasoningLimit = reasoningLimit
    }
}

/// How long a `<think>` block may get: when it holds `budget` tokens, the engine appends
/// `closeTokens` (the tokenized `</think>` and the blank line after it) and the model answers.
public struct ReasoningLimit: Sendable, Equatable {
    public var budget: Int
    public var closeTokens: [Int]
    /// The prompt already opened the block.
    public var startsInside: Bool

    public init(budget: Int, closeTokens: [Int], startsInside: Bool) {
        self.budget = budget
        self.closeTokens = closeTokens
        self.startsInside = startsInside
    }
}

/// Why a generation ended (OpenAI `finish_reason`, plus cancellation).
public enum FinishReason: String, Sendable, Equatable {
    /// EOS or a stop string.
    case stop
    /// max_tokens or the context length.
    case length
    /// The loop guard saw the output repeat itself (reported as `length`, with `stop_reason: "loop"`).
    case loop
    /// The client went away or cancelled.
    case cancelled
}

/// One generated token as reported to the client.
public struct TokenOutput: Sendable, Equatable {
    public var id: Int
    /// Text that became final with this token (may be empty while a character or a
    /// possible stop string is incomplete).
    public var text: String
    /// Natural-log probability under the model's distribution — restricted to the allowed
    /// tokens when the request has an ``OutputConstraint`` — before penalties and biases (0
    /// unless the request asked for logprobs).
    public var logprob: Float
    /// The most likely alternatives `(id, logprob)`, best first, when requested.
    public var topLogprobs: [TokenLogprob]

    public init(id: Int, text: String, logprob: Float, topLogprobs: [TokenLogprob] = []) {
        self.id = id
        self.text = text
        self.logprob = logprob
        self.topLogprobs = topLogprobs
    }
}

/// A token id with its log-probability.
public struct TokenLogprob: Sendable, Equatable {
    public var id: Int
    public var logprob: Float

    public init(id: Int, logprob: Float) {
        self.id = id
        self.logprob = logprob
    }
}

/// The log-probability of one prompt token given the tokens before it, with the most likely
/// alternatives at its position (best first).
public struct PromptTokenLogprob: Sendable, Equatable {
    public var id: Int
    public var logprob: Float
    public var topLogprobs: [TokenLogprob]

    public init(id: Int, logprob: Float, topLogprobs: [TokenLogprob] = []) {
        self.id = id
        self.logprob = logprob
        self.topLogprobs = topLogprobs
    }
}

/// Token accounting of a finished request (OpenAI `usage`).
public struct GenerationUsage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// Prompt tokens served from the prefix cache.
    public var cachedTokens: Int

    public init(promptTokens: Int, completionTokens: Int, cachedTokens: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
    }
}

/// Events a request's sink receives, in order: `.promptLogprobs` when asked for, zero or more `.token`, then exactly one
/// `.finished` or `.failed`. Sinks are called on the engine thread and must not block.
public enum GenerationEvent: Sendable, Equatable {
    /// The prompt's scores (requests with `promptLogprobs`), once, before any `.token`:
    /// entry i is prompt token i + 1 given the tokens before it (the first token has none).
    case promptLogprobs([PromptTokenLogprob])
    case token(TokenOutput)
    /// Final text held back until the end (an incomplete character or stop-string prefix),
    /// then the reason and usage.
    case finished(reason: FinishReason, trailingText: String, usage: GenerationUsage)
    case failed(String)
}

/// Errors from `InferenceEngine.submit`.
public enum SubmitError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The waiting queue is full (HTTP 429).
    case queueFull(Int)
    /// Prompt (+ at least one generated token) does not fit the context (HTTP 400).
    case promptTooLong(promptTokens: Int, contextLength: Int)
    /// Empty prompt.
    case emptyPrompt
    /// The engine is shutting down (HTTP 503).
    case shuttingDown
    /// A request's choices outnumber the whole waiting queue: it can never be admitted (HTTP 400).
    case tooManyChoices(Int, maxWaiting: Int)

    public var description: String {
        switch self {
        case .queueFull(let n): return "the server is at capacity (\(n) requests waiting); retry later"
        case .promptTooLong(let p, let c): return "the prompt has \(p) tokens but the context length is \(c) (prompt plus at least one generated token must fit)"
        case .emptyPrompt: return "the prompt is empty"
        case .shuttingDown: return "the server is shutting down"
        case .tooManyChoices(let n, let m): return "the request asks for \(n) sequences but the server queues at most \(m) (max-waiting)"
        }
    }
}
