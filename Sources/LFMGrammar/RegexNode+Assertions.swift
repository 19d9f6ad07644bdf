/// Zero-width assertions of a pattern's top-level sequence: lookaheads and word boundaries.
extension RegexNode {
    /// True for a lookahead or a word boundary.
    var isAssertion: Bool {
        switch self {
        case .lookahead, .wordBoundary: true
        default: false
        }
    }

    /// Whether the empty string matches.
    var nullable: Bool {
        switch self {
        case .chars: false
        case .seq(let xs): xs.allSatisfy(\.nullable)
        case .alt(let xs): xs.contains(where: \.nullable)
        case .rep(let x, let lo, _): lo == 0 || x.nullable
        case .start, .end, .lookahead, .wordBoundary: true
        }
    }

    /// The strings of `self` whose last character is in `cls` (nil when there are none).
    /// Assertions are not expected inside.
    func ending(in cls: UnicodeClass) -> RegexNode? {
        switch self {
        case .chars(let c):
            let x = c.intersection(cls)
            return x.isEmpty ? nil : .chars(x)
        case .seq(let xs):
            var alts: [RegexNode] = []
            for i in xs.indices.reversed() {
                if let e = xs[i].ending(in: cls) { alts.append(.seq(Array(xs[..<i]) + [e])) }
                if !xs[i].nullable { break }
            }
            return Self.union(alts)
        case .alt(let xs): return Self.union(xs.compactMap { $0.ending(in: cls) })
        case .rep(let x, let lo, let hi):
            guard hi != 0, let e = x.ending(in: cls) else { return nil }
            return .seq([.rep(x, min: max(lo - 1, 0), max: hi.map { $0 - 1 }), e])
        case .start, .end, .lookahead, .wordBoundary: return nil
        }
    }

    /// The strings of `self` whose first character is in `cls` (nil when there are none).
    func starting(in cls: UnicodeClass) -> RegexNode? {
        switch self {
        case .chars(let c):
            let x = c.intersection(cls)
            return x.isEmpty ? nil : .chars(x)
        case .seq(let xs):
            var alts: [RegexNode] = []
            for i in xs.indices {
                if let s = xs[i].starting(in: cls) { alts.append(.seq([s] + Array(xs[(i + 1)...]))) }
                if !xs[i].nullable { break }
            }
            return Self.union(alts)
        case .alt(let xs): return Self.union(xs.compactMap { $0.starting(in: cls) })
        case .rep(let x, let lo, let hi):
            guard hi != 0, let s = x.starting(in: cls) else { return nil }
            return .seq([s, .rep(x, min: max(lo - 1, 0), max: hi.map { $0 - 1 })])
        case .start, .end, .lookahead, .wordBoundary: return nil
        }
    }

    static func union(_ xs: [RegexNode]) -> RegexNode? { xs.isEmpty ? nil : xs.count == 1 ? xs[0] : .alt(xs) }

    /// `items` of a branch, with any text before them when `searchStart` and after them when
    /// `searchEnd` (otherwise they start / end the text). Assertions among the items:
    /// - a word boundary pairs the text before it that ends in a word character (or not, or is
    ///   empty) with the text after it that starts with a non-word one (or a word one): the
    ///   two sides are restricted by their last / first character, without automata, when no
    ///   other assertion is on either side; otherwise through byte automata;
    /// - a lookahead constrains everything after it, up to the end of the text: that part is
    ///   built as a byte automaton and intersected with the automaton of "a match of the group,
    ///   then anything" (or with its complement for `(?!…)`); a `^` leading one of the group's
    ///   branches holds where the lookahead starts the text.
    static func sequence(_ items: ArraySlice<RegexNode>, searchStart: Bool, searchEnd: Bool,
                         render: (UnicodeClass) -> GrammarExpr, any: UnicodeClass) throws(GrammarError) -> GrammarExpr {
        let anyNode = RegexNode.rep(.chars(any), min: 0, max: nil)
        func exprs(_ xs: [RegexNode]) throws(GrammarError) -> [GrammarExpr] { try xs.map { x throws(GrammarError) in try x.expr(render) } }
        func dfa(_ e: GrammarExpr) throws(GrammarError) -> ByteDFA {
            guard let d = try ByteDFA.from(e) else { throw GrammarError("regex: the text around a lookahead or \\b must not contain rule calls") }
            return d
        }
        let before = (searchStart ? [anyNode] : []) + Array(items.prefix { !$0.isAssertion })
        guard let k = items.firstIndex(where: \.isAssertion) else {
            let e = try exprs(before + (searchEnd ? [anyNode] : []))
            return e.count == 1 ? e[0] : .seq(e)
        }
        let after = Array(items[(k + 1)...])
        if case .wordBoundary(let negated) = items[k] {
            let word = RegexParser.word, other = RegexParser.word.complement
            if !after.contains(where: \.isAssertion) {
                // Restricted by the characters next to the boundary.
                let p = RegexNode.seq(before), r = RegexNode.seq(after + (searchEnd ? [anyNode] : []))
                let pw = p.ending(in: word), rw = r.starting(in: word)
                let pn = union([p.ending(in: other), p.nullable ? .seq([]) : nil].compactMap { $0 })
                let rn = union([r.starting(in: other), r.nullable ? .seq([]) : nil].compactMap { $0 })
                let pairs = negated ? [(pw, rw), (pn, rn)] : [(pw, rn), (pn, rw)]
                var alts: [GrammarExpr] = []
                for case let (a?, b?) in pairs { alts.append(.seq([try a.expr(render), try b.expr(render)])) }
                return alts.isEmpty ? .nothing : alts.count == 1 ? alts[0] : .alt(alts)
            }
            let anyStar = GrammarExpr.star(render(any))
            let head = try dfa(before.isEmpty ? .empty : .seq(try exprs(before)))
            let tail = try dfa(try sequence(after[...], searchStart: false, searchEnd: searchEnd, render: render, any: any))
            let endsWord = try head.intersection(try dfa(.seq([anyStar, render(word)])))
            let endsOther = try head.intersection(try dfa(.alt([.empty, .seq([anyStar, render(other)])])))
            let startsWord = try tail.intersection(try dfa(.seq([render(word), anyStar])))
            let startsOther = try tail.intersection(try dfa(.alt([.empty, .seq([render(other), anyStar])])))
            let pairs = negated ? [(endsWord, startsWord), (endsOther, startsOther)] : [(endsWord, startsOther), (endsOther, startsWord)]
            let alts = pairs.filter { !$0.0.isEmpty && !$0.1.isEmpty }.map { GrammarExpr.seq([$0.0.expr, $0.1.expr]) }
            return alts.isEmpty ? .nothing : alts.count == 1 ? alts[0] : .alt(alts)
        }
        guard case .lookahead(let group, let negative) = items[k] else { return .nothing }
        let atStart = before.isEmpty
        let groupBranches: [RegexNode]
        if case .alt(let xs) = group { groupBranches = xs } else { groupBranches = [group] }
        var looks: [GrammarExpr] = []
        for b in groupBranches {
            var inner = b.sequenceItems
            if case .start? = inner.first {
                guard atStart else { throw GrammarError("regex: ^ inside a lookahead is only supported where the lookahead starts the text") }
                inner.removeFirst()
            }
            var ends = false
            if case .end? = inner.last { ends = true; inner.removeLast() }
            looks.append(try sequence(inner[...], searchStart: false, searchEnd: !ends, render: render, any: any))
        }
        var lookDFA = try dfa(looks.count == 1 ? looks[0] : .alt(looks))
        if negative { lookDFA = lookDFA.complement() }
        let rest = try sequence(after[...], searchStart: false, searchEnd: searchEnd, render: render, any: any)
        return .seq(try exprs(before) + [try dfa(rest).intersection(lookDFA).expr])
    }
}
