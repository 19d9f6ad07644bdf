/// A parsed regular expression over Unicode scalars.
indirect enum RegexNode: Sendable {
    case chars(UnicodeClass)
    case seq([RegexNode])
    case alt([RegexNode])
    case rep(RegexNode, min: Int, max: Int?)
    case start, end
    /// `(?=…)` (or `(?!…)` when `negative`): the text after this point starts (does not start)
    /// with a match of the group.
    case lookahead(RegexNode, negative: Bool)
    /// `\b` (or `\B` when `negated`): exactly one (or none or both) of the characters around this
    /// point is a word character `[A-Za-z0-9_]` (the text's ends count as non-word).
    case wordBoundary(negated: Bool)

    /// Converts to a grammar expression, each character class rendered by `render`.
    func expr(_ render: (UnicodeClass) -> GrammarExpr) throws(GrammarError) -> GrammarExpr {
        switch self {
        case .chars(let c): return render(c)
        case .seq(let xs): return .seq(try xs.map { x throws(GrammarError) in try x.expr(render) })
        case .alt(let xs): return .alt(try xs.map { x throws(GrammarError) in try x.expr(render) })
        case .rep(let x, let lo, let hi): return .rep(try x.expr(render), min: lo, max: hi)
        case .start, .end: throw GrammarError("regex: anchors ^ and $ are only supported at the start and end of the pattern")
        case .lookahead:
            throw GrammarError("regex: lookahead is only supported in the pattern's top-level sequence (not inside a repetition or an alternative)")
        case .wordBoundary:
            throw GrammarError("regex: \\b and \\B are only supported in the pattern's top-level sequence (not inside a repetition or an alternative)")
        }
    }

    /// The expression matching the whole text (leading `^` / trailing `$` allowed and ignored).
    func utf8Expr(anchoredWhole: Bool) throws(GrammarError) -> GrammarExpr {
        try anchoredExpr(render: { $0.utf8Expr }, search: !anchoredWhole, any: .any)
    }

    /// With `search`, an unanchored side may have any text (JSON Schema `pattern` semantics);
    /// otherwise anchors are optional and the pattern must match the whole text.
    func anchoredExpr(render: (UnicodeClass) -> GrammarExpr, search: Bool, any: UnicodeClass) throws(GrammarError) -> GrammarExpr {
        let branches: [RegexNode]
        if case .alt(let xs) = self { branches = xs } else { branches = [self] }
        var out: [GrammarExpr] = []
        for b in branches {
            var items = b.sequenceItems
            var startAnchored = false, endAnchored = false
            if case .start? = items.first { startAnchored = true; items.removeFirst() }
            if case .end? = items.last { endAnchored = true; items.removeLast() }
            out.append(try Self.sequence(items[...], searchStart: search && !startAnchored, searchEnd: search && !endAnchored,
                                         render: render, any: any))
        }
        return out.count == 1 ? out[0] : .alt(out)
    }

    /// The items of a sequence with nested (unrepeated) groups spliced in.
    var sequenceItems: [RegexNode] {
        guard case .seq(let xs) = self else { return [self] }
        return xs.flatMap(\.sequenceItems)
    }
}
