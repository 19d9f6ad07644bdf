extension Grammar {
    /// A grammar matching what any of `grammars` matches (their rules side by side, renumbered,
    /// under a new start rule). Used when an answer may take one of several forms, e.g. a tool
    /// call or a JSON answer.
    /// - Precondition: `grammars` is not empty.
    public static func union(_ grammars: [Grammar], name: String = "union") -> Grammar {
        var out = Grammar()
        var starts: [GrammarExpr] = []
        for g in grammars {
            let offset = out.rules.count
            out.rules += g.rules.map { $0.renumbered(by: offset) }
            out.names += g.names
            out.noInline.formUnion(g.noInline.map { $0 + offset })
            for (r, tag) in g.builtin { out.builtin[r + offset] = tag }
            starts.append(.ref(g.start + offset))
        }
        out.start = out.add(name, starts.count == 1 ? starts[0] : .alt(starts))
        return out
    }
}

extension GrammarExpr {
    /// The expression with every rule call `n` replaced by `n + offset`.
    func renumbered(by offset: Int) -> GrammarExpr {
        guard offset != 0 else { return self }
        switch self {
        case .empty, .bytes, .token, .automaton: return self
        case .ref(let n): return .ref(n + offset)
        case .seq(let xs): return .seq(xs.map { $0.renumbered(by: offset) })
        case .alt(let xs): return .alt(xs.map { $0.renumbered(by: offset) })
        case .rep(let e, let lo, let hi): return .rep(e.renumbered(by: offset), min: lo, max: hi)
        case .members(let xs, let optional, let extra, let sep):
            return .members(xs.map { $0.renumbered(by: offset) }, optional: optional, extra: extra?.renumbered(by: offset),
                            separator: sep.renumbered(by: offset))
        }
    }
}
