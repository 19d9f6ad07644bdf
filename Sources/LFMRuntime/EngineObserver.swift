/// Receives the engine's scheduling events, for metrics. Called on the engine thread
/// between steps: implementations must be cheap and must not block.
public protocol EngineObserver: AnyObject, Sendable {
    /// One forward step ran over `sequences` sequences and `tokens` tokens in `seconds`.
    func engineStepCompleted(sequences: Int, tokens: Int, seconds: Double)
    /// A request was admitted for the first time, `queueSeconds` after it was submitted.
    func engineRequestAdmitted(queueSeconds: Double)
}
