/// An error raised while compiling or rendering a Jinja template.
///
/// The kinds mirror the Python exceptions transformers' Jinja environment raises, so callers can
/// tell a template's own `raise_exception(...)` (``Kind-swift.enum/raised``) from a bug.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The category of failure.
    public enum Kind: Sendable, Equatable {
        /// The template source is malformed or uses an unsupported construct (`TemplateSyntaxError`).
        case syntax
        /// An undefined value was used where a value is required (`UndefinedError`).
        case undefined
        /// An operation was applied to values of the wrong type (`TypeError`/`ValueError`).
        case type
        /// The sandbox refused an operation, e.g. `list.append` (`SecurityError`).
        case security
        /// The template called `raise_exception(message)` (`TemplateError`).
        case raised
        /// Any other runtime failure (`TemplateRuntimeError`, division by zero, …).
        case runtime
    }

    /// The category of failure.
    public var kind: Kind
    /// The message; for ``Kind-swift.enum/raised`` it is exactly the template's message.
    public var message: String
    /// 1-based source line, when known.
    public var line: Int?

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
    }

    /// "message (line N)".
    public var description: String {
        if let line { return "\(message) (line \(line))" }
        return message
    }
}
