/// Removes marker strings (LFM2's `<|tool_call_start|>` / `<|tool_call_end|>`) from streamed
/// text, keeping everything between them: when a request has no tools, or `tool_choice` is
/// `"none"`, a tool call the model writes anyway reaches `content` as plain text
/// (`[get_weather(city="Paris")]`), never as special-token markup (docs/api.md, "Tool calls").
///
/// A delta may end with the start of a marker; that part is held back until the next delta
/// (or ``finish()``) shows whether it is one.
struct MarkerStripper: Sendable {
    let markers: [String]
    private var held = ""

    init(markers: [String]) { self.markers = markers.filter { !$0.isEmpty } }

    /// The text of `delta` that is final now, markers removed.
    mutating func feed(_ delta: String) -> String {
        var text = held + delta
        held = ""
        for m in markers { text = text.replacing(m, with: "") }
        // Hold back the longest suffix that is a proper prefix of a marker.
        let scalars = Array(text.unicodeScalars)
        let longest = markers.map { $0.unicodeScalars.count - 1 }.max() ?? 0
        for k in stride(from: min(longest, scalars.count), to: 0, by: -1) {
            let suffix = String(String.UnicodeScalarView(scalars[(scalars.count - k)...]))
            if markers.contains(where: { $0.hasPrefix(suffix) }) {
                held = suffix
                return String(String.UnicodeScalarView(scalars[..<(scalars.count - k)]))
            }
        }
        return text
    }

    /// The text still held back (it was not a marker after all).
    mutating func finish() -> String {
        defer { held = "" }
        return held
    }
}
