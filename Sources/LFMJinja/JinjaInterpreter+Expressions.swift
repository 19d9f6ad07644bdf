import Foundation
import OrderedJSON

/// Expression evaluation with Python semantics.
extension JinjaInterpreter {
    func evaluate(_ expr: JinjaExpr, in scope: JinjaScope) throws(TemplateError) -> JinjaValue {
        try enter()
        defer { depth -= 1 }
        let value = try evaluateExpression(expr, in: scope)
        try checkSize(value)
        return value
    }

    private func evaluateExpression(_ expr: JinjaExpr, in scope: JinjaScope) throws(TemplateError) -> JinjaValue {
        switch expr {
        case .literal(let v):
            return v
        case .name(let n):
            return lookup(n, in: scope)
        case .list(let items):
            var out: [JinjaValue] = []
            out.reserveCapacity(items.count)
            for e in items { out.append(try evaluate(e, in: scope)) }
            return .list(out)
        case .tuple(let items):
            var out: [JinjaValue] = []
            for e in items { out.append(try evaluate(e, in: scope)) }
            return .tuple(out)
        case .dict(let pairs):
            var d = OrderedMap<JinjaValue>()
            for (k, v) in pairs {
                let key = try evaluate(k, in: scope)
                guard case .string(let ks) = key else {
                    throw TemplateError(.type, "dict keys other than strings are not supported (got \(key.typeName))")
                }
                d[ks] = try evaluate(v, in: scope)
            }
            return .dict(d)
        case .attribute(let e, let name):
            return try getAttribute(try evaluate(e, in: scope), name)
        case .item(let e, let key):
            return try getItem(try evaluate(e, in: scope), try evaluate(key, in: scope))
        case .slice(let e, let start, let stop, let step):
            let base = try evaluate(e, in: scope)
            return try slice(base, start: try start.map { (x) throws(TemplateError) in try evaluate(x, in: scope) },
                             stop: try stop.map { (x) throws(TemplateError) in try evaluate(x, in: scope) },
                             step: try step.map { (x) throws(TemplateError) in try evaluate(x, in: scope) })
        case .call(let callee, let args):
            let function = try evaluate(callee, in: scope)
            return try call(function, try evaluateArguments(args, in: scope))
        case .filter(let e, let name, let args, _):
            let value = try evaluate(e, in: scope)
            return try applyFilter(name, to: value, arguments: try evaluateArguments(args, in: scope))
        case .test(let e, let name, let args, let negated, _):
            let value = try evaluate(e, in: scope)
            let result = try applyTest(name, to: value, arguments: try evaluateArguments(args, in: scope))
            return .bool(negated ? !result : result)
        case .unary(let op, let e):
            let v = try evaluate(e, in: scope)
            switch op {
            case "not": return .bool(!v.isTruthy)
            case "-":
                switch v.number {
                case .int(let i)?: return try checked(Int(0).subtractingReportingOverflow(i))
                case .float(let d)?: return .float(-d)
                case nil: throw operandError("unary -", v, nil)
                }
            default:
                guard v.number != nil else { throw operandError("unary +", v, nil) }
                if case .bool(let b) = v { return .int(b ? 1 : 0) }
                return v
            }
        case .binary(let op, let a, let b):
            let left = try evaluate(a, in: scope)
            switch op {
            case "and": return left.isTruthy ? try evaluate(b, in: scope) : left
            case "or": return left.isTruthy ? left : try evaluate(b, in: scope)
            default: return try binary(op, left, try evaluate(b, in: scope))
            }
        case .compare(let first, let ops):
            var left = try evaluate(first, in: scope)
            for (op, e) in ops {
                let right = try evaluate(e, in: scope)
                if !(try compare(op, left, right)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition, in: scope).isTruthy { return try evaluate(then, in: scope) }
            if let otherwise { return try evaluate(otherwise, in: scope) }
            return .undefined("the inline if-expression evaluated to false and no else section was defined.")
        }
    }

    func evaluateArguments(_ args: [JinjaArgument], in scope: JinjaScope) throws(TemplateError) -> JinjaArguments {
        var result = JinjaArguments()
        for arg in args {
            switch arg {
            case .positional(let e): result.positional.append(try evaluate(e, in: scope))
            case .keyword(let name, let e): result.keywords.append((name: name, value: try evaluate(e, in: scope)))
            case .star(let e): result.positional.append(contentsOf: try iterate(try evaluate(e, in: scope)))
            case .doubleStar(let e):
                guard case .dict(let d) = try evaluate(e, in: scope) else {
                    throw TemplateError(.type, "argument after ** must be a mapping")
                }
                for (k, v) in d { result.keywords.append((name: k, value: v)) }
            }
        }
        return result
    }

    func operandError(_ op: String, _ a: JinjaValue, _ b: JinjaValue?) -> TemplateError {
        if case .undefined(let hint) = a { return TemplateError(.undefined, hint) }
        if case .undefined(let hint)? = b { return TemplateError(.undefined, hint) }
        if let b {
            if op == "+", case .string = a {
                return TemplateError(.type, "can only concatenate str (not \"\(b.typeName)\") to str")
            }
            if op == "+", case .list = a {
                return TemplateError(.type, "can only concatenate list (not \"\(b.typeName)\") to list")
            }
            return TemplateError(.type, "unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
        }
        return TemplateError(.type, "bad operand type for \(op): '\(a.typeName)'")
    }

    func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(TemplateError) -> JinjaValue {
        let result = try binaryValue(op, a, b)
        try chargeShallow(result)   // the copy it made
        return result
    }

    private func binaryValue(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(TemplateError) -> JinjaValue {
        if op == "~" {
            if case .string = a {} else { try chargeDeep(a) }
            if case .string = b {} else { try chargeDeep(b) }
            return .string(a.pythonString(namespaces) + b.pythonString(namespaces))
        }
        if let x = a.number, let y = b.number {
            return try arithmetic(op, x, y)
        }
        switch (op, a, b) {
        case ("+", .string(let x), .string(let y)): return .string(x + y)
        case ("+", .list(let x), .list(let y)): return .list(x + y)
        case ("+", .tuple(let x), .tuple(let y)): return .tuple(x + y)
        case ("*", .string(let s), _), ("*", _, .string(let s)):
            guard case .int(let n)? = (a.number != nil ? a.number : b.number) else { throw operandError(op, a, b) }
            try checkRepeat(s.utf8.count, n, string: true)
            return .string(n > 0 ? String(repeating: s, count: n) : "")
        case ("*", .list(let l), _), ("*", _, .list(let l)):
            guard case .int(let n)? = (a.number != nil ? a.number : b.number) else { throw operandError(op, a, b) }
            try checkRepeat(l.count, n, string: false)
            return .list(n > 0 ? Array([[JinjaValue]](repeating: l, count: n).joined()) : [])
        default:
            throw operandError(op, a, b)
        }
    }

    func arithmetic(_ op: String, _ x: Number, _ y: Number) throws(TemplateError) -> JinjaValue {
        if case .int(let i) = x, case .int(let j) = y {
            switch op {
            case "+": return try checked(i.addingReportingOverflow(j))
            case "-": return try checked(i.subtractingReportingOverflow(j))
            case "*": return try checked(i.multipliedReportingOverflow(by: j))
            case "/":
                guard j != 0 else { throw TemplateError(.runtime, "division by zero") }
                return .float(Double(i) / Double(j))
            case "//":
                guard j != 0 else { throw TemplateError(.runtime, "integer division or modulo by zero") }
                if j == -1 { return try checked(Int(0).subtractingReportingOverflow(i)) }   // Int.min / -1 overflows
                let q = i / j
                return .int((i % j != 0 && ((i < 0) != (j < 0))) ? q - 1 : q)
            case "%":
                guard j != 0 else { throw TemplateError(.runtime, "integer division or modulo by zero") }
                if j == -1 { return .int(0) }   // Int.min % -1 would trap
                let r = i % j
                return .int((r != 0 && ((r < 0) != (j < 0))) ? r + j : r)
            case "**":
                if j < 0 { return .float(pow(Double(i), Double(j))) }
                // Exponentiation by squaring: O(log j) steps even for `1 ** 10**18`.
                var result = 1
                var base = i
                var e = j
                while e > 0 {
                    if e & 1 == 1 { result = try checkedInt(result.multipliedReportingOverflow(by: base)) }
                    e >>= 1
                    if e > 0 { base = try checkedInt(base.multipliedReportingOverflow(by: base)) }
                }
                return .int(result)
            default: break
            }
        }
        let a = x.double
        let b = y.double
        switch op {
        case "+": return .float(a + b)
        case "-": return .float(a - b)
        case "*": return .float(a * b)
        case "/":
            guard b != 0 else { throw TemplateError(.runtime, "float division by zero") }
            return .float(a / b)
        case "//":
            guard b != 0 else { throw TemplateError(.runtime, "float floor division by zero") }
            return .float((a / b).rounded(.down))
        case "%":
            guard b != 0 else { throw TemplateError(.runtime, "float modulo") }
            let r = a.truncatingRemainder(dividingBy: b)
            return .float((r != 0 && ((r < 0) != (b < 0))) ? r + b : r)
        case "**": return .float(pow(a, b))
        default: throw TemplateError(.runtime, "unknown operator \(op)")
        }
    }

    private func checkedInt(_ r: (partialValue: Int, overflow: Bool)) throws(TemplateError) -> Int {
        if r.overflow { throw TemplateError(.runtime, "integer overflow") }
        return r.partialValue
    }

    private func checked(_ r: (partialValue: Int, overflow: Bool)) throws(TemplateError) -> JinjaValue {
        if r.overflow { throw TemplateError(.runtime, "integer overflow") }
        return .int(r.partialValue)
    }

    func compare(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws(TemplateError) -> Bool {
        if a.isContainer { try chargeDeep(a) } else { try chargeShallow(a) }
        if b.isContainer { try chargeDeep(b) } else { try chargeShallow(b) }
        switch op {
        case "==": return a.pythonEquals(b)
        case "!=": return !a.pythonEquals(b)
        case "<": return try a.pythonLess(b)
        case ">": return try b.pythonLess(a)
        case "<=": return try a.pythonLess(b) || a.pythonEquals(b)
        case ">=": return try b.pythonLess(a) || a.pythonEquals(b)
        case "in": return try contains(b, a)
        case "not in": return !(try contains(b, a))
        default: throw TemplateError(.runtime, "unknown comparison \(op)")
        }
    }

    /// Python `needle in container`.
    func contains(_ container: JinjaValue, _ needle: JinjaValue) throws(TemplateError) -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let n) = needle else {
                if case .undefined(let hint) = needle { throw TemplateError(.undefined, hint) }
                throw TemplateError(.type, "'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return n.isEmpty || s.contains(n)
        case .list(let a), .tuple(let a): return a.contains { $0.pythonEquals(needle) }
        case .dict(let d):
            if case .string(let k) = needle { return d.contains(key: k) }
            return false
        case .undefined(let hint): throw TemplateError(.undefined, hint)
        default: throw TemplateError(.type, "argument of type '\(container.typeName)' is not iterable")
        }
    }
}

