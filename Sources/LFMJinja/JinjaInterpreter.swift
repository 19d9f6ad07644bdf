import OrderedJSON

/// A variable scope. Jinja gives every for-loop iteration, macro call and `with` block its own
/// scope: assignments inside never leak out, while reads fall through to the enclosing scopes.
final class JinjaScope {
    var vars: [String: JinjaValue]
    let parent: JinjaScope?

    init(parent: JinjaScope?, vars: [String: JinjaValue] = [:]) {
        self.parent = parent
        self.vars = vars
    }

    func lookup(_ name: String) -> JinjaValue? {
        var scope: JinjaScope? = self
        while let s = scope {
            if let v = s.vars[name] { return v }
            scope = s.parent
        }
        return nil
    }
}

/// A macro together with the scope it was defined in (its closure).
struct JinjaMacroClosure {
    let macro: JinjaMacro
    let scope: JinjaScope
    /// For macros invoked by a call block: the `caller` value.
    var caller: JinjaValue?
    /// Whether the body reads `varargs` / `kwargs` (otherwise extra arguments are an error).
    let usesVarargs: Bool
    let usesKwargs: Bool
}

/// Control flow out of a statement list.
enum JinjaFlow {
    case normal
    case breakLoop
    case continueLoop
}

/// Executes a parsed template. One interpreter renders one template once; it is not shared.
final class JinjaInterpreter {
    var output = ""
    var namespaces: [OrderedMap<JinjaValue>] = []
    var macros: [JinjaMacroClosure] = []
    let globals: [String: JinjaValue]
    var cycleCounters: [Int: Int] = [:]
    /// Resource limits and the counters they bound (JinjaLimits.swift).
    let limits: JinjaLimits
    var steps = 0
    var depth = 0
    var callDepth = 0

    init(globals: [String: JinjaValue], limits: JinjaLimits = .default) {
        self.globals = globals
        self.limits = limits
        output.reserveCapacity(4096)
    }

    func lookup(_ name: String, in scope: JinjaScope) -> JinjaValue {
        if let v = scope.lookup(name) { return v }
        if let v = globals[name] { return v }
        return .undefinedName(name)
    }

    /// Runs `nodes`, attaching `line` to errors that do not carry one yet.
    func execute(_ nodes: [JinjaNode], in scope: JinjaScope) throws(TemplateError) -> JinjaFlow {
        for node in nodes {
            let flow = try execute(node, in: scope)
            if case .normal = flow { continue }
            return flow
        }
        return .normal
    }

    func execute(_ node: JinjaNode, in scope: JinjaScope) throws(TemplateError) -> JinjaFlow {
        try enter()
        defer { depth -= 1 }
        return try executeNode(node, in: scope)
    }

    private func executeNode(_ node: JinjaNode, in scope: JinjaScope) throws(TemplateError) -> JinjaFlow {
        switch node {
        case .text(let s):
            output += s
            try checkStringBytes(output.utf8.count)
        case .output(let expr, let line):
            let value = try withLine(line) { () throws(TemplateError) in try evaluate(expr, in: scope) }
            try appendOutput(value)
        case .ifChain(let branches, let otherwise, let line):
            for (condition, body) in branches {
                let test = try withLine(line) { () throws(TemplateError) in try evaluate(condition, in: scope) }
                if test.isTruthy { return try execute(body, in: scope) }
            }
            return try execute(otherwise, in: scope)
        case .forLoop(let target, let iterable, let filter, let body, let otherwise, let line):
            try withLine(line) { () throws(TemplateError) in
                try executeFor(target: target, iterable: iterable, filter: filter, body: body, otherwise: otherwise, in: scope)
            }
        case .set(let target, let expr, let line):
            try withLine(line) { () throws(TemplateError) in
                try assign(target, try evaluate(expr, in: scope), in: scope)
            }
        case .setBlock(let target, let filters, let body, let line):
            var value = JinjaValue.string(try capture { () throws(TemplateError) in _ = try execute(body, in: scope) })
            try withLine(line) { () throws(TemplateError) in
                for (name, args) in filters {
                    value = try applyFilter(name, to: value, arguments: try evaluateArguments(args, in: scope))
                }
                try assign(target, value, in: scope)
            }
        case .macro(let macro, _):
            scope.vars[macro.name] = makeMacro(macro, scope: scope, caller: nil)
        case .callBlock(let callExpr, let callerMacro, let line):
            let caller = makeMacro(callerMacro, scope: scope, caller: nil)
            guard case .call(let callee, let args) = callExpr else { break }
            try withLine(line) { () throws(TemplateError) in
                let function = try evaluate(callee, in: scope)
                var arguments = try evaluateArguments(args, in: scope)
                arguments.keywords.append((name: "caller", value: caller))
                try appendOutput(try call(function, arguments))
            }
        case .filterBlock(let filters, let body, let line):
            var value = JinjaValue.string(try capture { () throws(TemplateError) in _ = try execute(body, in: scope) })
            try withLine(line) { () throws(TemplateError) in
                for (name, args) in filters {
                    value = try applyFilter(name, to: value, arguments: try evaluateArguments(args, in: scope))
                }
            }
            try appendOutput(value)
        case .with(let assignments, let body, let line):
            let inner = JinjaScope(parent: scope)
            try withLine(line) { () throws(TemplateError) in
                for (target, expr) in assignments {
                    try assign(target, try evaluate(expr, in: scope), in: inner)
                }
            }
            return try execute(body, in: inner)
        case .generation(let body):
            return try execute(body, in: scope)
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    func appendOutput(_ value: JinjaValue) throws(TemplateError) {
        switch value {
        case .string(let s): output += s
        case .undefined: break
        default:
            try chargeDeep(value)
            value.appendRepr(to: &output, namespaces)
        }
        try checkStringBytes(output.utf8.count)
    }

    /// Runs `body` with output redirected, returning what it wrote.
    func capture(_ body: () throws(TemplateError) -> Void) throws(TemplateError) -> String {
        let saved = output
        output = ""
        do {
            try body()
        } catch {
            output = saved
            throw error
        }
        let captured = output
        output = saved
        return captured
    }

    func withLine<T>(_ line: Int, _ body: () throws(TemplateError) -> T) throws(TemplateError) -> T {
        do {
            return try body()
        } catch {
            var e = error
            if e.line == nil { e.line = line }
            throw e
        }
    }

    func executeFor(target: JinjaTarget, iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode], in scope: JinjaScope) throws(TemplateError) {
        var items = try iterate(try evaluate(iterable, in: scope))
        if let filter {
            var kept: [JinjaValue] = []
            for item in items {
                try tick()
                let probe = JinjaScope(parent: scope)
                try assign(target, item, in: probe)
                if try evaluate(filter, in: probe).isTruthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            _ = try execute(otherwise, in: scope)
            return
        }
        // `loop.depth` only grows in recursive loops, which are not supported: always 1.
        var state = LoopState(items: items, index0: 0, depth0: 0)
        for (i, item) in items.enumerated() {
            try tick()
            state.index0 = i
            let inner = JinjaScope(parent: scope)
            try assign(target, item, in: inner)
            inner.vars["loop"] = .object(JinjaObject(kind: .loop(state)))
            if case .breakLoop = try execute(body, in: inner) { break }
        }
    }

    /// Python iteration: lists/tuples by element, dicts by key, strings by character,
    /// Undefined as empty; other values are an error.
    func iterate(_ value: JinjaValue) throws(TemplateError) -> [JinjaValue] {
        switch value {
        case .list(let a), .tuple(let a): return a
        case .dict(let d): return d.keys.map { .string($0) }
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        case .object(let o):
            if case .namespace = o.kind { throw TemplateError(.type, "'Namespace' object is not iterable") }
            throw TemplateError(.type, "'\(o.typeName)' object is not iterable")
        default:
            throw TemplateError(.type, "'\(value.typeName)' object is not iterable")
        }
    }

    func assign(_ target: JinjaTarget, _ value: JinjaValue, in scope: JinjaScope) throws(TemplateError) {
        switch target {
        case .name(let name):
            scope.vars[name] = value
        case .attribute(let name, let attribute):
            guard case .object(let o) = lookup(name, in: scope), case .namespace(let id) = o.kind else {
                throw TemplateError(.runtime, "cannot assign attribute on non-namespace object")
            }
            if attribute.hasPrefix("_") {
                throw TemplateError(.security, "Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(attribute)'. Please rename the attribute.")
            }
            namespaces[id][attribute] = value
        case .tuple(let targets):
            let items = try iterate(value)
            if items.count < targets.count {
                throw TemplateError(.type, "not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            if items.count > targets.count {
                throw TemplateError(.type, "too many values to unpack (expected \(targets.count))")
            }
            for (t, v) in zip(targets, items) { try assign(t, v, in: scope) }
        }
    }

    func makeMacro(_ macro: JinjaMacro, scope: JinjaScope, caller: JinjaValue?) -> JinjaValue {
        let id = macros.count
        macros.append(JinjaMacroClosure(
            macro: macro, scope: scope, caller: caller,
            usesVarargs: JinjaNameScan.references("varargs", in: macro.body),
            usesKwargs: JinjaNameScan.references("kwargs", in: macro.body)))
        return .object(JinjaObject(kind: .macro(id, name: macro.name)))
    }

    /// Calls a macro: binds parameters (missing ones without default are Undefined, as in Jinja).
    func callMacro(_ id: Int, _ arguments: JinjaArguments) throws(TemplateError) -> JinjaValue {
        guard callDepth < limits.maxCallDepth else {
            throw TemplateError(.runtime, "macro calls nested more than \(limits.maxCallDepth) deep (unbounded recursion?)")
        }
        callDepth += 1
        defer { callDepth -= 1 }
        let closure = macros[id]
        let macro = closure.macro
        let scope = JinjaScope(parent: closure.scope)
        var extraPositional: [JinjaValue] = []
        for (i, value) in arguments.positional.enumerated() {
            if i < macro.parameters.count {
                scope.vars[macro.parameters[i].name] = value
            } else {
                extraPositional.append(value)
            }
        }
        var extraKeywords = OrderedMap<JinjaValue>()
        for (name, value) in arguments.keywords {
            if name == "caller" {
                scope.vars["caller"] = value
            } else if macro.parameters.contains(where: { $0.name == name }) {
                scope.vars[name] = value
            } else {
                extraKeywords[name] = value
            }
        }
        if !extraPositional.isEmpty && !closure.usesVarargs {
            throw TemplateError(.type, "macro '\(macro.name)' takes not more than \(macro.parameters.count) argument(s)")
        }
        if let first = extraKeywords.keys.first, !closure.usesKwargs {
            throw TemplateError(.type, "macro '\(macro.name)' takes no keyword argument '\(first)'")
        }
        for param in macro.parameters where scope.vars[param.name] == nil {
            if let defaultExpr = param.defaultValue {
                scope.vars[param.name] = try evaluate(defaultExpr, in: scope)
            } else {
                scope.vars[param.name] = .undefined("parameter '\(param.name)' was not provided")
            }
        }
        scope.vars["varargs"] = .tuple(extraPositional)
        scope.vars["kwargs"] = .dict(extraKeywords)
        if let caller = closure.caller, scope.vars["caller"] == nil { scope.vars["caller"] = caller }
        let text = try capture { () throws(TemplateError) in _ = try execute(macro.body, in: scope) }
        return .string(text)
    }
}
