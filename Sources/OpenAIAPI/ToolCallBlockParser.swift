/// Resumable parser of the body of one tool-call block (the text between the markers).
///
/// Grammar: `ws ( "[" ws (call (ws "," ws call)* ws ","?)? ws "]" | call (ws "," ws call)* ) ws`,
/// where `call` is parsed by ``PythonLiteralParser/parseCall()``. An unclosed list at the end
/// of the body is forgiven (`[f(), ` ends cleanly).
///
/// ``advance(_:end:final:knownNames:)`` is called with ever longer prefixes of the body; it
/// commits each call as soon as its closing `)`/`}` is read, so calls can be streamed before the
/// block ends. Prefix stability (see ``PythonLiteralParser``) guarantees that the calls and the
/// failure position found on prefixes equal those found on the whole body.
struct ToolCallBlockParser: Sendable {
    /// Where the parser is in the grammar.
    enum Stage: Sendable {
        case begin, listItem, listSeparator, bareItem, bareSeparator, tail
    }

    /// Result of ``advance(_:end:final:knownNames:)``.
    enum Outcome: Sendable, Equatable {
        /// Everything so far is valid, but the block is not finished.
        case needMore
        /// The body ended validly (only with `final`).
        case clean
        /// The body is malformed from index `restStart` on (the calls before it stand).
        case invalid(restStart: Int)
    }

    private(set) var stage: Stage = .begin
    private(set) var position = 0
    /// The calls committed so far.
    private(set) var calls: [ParsedCall] = []

    /// Parses as far as `text[..<end]` allows. With `final`, `end` is the end of the body.
    mutating func advance(_ text: [Unicode.Scalar], end: Int, final: Bool,
                          knownNames: Set<String>?) -> Outcome {
        while true {
            var p = position
            while p < end, ScalarText.isWhitespace(text[p]) { p += 1 }
            guard p < end else { return final ? .clean : .needMore }
            let s = text[p]
            switch stage {
            case .begin:
                if s == "[" {
                    position = p + 1
                    stage = .listItem
                } else {
                    position = p
                    stage = .bareItem
                }
            case .listItem, .bareItem:
                if stage == .listItem && s == "]" {
                    position = p + 1
                    stage = .tail
                    continue
                }
                var parser = PythonLiteralParser(text: text, start: p, end: end)
                do throws(LiteralParseFailure) {
                    let call = try parser.parseCall()
                    if let knownNames, !knownNames.contains(call.name) { return .invalid(restStart: p) }
                    calls.append(call)
                    position = parser.pos
                    stage = stage == .listItem ? .listSeparator : .bareSeparator
                } catch .needMore {
                    return final ? .invalid(restStart: p) : .needMore
                } catch {
                    return .invalid(restStart: p)
                }
            case .listSeparator:
                if s == "," {
                    position = p + 1
                    stage = .listItem
                } else if s == "]" {
                    position = p + 1
                    stage = .tail
                } else {
                    return .invalid(restStart: p)
                }
            case .bareSeparator:
                guard s == "," else { return .invalid(restStart: p) }
                position = p + 1
                stage = .bareItem
            case .tail:
                return .invalid(restStart: p)
            }
        }
    }
}
