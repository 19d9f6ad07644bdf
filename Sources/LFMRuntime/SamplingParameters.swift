/// How the next token is chosen, with OpenAI and Hugging Face semantics.
public struct SamplingParameters: Sendable, Equatable {
    /// 0 means greedy (argmax).
    public var temperature: Float = 1
    /// Keep only the k most likely tokens (0 = off).
    public var topK: Int = 0
    /// Nucleus sampling: keep the smallest set whose probability reaches top_p (1 = off).
    public var topP: Float = 1
    /// Keep tokens with probability ≥ min_p · p_max (0 = off).
    public var minP: Float = 0
    /// Hugging Face repetition penalty over prompt and output tokens (1 = off).
    public var repetitionPenalty: Float = 1
    /// OpenAI presence penalty over output tokens (0 = off).
    public var presencePenalty: Float = 0
    /// OpenAI frequency penalty over output tokens (0 = off).
    public var frequencyPenalty: Float = 0
    /// Added to the logits of the given token ids before sampling.
    public var logitBias: [Int: Float] = [:]
    /// Seed of the request's own random generator; nil picks a random seed.
    public var seed: UInt64?

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0, repetitionPenalty: Float = 1,
                presencePenalty: Float = 0, frequencyPenalty: Float = 0, logitBias: [Int: Float] = [:], seed: UInt64? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.logitBias = logitBias
        self.seed = seed
    }

    /// Greedy decoding.
    public static let greedy = SamplingParameters(temperature: 0)

    /// Whether this picks the argmax.
    public var isGreedy: Bool { temperature <= 0 || topK == 1 }
}
