/// Finds stop strings in streamed text without ever emitting part of one: text that could
/// be the start of a stop string is held back until it is either completed (stop) or
/// ruled out (released). OpenAI semantics: the stop string itself is not returned.
public struct StopStringMatcher: Sendable {
    public let stops: [String]
    private var held = ""

    public init(_ stops: [String]) { self.stops = stops.filter { !$0.isEmpty } }

    /// Result of feeding text.
    public enum Outcome: Equatable, Sendable {
        /// Text safe to emit now.
        case text(String)
        /// A stop string was found: emit the text before it, then finish.
        case stop(String)
    }

    /// Feeds newly decoded text.
    public mutating func feed(_ text: String) -> Outcome {
        guard !stops.isEmpty else { return .text(text) }
        held += text
        if let (range, _) = stops.compactMap({ s in held.range(of: s).map { ($0, s) } }).min(by: { $0.0.lowerBound < $1.0.lowerBound }) {
            let before = String(held[..<range.lowerBound])
            held = ""
            return .stop(before)
        }
        // Hold back the longest suffix that is a proper prefix of some stop string.
        var keep = 0
        for s in stops {
            var n = min(s.count - 1, held.count)
            while n > keep {
                if held.hasSuffix(s.prefix(n)) { keep = n; break }
                n -= 1
            }
        }
        let cut = held.index(held.endIndex, offsetBy: -keep)
        let out = String(held[..<cut])
        held = String(held[cut...])
        return .text(out)
    }

    /// Releases held-back text at the end of generation.
    public mutating func flush() -> String {
        defer { held = "" }
        return held
    }
}
