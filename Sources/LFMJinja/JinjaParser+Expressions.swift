/// Expression grammar, with Jinja's precedence (lowest first): conditional, `or`, `and`, `not`,
/// comparisons, `+ -`, `~`, `* / // %`, `**` (left-associative, as in Jinja), unary `- +`,
/// then primaries with postfix `.x`, `[x]`, `(…)`, and the filter/test chain `| f`, `is t`.
extension JinjaParser {
    /// `a`, or `a, b` (a tuple); stops at `}}`, `%}`, `)` or a name in `extraEnd`.
    mutating func parseTuple(withCondExpr: Bool = true, extraEnd: Set<String> = [], explicitParentheses: Bool = false) throws(TemplateError) -> JinjaExpr {
        var items: [JinjaExpr] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectOp(",") }
            if isTupleEnd(extraEnd) { break }
            items.append(withCondExpr ? try parseExpression() : try parseOr())
            if current.isOp(",") { isTuple = true } else { break }
        }
        if !isTuple {
            if let first = items.first { return first }
            if !explicitParentheses { throw fail("Expected an expression, got \(current.display)") }
        }
        return .tuple(items)
    }

    func isTupleEnd(_ extraEnd: Set<String>) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .eof: return true
        case .op(let o): return o == ")"
        case .name(let n): return extraEnd.contains(n)
        default: return false
        }
    }

    /// A full expression including `a if c else b`.
    mutating func parseExpression() throws(TemplateError) -> JinjaExpr {
        try nest()
        defer { nesting -= 1 }
        var expr = try parseOr()
        while current.isName("if") {
            advance()
            let condition = try parseOr()
            var otherwise: JinjaExpr?
            if current.isName("else") {
                advance()
                otherwise = try parseExpression()
            }
            expr = .conditional(condition, then: expr, otherwise: otherwise)
        }
        return expr
    }

    mutating func parseOr() throws(TemplateError) -> JinjaExpr {
        var left = try parseAnd()
        while current.isName("or") {
            advance()
            left = .binary("or", left, try parseAnd())
        }
        return left
    }

    mutating func parseAnd() throws(TemplateError) -> JinjaExpr {
        var left = try parseNot()
        while current.isName("and") {
            advance()
            left = .binary("and", left, try parseNot())
        }
        return left
    }

    mutating func parseNot() throws(TemplateError) -> JinjaExpr {
        try nest()
        defer { nesting -= 1 }
        if current.isName("not") {
            advance()
            return .unary("not", try parseNot())
        }
        return try parseCompare()
    }

    mutating func parseCompare() throws(TemplateError) -> JinjaExpr {
        let first = try parseMath1()
        var ops: [(String, JinjaExpr)] = []
        while true {
            if case .op(let o) = current.kind, ["==", "!=", "<", "<=", ">", ">="].contains(o) {
                advance()
                ops.append((o, try parseMath1()))
            } else if current.isName("in") {
                advance()
                ops.append(("in", try parseMath1()))
            } else if current.isName("not") && peek().isName("in") {
                advance()
                advance()
                ops.append(("not in", try parseMath1()))
            } else {
                break
            }
        }
        return ops.isEmpty ? first : .compare(first, ops)
    }

    mutating func parseMath1() throws(TemplateError) -> JinjaExpr {
        var left = try parseConcat()
        while case .op(let o) = current.kind, o == "+" || o == "-" {
            advance()
            left = .binary(o, left, try parseConcat())
        }
        return left
    }

    mutating func parseConcat() throws(TemplateError) -> JinjaExpr {
        var left = try parseMath2()
        while current.isOp("~") {
            advance()
            left = .binary("~", left, try parseMath2())
        }
        return left
    }

    mutating func parseMath2() throws(TemplateError) -> JinjaExpr {
        var left = try parsePow()
        while case .op(let o) = current.kind, ["*", "/", "//", "%"].contains(o) {
            advance()
            left = .binary(o, left, try parsePow())
        }
        return left
    }

    mutating func parsePow() throws(TemplateError) -> JinjaExpr {
        var left = try parseUnary()
        while current.isOp("**") {
            advance()
            left = .binary("**", left, try parseUnary())
        }
        return left
    }

    mutating func parseUnary(withFilter: Bool = true) throws(TemplateError) -> JinjaExpr {
        try nest()
        defer { nesting -= 1 }
        var node: JinjaExpr
        if current.isOp("-") {
            advance()
            node = .unary("-", try parseUnary(withFilter: false))
        } else if current.isOp("+") {
            advance()
            node = .unary("+", try parseUnary(withFilter: false))
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilter { node = try parseFilterExpr(node) }
        return node
    }

    mutating func parsePrimary() throws(TemplateError) -> JinjaExpr {
        let token = current
        switch token.kind {
        case .name(let n):
            advance()
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case .string(var s):
            advance()
            while case .string(let more) = current.kind {
                s += more
                advance()
            }
            return .literal(.string(s))
        case .integer(let i):
            advance()
            return .literal(.int(i))
        case .float(let d):
            advance()
            return .literal(.float(d))
        case .op("("):
            advance()
            let expr = try parseTuple(explicitParentheses: true)
            try expectOp(")")
            return expr
        case .op("["):
            advance()
            var items: [JinjaExpr] = []
            while !current.isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if current.isOp("]") { break }
                items.append(try parseExpression())
            }
            advance()
            return .list(items)
        case .op("{"):
            advance()
            var items: [(JinjaExpr, JinjaExpr)] = []
            while !current.isOp("}") {
                if !items.isEmpty { try expectOp(",") }
                if current.isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                items.append((key, try parseExpression()))
            }
            advance()
            return .dict(items)
        default:
            throw fail("unexpected \(token.display)")
        }
    }

    mutating func parsePostfix(_ start: JinjaExpr) throws(TemplateError) -> JinjaExpr {
        var node = start
        while true {
            if current.isOp(".") {
                advance()
                switch current.kind {
                case .name(let n):
                    advance()
                    node = .attribute(node, n)
                case .integer(let i):
                    advance()
                    node = .item(node, .literal(.int(i)))
                default:
                    throw fail("expected name or number")
                }
            } else if current.isOp("[") {
                advance()
                var args: [JinjaExpr] = []
                while !current.isOp("]") {
                    if !args.isEmpty { try expectOp(",") }
                    args.append(try parseSubscribed(node))
                }
                advance()
                if args.count == 1 {
                    if case .slice(_, let a, let b, let c) = args[0] { node = .slice(node, a, b, c) } else { node = .item(node, args[0]) }
                } else {
                    node = .item(node, .tuple(args))
                }
            } else if current.isOp("(") {
                node = .call(node, try parseCallArguments())
            } else {
                return node
            }
        }
    }

    /// One subscript: an expression or a slice `a:b:c` (returned as `.slice(base, …)`).
    mutating func parseSubscribed(_ base: JinjaExpr) throws(TemplateError) -> JinjaExpr {
        var start: JinjaExpr?
        if !current.isOp(":") {
            let expr = try parseExpression()
            if !current.isOp(":") { return expr }
            start = expr
        }
        advance()
        var stop: JinjaExpr?
        var step: JinjaExpr?
        if !current.isOp("]") && !current.isOp(",") && !current.isOp(":") { stop = try parseExpression() }
        if current.isOp(":") {
            advance()
            if !current.isOp("]") && !current.isOp(",") { step = try parseExpression() }
        }
        return .slice(base, start, stop, step)
    }

    mutating func parseCallArguments() throws(TemplateError) -> [JinjaArgument] {
        try expectOp("(")
        var args: [JinjaArgument] = []
        while !current.isOp(")") {
            if !args.isEmpty { try expectOp(",") }
            if current.isOp(")") { break }
            if current.isOp("*") {
                advance()
                args.append(.star(try parseExpression()))
            } else if current.isOp("**") {
                advance()
                args.append(.doubleStar(try parseExpression()))
            } else if case .name(let n) = current.kind, peek().isOp("=") {
                advance()
                advance()
                args.append(.keyword(n, try parseExpression()))
            } else {
                if args.contains(where: { if case .keyword = $0 { return true } else { return false } }) {
                    throw fail("positional argument follows keyword argument")
                }
                args.append(.positional(try parseExpression()))
            }
        }
        advance()
        return args
    }

    mutating func parseDottedName() throws(TemplateError) -> String {
        var name = try expectIdentifier()
        while current.isOp(".") {
            advance()
            name += "." + (try expectIdentifier())
        }
        return name
    }

    /// `| f(args) | g` chains; with `startInline` the first `|` is implied (filter blocks).
    mutating func parseFilterChain(startInline: Bool) throws(TemplateError) -> [(String, [JinjaArgument])] {
        var filters: [(String, [JinjaArgument])] = []
        var inline = startInline
        while current.isOp("|") || inline {
            if !inline { advance() }
            inline = false
            let name = try parseDottedName()
            guard JinjaBuiltins.filters.contains(name) else { throw fail("No filter named '\(name)'.") }
            let args = current.isOp("(") ? try parseCallArguments() : []
            filters.append((name, args))
        }
        return filters
    }

    mutating func parseFilterExpr(_ start: JinjaExpr) throws(TemplateError) -> JinjaExpr {
        var node = start
        while true {
            let line = current.line
            if current.isOp("|") {
                for (name, args) in try parseFilterChain(startInline: false) {
                    node = .filter(node, name, args, line: line)
                }
            } else if current.isName("is") {
                advance()
                var negated = false
                if current.isName("not") {
                    advance()
                    negated = true
                }
                let name = try parseDottedName()
                guard JinjaBuiltins.tests.contains(name) else { throw fail("No test named '\(name)'.") }
                var args: [JinjaArgument] = []
                if current.isOp("(") {
                    args = try parseCallArguments()
                } else if canStartTestArgument() {
                    if current.isName("is") { throw fail("You cannot chain multiple tests with is") }
                    args = [.positional(try parsePostfix(try parsePrimary()))]
                }
                node = .test(node, name, args, negated: negated, line: line)
            } else if current.isOp("(") {
                node = .call(node, try parseCallArguments())
            } else {
                return node
            }
        }
    }

    func canStartTestArgument() -> Bool {
        switch current.kind {
        case .name(let n): return !["else", "or", "and"].contains(n)
        case .string, .integer, .float: return true
        case .op(let o): return o == "(" || o == "[" || o == "{"
        default: return false
        }
    }
}
