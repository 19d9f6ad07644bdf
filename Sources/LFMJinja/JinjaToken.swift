/// One lexical token of a Jinja template.
struct JinjaToken: Sendable, Equatable {
    /// What the token is.
    enum Kind: Sendable, Equatable {
        /// Literal template text, whitespace control already applied.
        case text(String)
        /// `{{`
        case variableBegin
        /// `}}`
        case variableEnd
        /// `{%`
        case blockBegin
        /// `%}`
        case blockEnd
        /// An identifier (keywords are names too, as in Jinja).
        case name(String)
        /// A string literal with escapes resolved.
        case string(String)
        /// An integer literal.
        case integer(Int)
        /// A float literal.
        case float(Double)
        /// An operator or punctuation, e.g. `+`, `//`, `==`, `(`.
        case op(String)
        /// End of input.
        case eof
    }

    var kind: Kind
    var line: Int

    /// True when this is the name `value` (a keyword check).
    func isName(_ value: String) -> Bool {
        if case .name(let n) = kind { return n == value }
        return false
    }

    /// True when this is the operator `value`.
    func isOp(_ value: String) -> Bool {
        if case .op(let o) = kind { return o == value }
        return false
    }

    /// A short description for error messages.
    var display: String {
        switch kind {
        case .text: return "template data"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "end of print statement"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "end of statement block"
        case .name(let n): return "'\(n)'"
        case .string(let s): return "string '\(s)'"
        case .integer(let i): return "integer \(i)"
        case .float(let d): return "float \(d)"
        case .op(let o): return "'\(o)'"
        case .eof: return "end of template"
        }
    }
}
