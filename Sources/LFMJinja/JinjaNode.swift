/// A Jinja expression.
indirect enum JinjaExpr: Sendable {
    /// A constant (`1`, `'a'`, `true`, `none`).
    case literal(JinjaValue)
    /// A variable reference.
    case name(String)
    /// `[a, b]`
    case list([JinjaExpr])
    /// `(a, b)` or a bare `a, b`.
    case tuple([JinjaExpr])
    /// `{k: v}`
    case dict([(JinjaExpr, JinjaExpr)])
    /// `a.b`: attribute first, then item.
    case attribute(JinjaExpr, String)
    /// `a[b]`: item first, then attribute.
    case item(JinjaExpr, JinjaExpr)
    /// `a[start:stop:step]`
    case slice(JinjaExpr, JinjaExpr?, JinjaExpr?, JinjaExpr?)
    /// `f(args)`
    case call(JinjaExpr, [JinjaArgument])
    /// `value | name(args)`
    case filter(JinjaExpr, String, [JinjaArgument], line: Int)
    /// `value is [not] name(args)`
    case test(JinjaExpr, String, [JinjaArgument], negated: Bool, line: Int)
    /// `not a`, `-a`, `+a`
    case unary(String, JinjaExpr)
    /// Arithmetic, `~`, `and`, `or`.
    case binary(String, JinjaExpr, JinjaExpr)
    /// A chain of comparisons: `a < b <= c`, `a in b`, `a not in b`.
    case compare(JinjaExpr, [(String, JinjaExpr)])
    /// `a if cond else b` (the else part may be absent: Undefined).
    case conditional(JinjaExpr, then: JinjaExpr, otherwise: JinjaExpr?)
}

/// One argument in a call, filter or test.
enum JinjaArgument: Sendable {
    case positional(JinjaExpr)
    case keyword(String, JinjaExpr)
    case star(JinjaExpr)
    case doubleStar(JinjaExpr)
}

/// The left-hand side of `set`, `for` and `with`.
enum JinjaTarget: Sendable {
    /// A variable.
    case name(String)
    /// `ns.attr` (namespace attribute assignment).
    case attribute(String, String)
    /// `a, b` unpacking.
    case tuple([JinjaTarget])
}

/// A macro's parameter list and body (also used for `caller` in call blocks).
struct JinjaMacro: Sendable {
    var name: String
    var parameters: [(name: String, defaultValue: JinjaExpr?)]
    var body: [JinjaNode]
}

/// A Jinja statement or piece of output.
indirect enum JinjaNode: Sendable {
    /// Template text.
    case text(String)
    /// `{{ expr }}`
    case output(JinjaExpr, line: Int)
    /// `if / elif / else`: (condition, body) pairs, then the else body.
    case ifChain([(JinjaExpr, [JinjaNode])], otherwise: [JinjaNode], line: Int)
    /// `for target in iterable [if filter] … [else …] endfor`
    case forLoop(target: JinjaTarget, iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode], line: Int)
    /// `set target = value`
    case set(JinjaTarget, JinjaExpr, line: Int)
    /// `set target | filters %}…{% endset`
    case setBlock(JinjaTarget, filters: [(String, [JinjaArgument])], body: [JinjaNode], line: Int)
    /// `macro name(params) … endmacro`
    case macro(JinjaMacro, line: Int)
    /// `call(params) macro(args) … endcall`
    case callBlock(JinjaExpr, caller: JinjaMacro, line: Int)
    /// `filter name(args) … endfilter`
    case filterBlock([(String, [JinjaArgument])], body: [JinjaNode], line: Int)
    /// `with a = 1, b = 2 … endwith`
    case with([(JinjaTarget, JinjaExpr)], body: [JinjaNode], line: Int)
    /// transformers' `generation … endgeneration` (renders its body).
    case generation([JinjaNode])
    /// `break` (loopcontrols extension).
    case breakLoop
    /// `continue` (loopcontrols extension).
    case continueLoop
}
