/// Resource limits for compiling and rendering a template. Chat templates come with model
/// files from the Hub, so they are untrusted: a template that recurses, loops (almost) forever
/// or builds a huge string must fail in bounded time and memory with a ``TemplateError``
/// instead of hanging the server or exhausting its memory or stack (docs/api.md, "Chat
/// templates"). The defaults are far above what real chat templates need; every template in
/// Tests/Fixtures renders well inside them.
public struct JinjaLimits: Sendable, Equatable {
    /// Deepest nesting the parser accepts, counting each nested statement block (`{% if %}`,
    /// `{% for %}`, …) and each nested sub-expression (parentheses, brackets, unary operators).
    public var maxNesting: Int = 200
    /// Deepest chain of macro calls (a macro calling itself, directly or not).
    public var maxCallDepth: Int = 64
    /// Deepest recursion of the interpreter over statements and expressions together.
    public var maxDepth: Int = 500
    /// Statements and expressions evaluated per render, plus the elements visited when a
    /// whole value is converted or compared (`tojson`, printing a list, `==`). Bounds run time.
    public var maxSteps: Int = 2_000_000
    /// Largest string a template may build, and the largest output (UTF-8 bytes).
    public var maxStringBytes: Int = 16 << 20
    /// Most elements of a list or tuple a template may build.
    public var maxListLength: Int = 1 << 20

    /// The limits used unless a caller passes others.
    public static let `default` = JinjaLimits()

    /// Creates limits; every parameter defaults to the value documented on its property.
    public init(maxNesting: Int = 200, maxCallDepth: Int = 64, maxDepth: Int = 500, maxSteps: Int = 2_000_000,
                maxStringBytes: Int = 16 << 20, maxListLength: Int = 1 << 20) {
        self.maxNesting = maxNesting
        self.maxCallDepth = maxCallDepth
        self.maxDepth = maxDepth
        self.maxSteps = maxSteps
        self.maxStringBytes = maxStringBytes
        self.maxListLength = maxListLength
    }
}

/// Enforcement of ``JinjaLimits`` during a render.
extension JinjaInterpreter {
    /// Counts one step (a loop iteration, even with an empty body).
    func tick() throws(TemplateError) {
        steps += 1
        guard steps <= limits.maxSteps else {
            throw TemplateError(.runtime, "template exceeded its budget of \(limits.maxSteps) evaluation steps (a loop too long or unbounded recursion?)")
        }
    }

    /// Charges work proportional to `value`'s own size (not its elements' contents): one
    /// step per list/dict element, one per 256 bytes of a string. Called for filters, methods
    /// and operators that walk their operand once.
    func chargeShallow(_ value: JinjaValue) throws(TemplateError) {
        switch value {
        case .string(let s): steps += s.utf8.count >> 8
        case .list(let a), .tuple(let a): steps += a.count
        case .dict(let d): steps += d.count
        default: return
        }
        try tick()
    }

    /// Filters that only look at a value's length or ends (no charge for its size).
    static let cheapFilters: Set<String> = ["length", "count", "first", "last", "default", "d", "attr"]

    /// Counts one step and one level of recursion; pair with `defer { depth -= 1 }`.
    func enter() throws(TemplateError) {
        try tick()
        guard depth < limits.maxDepth else {
            throw TemplateError(.runtime, "template nesting exceeded \(limits.maxDepth) levels of evaluation")
        }
        depth += 1
    }

    /// Fails if `value` is a string or list above the size limits.
    func checkSize(_ value: JinjaValue) throws(TemplateError) {
        switch value {
        case .string(let s): try checkStringBytes(s.utf8.count)
        case .list(let a), .tuple(let a): try checkListLength(a.count)
        default: break
        }
    }

    func checkStringBytes(_ n: Int) throws(TemplateError) {
        guard n <= limits.maxStringBytes else {
            throw TemplateError(.runtime, "template built a string of \(n) bytes, above the limit of \(limits.maxStringBytes)")
        }
    }

    func checkListLength(_ n: Int) throws(TemplateError) {
        guard n <= limits.maxListLength else {
            throw TemplateError(.runtime, "template built a list of \(n) items, above the limit of \(limits.maxListLength)")
        }
    }

    /// Checks that `count` repetitions of something `unit` long stay within `limit`.
    func checkRepeat(_ unit: Int, _ count: Int, string: Bool) throws(TemplateError) {
        let (total, overflow) = unit.multipliedReportingOverflow(by: max(0, count))
        let n = overflow ? Int.max : total
        if string { try checkStringBytes(n) } else { try checkListLength(n) }
    }

    /// Fails if `s.replace(old, new, count)` could build a string above the limit.
    func checkReplace(_ s: String, _ old: String, _ new: String, count: Int) throws(TemplateError) {
        let bytes = s.utf8.count
        var occurrences = old.isEmpty ? bytes + 1 : bytes / old.utf8.count
        if count >= 0 { occurrences = min(occurrences, count) }
        let (grow, overflow) = occurrences.multipliedReportingOverflow(by: new.utf8.count)
        try checkStringBytes(overflow ? Int.max : bytes &+ min(grow, Int.max - bytes))
    }

    /// Fails if joining `parts` with `separator` would build a string above the limit.
    func checkJoin(_ parts: [String], _ separator: String) throws(TemplateError) {
        var total = 0
        for p in parts {
            total += p.utf8.count + separator.utf8.count
            try checkStringBytes(total - separator.utf8.count)
        }
    }

    /// Charges a walk over the whole of `value` (its elements, recursively) to the step budget
    /// and fails if its text form would pass the string limit. Called before operations that
    /// traverse a value deeply (printing, `tojson`, string filters, comparisons), so lists that
    /// share elements (`[[x] * 1000] * 1000`) cannot multiply the work unseen.
    /// Returns the number of values visited and the deepest nesting, for size estimates.
    @discardableResult
    func chargeDeep(_ value: JinjaValue) throws(TemplateError) -> (values: Int, depth: Int) {
        var bytes = 0
        var values = 0
        var deepest = 0
        var stack: [(JinjaValue, Int)] = [(value, 1)]
        while let (v, level) = stack.popLast() {
            steps += 1
            values += 1
            deepest = max(deepest, level)
            bytes += 2
            if steps > limits.maxSteps {
                throw TemplateError(.runtime, "template exceeded its budget of \(limits.maxSteps) evaluation steps (a value too large to traverse)")
            }
            switch v {
            case .string(let s): bytes += s.utf8.count
            case .list(let a), .tuple(let a): for x in a { stack.append((x, level + 1)) }
            case .dict(let d):
                for (k, x) in d {
                    bytes += k.utf8.count + 4
                    stack.append((x, level + 1))
                }
            default: break
            }
            if bytes > limits.maxStringBytes {
                throw TemplateError(.runtime, "value too large to convert to text (above the limit of \(limits.maxStringBytes) bytes)")
            }
        }
        return (values, deepest)
    }

    /// Filters that read their whole input deeply (convert it to text, compare or serialise it).
    static let deepFilters: Set<String> = [
        "tojson", "string", "safe", "escape", "e", "forceescape", "trim", "lower", "upper", "capitalize",
        "title", "replace", "join", "sort", "unique", "min", "max", "indent", "wordcount", "dictsort",
        "center", "truncate", "wordwrap", "format", "urlencode", "striptags",
    ]
}

extension JinjaValue {
    /// Whether the value holds other values (list, tuple, dict).
    var isContainer: Bool {
        switch self {
        case .list, .tuple, .dict: true
        default: false
        }
    }
}
