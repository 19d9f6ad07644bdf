/// One Server-Sent Event (HTML Living Standard §9.2, "event stream" format).
/// Each line of `data` becomes its own `data:` field, so embedded newlines survive.
public struct SSEEvent: Sendable, Equatable {
    /// The `event:` field, or nil for the default `message` type.
    public var event: String?
    /// The payload; may contain newlines.
    public var data: String
    /// The `id:` field, or nil.
    public var id: String?
    /// The `retry:` field in milliseconds, or nil.
    public var retry: Int?

    /// An event with the given fields.
    public init(data: String, event: String? = nil, id: String? = nil, retry: Int? = nil) {
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry
    }

    /// The wire form, ending with the blank line that dispatches the event.
    /// CR, LF and CRLF in `data` all split lines (the format's line terminators).
    public func encoded() -> [UInt8] {
        var s = ""
        if let event { s += "event: \(Self.singleLine(event))\n" }
        if let id { s += "id: \(Self.singleLine(id))\n" }
        if let retry { s += "retry: \(retry)\n" }
        var line = ""
        var previousCR = false
        for c in data.unicodeScalars {
            if c == "\n" && previousCR { previousCR = false; continue }
            previousCR = c == "\r"
            if c == "\n" || c == "\r" {
                s += "data: " + line + "\n"
                line = ""
            } else {
                line.unicodeScalars.append(c)
            }
        }
        s += "data: " + line + "\n\n"
        return Array(s.utf8)
    }

    /// A comment line (`: text`), used for keep-alive pings; clients ignore it.
    public static func comment(_ text: String) -> [UInt8] {
        Array(": \(singleLine(text))\n\n".utf8)
    }

    private static func singleLine(_ s: String) -> String {
        String(s.unicodeScalars.filter { $0 != "\n" && $0 != "\r" })
    }
}
