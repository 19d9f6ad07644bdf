/// Parses Jinja tokens into statements, following Jinja 3.1's grammar (`jinja2/parser.py`).
///
/// Every construct outside the supported subset (template inheritance, includes, imports,
/// recursive loops, autoescape blocks, unknown tags) is rejected here, at compile time, with a
/// ``TemplateError`` of kind ``TemplateError/Kind-swift.enum/syntax``.
struct JinjaParser {
    var tokens: [JinjaToken]
    var index = 0
    /// Nesting depth of for loops in the current macro (for break/continue checks).
    var loopDepth = 0
    /// Current nesting of statements and sub-expressions, bounded by `maxNesting`
    /// (``JinjaLimits/maxNesting``) so hostile input cannot exhaust the stack.
    var nesting = 0
    var maxNesting = JinjaLimits.default.maxNesting

    init(tokens: [JinjaToken]) {
        self.tokens = tokens
    }

    /// Parses a whole template.
    static func parse(_ source: String, limits: JinjaLimits = .default) throws(TemplateError) -> [JinjaNode] {
        var parser = JinjaParser(tokens: try JinjaLexer.tokenize(source))
        parser.maxNesting = limits.maxNesting
        let (nodes, end) = try parser.parseStatements(until: [])
        if let end { throw TemplateError(.syntax, "Encountered unknown tag '\(end)'.", line: parser.current.line) }
        return nodes
    }

    var current: JinjaToken { tokens[index] }

    func peek(_ offset: Int = 1) -> JinjaToken {
        tokens[min(index + offset, tokens.count - 1)]
    }

    mutating func advance() {
        if index < tokens.count - 1 { index += 1 }
    }

    func fail(_ message: String, line: Int? = nil) -> TemplateError {
        TemplateError(.syntax, message, line: line ?? current.line)
    }

    mutating func expectOp(_ op: String) throws(TemplateError) {
        guard current.isOp(op) else { throw fail("expected token '\(op)', got \(current.display)") }
        advance()
    }

    mutating func expectName(_ name: String) throws(TemplateError) {
        guard current.isName(name) else { throw fail("expected token '\(name)', got \(current.display)") }
        advance()
    }

    mutating func expectIdentifier() throws(TemplateError) -> String {
        guard case .name(let n) = current.kind else { throw fail("expected a name, got \(current.display)") }
        advance()
        return n
    }

    mutating func expectBlockEnd() throws(TemplateError) {
        guard current.kind == .blockEnd else { throw fail("expected token 'end of statement block', got \(current.display)") }
        advance()
    }

    /// Parses nodes until a block tag whose name is in `until`; returns that name (consumed,
    /// with the rest of its tag left to the caller), or nil at end of input.
    mutating func parseStatements(until: Set<String>) throws(TemplateError) -> ([JinjaNode], String?) {
        var nodes: [JinjaNode] = []
        while true {
            let token = current
            switch token.kind {
            case .eof:
                if !until.isEmpty {
                    let expected = until.sorted().map { "'\($0)'" }.joined(separator: " or ")
                    throw fail("Unexpected end of template. Jinja was looking for the following tags: \(expected).")
                }
                return (nodes, nil)
            case .text(let s):
                nodes.append(.text(s))
                advance()
            case .variableBegin:
                advance()
                let expr = try parseTuple()
                guard current.kind == .variableEnd else { throw fail("expected token 'end of print statement', got \(current.display)") }
                advance()
                nodes.append(.output(expr, line: token.line))
            case .blockBegin:
                advance()
                guard case .name(let tag) = current.kind else { throw fail("tag name expected") }
                if until.contains(tag) {
                    advance()
                    return (nodes, tag)
                }
                nodes.append(try parseStatement(tag))
            default:
                throw fail("unexpected \(token.display)")
            }
        }
    }

    /// Parses the body of a block up to one of `ends`; fails if the template ends first.
    mutating func parseBody(_ ends: Set<String>) throws(TemplateError) -> ([JinjaNode], String) {
        let (body, end) = try parseStatements(until: ends)
        guard let end else { throw fail("unexpected end of template") }
        return (body, end)
    }

    /// Enters one level of nesting; pair with `defer { nesting -= 1 }`.
    mutating func nest() throws(TemplateError) {
        nesting += 1
        guard nesting <= maxNesting else { throw fail("template nesting is deeper than \(maxNesting) levels") }
    }

    mutating func parseStatement(_ tag: String) throws(TemplateError) -> JinjaNode {
        try nest()
        defer { nesting -= 1 }
        let line = current.line
        advance()
        switch tag {
        case "if": return try parseIf(line: line)
        case "for": return try parseFor(line: line)
        case "set": return try parseSet(line: line)
        case "macro": return try parseMacro(line: line)
        case "call": return try parseCallBlock(line: line)
        case "filter":
            let filters = try parseFilterChain(startInline: true)
            try expectBlockEnd()
            let (body, _) = try parseBody(["endfilter"])
            try expectBlockEnd()
            return .filterBlock(filters, body: body, line: line)
        case "with": return try parseWith(line: line)
        case "generation":
            try expectBlockEnd()
            let (body, _) = try parseBody(["endgeneration"])
            try expectBlockEnd()
            return .generation(body)
        case "break", "continue":
            guard loopDepth > 0 else { throw fail("'\(tag)' outside of a loop", line: line) }
            try expectBlockEnd()
            return tag == "break" ? .breakLoop : .continueLoop
        case "extends", "include", "import", "from", "block", "autoescape", "do", "trans":
            throw fail("unsupported tag '\(tag)' (not available in chat templates here)", line: line)
        default:
            throw fail("Encountered unknown tag '\(tag)'.", line: line)
        }
    }

    mutating func parseIf(line: Int) throws(TemplateError) -> JinjaNode {
        var branches: [(JinjaExpr, [JinjaNode])] = []
        var condition = try parseTuple(withCondExpr: false)
        while true {
            try expectBlockEnd()
            let (body, end) = try parseBody(["elif", "else", "endif"])
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseTuple(withCondExpr: false)
            case "else":
                try expectBlockEnd()
                let (otherwise, _) = try parseBody(["endif"])
                try expectBlockEnd()
                return .ifChain(branches, otherwise: otherwise, line: line)
            default:
                try expectBlockEnd()
                return .ifChain(branches, otherwise: [], line: line)
            }
        }
    }

    mutating func parseFor(line: Int) throws(TemplateError) -> JinjaNode {
        let target = try parseAssignTarget(extraEnd: ["in"])
        try expectName("in")
        let iterable = try parseTuple(withCondExpr: false, extraEnd: ["recursive", "if"])
        var filter: JinjaExpr?
        if current.isName("if") {
            advance()
            filter = try parseExpression()
        }
        if current.isName("recursive") { throw fail("recursive for loops are not supported") }
        try expectBlockEnd()
        loopDepth += 1
        let (body, end) = try parseBody(["endfor", "else"])
        loopDepth -= 1
        var otherwise: [JinjaNode] = []
        if end == "else" {
            try expectBlockEnd()
            (otherwise, _) = try parseBody(["endfor"])
        }
        try expectBlockEnd()
        return .forLoop(target: target, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: line)
    }

    mutating func parseSet(line: Int) throws(TemplateError) -> JinjaNode {
        let target = try parseAssignTarget(withNamespace: true)
        if current.isOp("=") {
            advance()
            let value = try parseTuple()
            try expectBlockEnd()
            return .set(target, value, line: line)
        }
        let filters = current.isOp("|") ? try parseFilterChain(startInline: false) : []
        try expectBlockEnd()
        let (body, _) = try parseBody(["endset"])
        try expectBlockEnd()
        return .setBlock(target, filters: filters, body: body, line: line)
    }

    mutating func parseSignature() throws(TemplateError) -> [(name: String, defaultValue: JinjaExpr?)] {
        var params: [(name: String, defaultValue: JinjaExpr?)] = []
        try expectOp("(")
        while !current.isOp(")") {
            if !params.isEmpty { try expectOp(",") }
            if current.isOp(")") { break }
            let name = try expectIdentifier()
            var defaultValue: JinjaExpr?
            if current.isOp("=") {
                advance()
                defaultValue = try parseExpression()
            } else if params.last?.defaultValue != nil {
                throw fail("non-default argument follows default argument")
            }
            params.append((name, defaultValue))
        }
        advance()
        return params
    }

    mutating func parseMacro(line: Int) throws(TemplateError) -> JinjaNode {
        let name = try expectIdentifier()
        let params = try parseSignature()
        try expectBlockEnd()
        let savedDepth = loopDepth
        loopDepth = 0
        let (body, _) = try parseBody(["endmacro"])
        loopDepth = savedDepth
        try expectBlockEnd()
        return .macro(JinjaMacro(name: name, parameters: params, body: body), line: line)
    }

    mutating func parseCallBlock(line: Int) throws(TemplateError) -> JinjaNode {
        let params = current.isOp("(") ? try parseSignature() : []
        let call = try parseExpression()
        guard case .call = call else { throw fail("expected call", line: line) }
        try expectBlockEnd()
        let savedDepth = loopDepth
        loopDepth = 0
        let (body, _) = try parseBody(["endcall"])
        loopDepth = savedDepth
        try expectBlockEnd()
        return .callBlock(call, caller: JinjaMacro(name: "caller", parameters: params, body: body), line: line)
    }

    mutating func parseWith(line: Int) throws(TemplateError) -> JinjaNode {
        var assignments: [(JinjaTarget, JinjaExpr)] = []
        while current.kind != .blockEnd {
            if !assignments.isEmpty { try expectOp(",") }
            let target = try parseAssignTarget()
            try expectOp("=")
            assignments.append((target, try parseExpression()))
        }
        try expectBlockEnd()
        let (body, _) = try parseBody(["endwith"])
        try expectBlockEnd()
        return .with(assignments, body: body, line: line)
    }

    /// `name`, `ns.attr` (with `withNamespace`), or `a, b` unpacking.
    mutating func parseAssignTarget(withNamespace: Bool = false, extraEnd: Set<String> = []) throws(TemplateError) -> JinjaTarget {
        if withNamespace, case .name(let ns) = current.kind, peek().isOp(".") {
            advance()
            advance()
            return .attribute(ns, try expectIdentifier())
        }
        var names: [JinjaTarget] = []
        var isTuple = false
        while true {
            if !names.isEmpty { try expectOp(",") }
            if current.kind == .blockEnd || current.isOp(")") || current.isOp("=") { break }
            if case .name(let n) = current.kind, extraEnd.contains(n) { break }
            if current.isOp("(") {
                advance()
                names.append(try parseAssignTarget(extraEnd: extraEnd))
                try expectOp(")")
            } else {
                let name = try expectIdentifier()
                if ["true", "false", "none", "True", "False", "None"].contains(name) {
                    throw fail("can't assign to '\(name)'")
                }
                names.append(.name(name))
            }
            if current.isOp(",") { isTuple = true } else { break }
        }
        guard let first = names.first else { throw fail("expected an assignment target") }
        return isTuple ? .tuple(names) : first
    }
}
