/// A JSON parse (or serialisation) failure, with the byte offset where it was detected.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, e.g. "unexpected character '}'".
    public var message: String
    /// Offset in bytes from the start of the input (0 for serialisation errors).
    public var offset: Int

    /// Creates an error.
    public init(_ message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    /// "message at byte N".
    public var description: String { "\(message) at byte \(offset)" }
}
