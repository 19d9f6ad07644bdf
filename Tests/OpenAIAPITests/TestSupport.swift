@testable import OpenAIAPI

/// Deterministic options used by the tests.
let testOptions = ToolCallParserOptions(idGenerator: .sequential())

/// The string made of `text`'s scalars in `range`.
func scalarSlice(_ text: String, _ range: Range<Int>) -> String {
    ScalarText.string(Array(text.unicodeScalars)[range])
}

/// Feeds `deltas` to a fresh tool-call parser and collects the result.
func streamToolCalls(_ deltas: [String], options: ToolCallParserOptions = testOptions) -> ToolCallParseResult {
    var parser = ToolCallStreamParser(options: options)
    var events: [ToolCallStreamEvent] = []
    for delta in deltas { events += parser.feed(delta) }
    events += parser.finish()
    return ToolCallParseResult(events: events)
}

/// Feeds `deltas` to a fresh reasoning parser and collects the result.
func streamReasoning(_ deltas: [String], options: ReasoningParserOptions = ReasoningParserOptions()) -> ReasoningParseResult {
    var parser = ReasoningStreamParser(options: options)
    var events: [ReasoningStreamEvent] = []
    for delta in deltas { events += parser.feed(delta) }
    events += parser.finish()
    return ReasoningParseResult(events: events, sawReasoning: parser.sawReasoning)
}

/// All two-piece splits of `text` at every Unicode-scalar boundary.
func twoWaySplits(_ text: String) -> [[String]] {
    let n = text.unicodeScalars.count
    return (0...n).map { [scalarSlice(text, 0..<$0), scalarSlice(text, $0..<n)] }
}

/// `text` one Unicode scalar per delta.
func scalarDeltas(_ text: String) -> [String] {
    text.unicodeScalars.map { String($0) }
}
