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
    /// Where the call being written starts and how far it was read when its parse last
    /// asked for more, so it is parsed again only when that can change the answer.
    private var pending: (start: Int, end: Int)?

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
                if !final, let pending, pending.start == p, !Self.worthReparsing(text, pending: pending, end: end) { return .needMore }
                var parser = PythonLiteralParser(text: text, start: p, end: end)
                do throws(LiteralParseFailure) {
                    let call = try parser.parseCall()
                    pending = nil
                    if let knownNames, !knownNames.contains(call.name) { return .invalid(restStart: p) }
                    calls.append(call)
                    position = parser.pos
                    stage = stage == .listItem ? .listSeparator : .bareSeparator
                } catch .needMore {
                    pending = (p, end)
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

    /// Length under which a pending call is parsed again on every piece.
    static let eagerLength = 256

    /// A call's parse that asked for more text can only finish once a closing `)` or `}`
    /// arrives; it may fail earlier. A short call (under ``eagerLength`` scalars) is parsed
    /// on every piece, so a malformed one turns into content at once; a longer one again
    /// when its text has doubled (or at the end). So a call of L scalars streamed in small
    /// pieces is parsed O(log L) times plus once per closing bracket, not once per piece
    /// (which was quadratic). The calls and the failure position stay those of the whole
    /// body: only when a failure of a long call is found changes.
    static func worthReparsing(_ text: [Unicode.Scalar], pending: (start: Int, end: Int), end: Int) -> Bool {
        if end - pending.start < eagerLength || end - pending.start >= 2 * (pending.end - pending.start) { return true }
        return text[min(pending.end, end)..<end].contains { $0 == ")" || $0 == "}" }
    }
}
