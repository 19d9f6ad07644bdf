/// Finds whether a template fragment reads a given variable name. Jinja only gives a macro
/// `varargs`/`kwargs` when its body mentions them; otherwise extra arguments are an error.
enum JinjaNameScan {
    static func references(_ name: String, in nodes: [JinjaNode]) -> Bool {
        nodes.contains { references(name, in: $0) }
    }

    static func references(_ name: String, in node: JinjaNode) -> Bool {
        switch node {
        case .text, .breakLoop, .continueLoop: return false
        case .output(let e, _), .set(_, let e, _): return references(name, in: e)
        case .ifChain(let branches, let otherwise, _):
            return branches.contains { references(name, in: $0.0) || references(name, in: $0.1) } || references(name, in: otherwise)
        case .forLoop(_, let iterable, let filter, let body, let otherwise, _):
            return references(name, in: iterable) || (filter.map { references(name, in: $0) } ?? false)
                || references(name, in: body) || references(name, in: otherwise)
        case .setBlock(_, let filters, let body, _), .filterBlock(let filters, let body, _):
            return filters.contains { references(name, in: $0.1) } || references(name, in: body)
        case .macro: return false
        case .callBlock(let call, let caller, _): return references(name, in: call) || references(name, in: caller.body)
        case .with(let assignments, let body, _):
            return assignments.contains { references(name, in: $0.1) } || references(name, in: body)
        case .generation(let body): return references(name, in: body)
        }
    }

    static func references(_ name: String, in args: [JinjaArgument]) -> Bool {
        args.contains { arg in
            switch arg {
            case .positional(let e), .keyword(_, let e), .star(let e), .doubleStar(let e): return references(name, in: e)
            }
        }
    }

    static func references(_ name: String, in expr: JinjaExpr) -> Bool {
        switch expr {
        case .literal: return false
        case .name(let n): return n == name
        case .list(let items), .tuple(let items): return items.contains { references(name, in: $0) }
        case .dict(let pairs): return pairs.contains { references(name, in: $0.0) || references(name, in: $0.1) }
        case .attribute(let e, _), .unary(_, let e): return references(name, in: e)
        case .item(let a, let b), .binary(_, let a, let b): return references(name, in: a) || references(name, in: b)
        case .slice(let e, let a, let b, let c):
            return references(name, in: e) || [a, b, c].contains { $0.map { references(name, in: $0) } ?? false }
        case .call(let e, let args), .filter(let e, _, let args, _), .test(let e, _, let args, _, _):
            return references(name, in: e) || references(name, in: args)
        case .compare(let e, let ops): return references(name, in: e) || ops.contains { references(name, in: $0.1) }
        case .conditional(let c, let t, let o):
            return references(name, in: c) || references(name, in: t) || (o.map { references(name, in: $0) } ?? false)
        }
    }
}
