import LFMGrammar

/// A grammar a request's output must follow (structured outputs), and where it applies.
/// The compiled grammar is shared and immutable; each sequence runs its own matcher
/// (``ConstraintState``). See docs/architecture.md, "Structured outputs".
public struct OutputConstraint: Sendable {
    /// Where in the output the grammar applies.
    public enum Scope: Sendable, Equatable {
        /// The whole answer: the first token (after a free think block, see ``Reasoning``)
        /// starts the grammar, and the output ends when the grammar completes.
        case whole
        /// Free text until the model samples `token` (e.g. `<|tool_call_start|>` for strict
        /// tools under `tool_choice: "auto"`); from there the grammar, which must begin with
        /// that token, applies until it completes; then the text is free again.
        case triggered(by: Int)
    }

    /// How a `<think>…</think>` block before the answer is treated (reasoning models).
    public enum Reasoning: Sendable, Equatable {
        /// No think block: the grammar applies from the first token.
        case none
        /// The output may open with `<think>`; the block stays free, the grammar applies after `</think>`.
        case optional
        /// The prompt already opened the block: free until `</think>`, then the grammar.
        case open
    }

    public var grammar: CompiledGrammar
    public var scope: Scope
    public var reasoning: Reasoning

    public init(grammar: CompiledGrammar, scope: Scope = .whole, reasoning: Reasoning = .none) {
        self.grammar = grammar
        self.scope = scope
        self.reasoning = reasoning
    }
}
