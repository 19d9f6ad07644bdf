/// What one choice's output turns into, delta by delta.
enum ChoiceDelta: Sendable, Equatable {
    case content(String)
    case reasoning(String)
    case toolCall(ToolCall)
}

/// Turns a choice's streamed text into content / reasoning / tool-call deltas: the
/// `<think>` splitter first, then the LFM2 tool-call parser on the content part (when the
/// request offered tools). A forced tool choice's prefill (`<|tool_call_start|>[name(`), which
/// sits in the prompt, is fed first so the parser sees the whole call.
struct ChoiceAssembler: Sendable {
    private var parser: AssistantOutputParser
    private var pendingPrefill: String

    /// - Parameters:
    ///   - parseTools: extract tool calls (the request has tools and tool_choice is not "none").
    ///   - reasoning: how `<think>` is reported.
    ///   - startsInReasoning: the prompt already opened `<think>` (the output begins inside it).
    ///   - prefill: text the prompt ends with that belongs to the answer.
    init(parseTools: Bool, reasoning: ReasoningFormat, startsInReasoning: Bool = false, prefill: String) {
        parser = AssistantOutputParser(reasoning: ReasoningParserOptions(format: reasoning, startsInReasoning: startsInReasoning),
                                       toolCalls: parseTools ? ToolCallParserOptions() : nil)
        pendingPrefill = prefill
    }

    /// True while the output is inside the think block (for counting reasoning tokens).
    var insideReasoning: Bool { parser.isInsideReasoning }

    mutating func feed(_ text: String) -> [ChoiceDelta] {
        let t = pendingPrefill + text
        pendingPrefill = ""
        return t.isEmpty ? [] : parser.feed(t).map(Self.delta)
    }

    mutating func finish(truncated: Bool = false) -> [ChoiceDelta] {
        var out: [ChoiceDelta] = []
        if !pendingPrefill.isEmpty { out += parser.feed(pendingPrefill).map(Self.delta) }
        pendingPrefill = ""
        return out + parser.finish(truncated: truncated).map(Self.delta)
    }

    private static func delta(_ e: AssistantOutputEvent) -> ChoiceDelta {
        switch e {
        case .content(let t): return .content(t)
        case .reasoning(let t): return .reasoning(t)
        case .toolCall(let c): return .toolCall(c)
        }
    }
}
