/// What one choice's output turns into, delta by delta.
enum ChoiceDelta: Sendable, Equatable {
    case content(String)
    case reasoning(String)
    case toolCall(ParsedToolCall)
}

/// A completed tool call in OpenAI terms.
struct ParsedToolCall: Sendable, Equatable {
    var id: String
    var name: String
    /// JSON text of the arguments object.
    var arguments: String
}

/// Turns a choice's streamed text into content / reasoning / tool-call deltas.
struct ChoiceAssembler: Sendable {
    let parseTools: Bool
    let reasoning: ReasoningMode
    private var pendingPrefill: String

    init(parseTools: Bool, reasoning: ReasoningMode, prefill: String) {
        self.parseTools = parseTools
        self.reasoning = reasoning
        pendingPrefill = prefill
    }

    mutating func feed(_ text: String) -> [ChoiceDelta] {
        let t = pendingPrefill + text
        pendingPrefill = ""
        return t.isEmpty ? [] : [.content(t)]
    }

    mutating func finish() -> [ChoiceDelta] { [] }
}
