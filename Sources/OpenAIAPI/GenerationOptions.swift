import LFMRuntime
import OrderedJSON

/// The sampling and stopping fields shared by `/v1/chat/completions` and `/v1/completions`,
/// validated with OpenAI's ranges, plus the extensions LFM2 model cards rely on
/// (`top_k`, `min_p`, `repetition_penalty`) and `ignore_eos`.
struct GenerationOptions: Sendable {
    var maxTokens: Int?
    var sampling = SamplingParameters()
    var n = 1
    var stop: [String] = []
    var stream = false
    var includeUsage = false
    var logprobs = false
    var topLogprobs = 0
    var ignoreEOS = false
    /// `loop_guard` when the request sets it (`.some(nil)`: off for this request), else nil.
    var loopGuardOverride: LoopGuardSettings??

    /// Reads the fields. `maxTokensKeys` lists the accepted names of the length limit.
    /// Checks the fields that depend on the model: `logit_bias` ids must be in the vocabulary.
    func validate(vocabularySize: Int) throws(OpenAIError) {
        if let bad = sampling.logitBias.keys.filter({ $0 >= vocabularySize }).min() {
            throw .invalidRequest("'logit_bias' key \(bad) is not a token id of this model (0..<\(vocabularySize))", param: "logit_bias")
        }
    }

    /// `allowZeroMaxTokens`: `max_tokens` 0 is accepted (`/v1/completions` with `echo`: score the prompt only).
    init(_ r: RequestReader, maxTokensKeys: [String], logprobsAsInt: Bool, allowZeroMaxTokens: Bool = false) throws(OpenAIError) {
        for key in maxTokensKeys {
            if let m = try r.int(key, min: allowZeroMaxTokens ? 0 : 1) { maxTokens = m; break }
        }
        sampling.temperature = Float(try r.number("temperature", min: 0, max: 2) ?? 1)
        sampling.topP = Float(try r.number("top_p", min: 0, max: 1, openMin: true) ?? 1)
        sampling.topK = try r.int("top_k", min: -1) ?? 0
        if sampling.topK < 0 { sampling.topK = 0 }
        sampling.minP = Float(try r.number("min_p", min: 0, max: 1) ?? 0)
        sampling.repetitionPenalty = Float(try r.number("repetition_penalty", min: 0, openMin: true) ?? 1)
        sampling.presencePenalty = Float(try r.number("presence_penalty", min: -2, max: 2) ?? 0)
        sampling.frequencyPenalty = Float(try r.number("frequency_penalty", min: -2, max: 2) ?? 0)
        if let seed = r.value("seed") {
            guard case .integer(let s) = seed else { throw .invalidRequest("'seed' must be an integer", param: "seed") }
            sampling.seed = UInt64(bitPattern: s)
        }
        if let bias = try r.object("logit_bias") {
            for (k, v) in bias {
                guard let id = Int(k), id >= 0 else { throw .invalidRequest("'logit_bias' keys must be token ids, got '\(k)'", param: "logit_bias") }
                guard let b = v.doubleValue, b >= -100, b <= 100 else {
                    throw .invalidRequest("'logit_bias' values must be numbers in [-100, 100]", param: "logit_bias")
                }
                sampling.logitBias[id] = Float(b)
            }
        }
        n = try r.int("n", min: 1, max: 16) ?? 1
        if let s = r.value("stop") {
            switch s {
            case .string(let one): stop = [one]
            case .array(let many):
                stop = try many.map { (v: JSONValue) throws(OpenAIError) -> String in
                    guard let s = v.stringValue else { throw .invalidRequest("'stop' must be a string or an array of strings", param: "stop") }
                    return s
                }
                guard stop.count <= 16 else { throw .invalidRequest("'stop' may hold at most 16 strings", param: "stop") }
            default: throw .invalidRequest("'stop' must be a string or an array of strings", param: "stop")
            }
        }
        stream = try r.bool("stream") ?? false
        if let so = r.value("stream_options") {
            let o = try RequestReader(so, prefix: "stream_options")
            includeUsage = try o.bool("include_usage") ?? false
        }
        if logprobsAsInt {
            // /v1/completions: logprobs is the number of alternatives (0…5).
            if let k = try r.int("logprobs", min: 0, max: 20) { logprobs = true; topLogprobs = k }
        } else {
            logprobs = try r.bool("logprobs") ?? false
            topLogprobs = try r.int("top_logprobs", min: 0, max: 20) ?? 0
            if topLogprobs > 0 && !logprobs { throw .invalidRequest("'top_logprobs' requires 'logprobs': true", param: "top_logprobs") }
        }
        ignoreEOS = try r.bool("ignore_eos") ?? false
        if let g = r.value("loop_guard") { loopGuardOverride = .some(try Self.parseLoopGuard(g)) }
        _ = try r.string("user")
    }

    /// The loop guard of a request: its `loop_guard` when given, else the server's.
    func resolvedLoopGuard(default server: LoopGuardSettings?) -> LoopGuardSettings? {
        if let given = loopGuardOverride { return given }
        return server
    }

    /// `loop_guard`: `{"window": W, "repeats": R}`, `"W:R"`, or `false` / `"off"` / null.
    static func parseLoopGuard(_ v: JSONValue) throws(OpenAIError) -> LoopGuardSettings? {
        let expected = "'loop_guard' must be {\"window\": 1…1024, \"repeats\": 2…1024}, \"WINDOW:REPEATS\", or false"
        switch v {
        case .null, .bool(false): return nil
        case .string(let s):
            guard case .success(let g) = LoopGuardSettings.parse(s) else { throw .invalidRequest(expected, param: "loop_guard") }
            return g
        case .object:
            let o = try RequestReader(v, prefix: "loop_guard")
            guard let w = try o.int("window", min: LoopGuardSettings.windowRange.lowerBound, max: LoopGuardSettings.windowRange.upperBound),
                  let r = try o.int("repeats", min: LoopGuardSettings.repeatsRange.lowerBound, max: LoopGuardSettings.repeatsRange.upperBound) else {
                throw .invalidRequest(expected, param: "loop_guard")
            }
            return LoopGuardSettings(window: w, repeats: r)
        default:
            throw .invalidRequest(expected, param: "loop_guard")
        }
    }
}
