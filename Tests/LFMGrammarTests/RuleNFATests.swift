@testable import LFMGrammar
import OrderedJSON
import Testing

/// Per-rule NFAs (`RuleNFA`), the lazy subset construction (`LazyRuleDFA`, `Automaton`), the
/// process-wide cache of built-in rules and the byte class partition (`ByteClasses`).
@Suite struct RuleNFATests {
    static let schemas: [String] = [
        #"{"type": "string"}"#,
        #"{}"#,
        #"{"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]}"#,
        #"{"properties": {"name": {"type": "string", "maxLength": 80}, "tags": {"type": "array", "items": {"type": "string"}}}}"#,
        #"{"type": "array", "items": {"anyOf": [{"type": "number"}, {"type": "object"}]}}"#,
    ]

    static func grammar(_ schema: String) throws -> Grammar {
        try GrammarCompiler.grammar(for: .jsonSchema(try JSONValue.parse(schema), strict: false))
    }

    /// Every state of the automaton (all built first), for exact comparison.
    static func dump(_ a: Automaton) -> [String] {
        let n = a.buildAll()
        var out: [String] = ["states \(n) classes \(a.classCount) start \(a.start)"]
        out.append((0..<256).map { String(a.classOf[$0]) }.joined(separator: ","))
        for s in 0..<n {
            let row = (0..<a.classCount).map { String(a.trans[s * a.classCount + $0]) }.joined(separator: ",")
            let calls = a.calls(Int32(s)).map { "\($0.callee)>\($0.ret)" }
            let tokens = a.tokens(Int32(s)).map { "\($0.token)>\($0.target)" }
            let shared = a.sharedKey(Int32(s)).map { "\($0.subset)" } ?? "-"
            let loop = (0..<4).map { String(a.selfLoop[s * 4 + $0], radix: 16) }.joined(separator: ":")
            let few = (0..<4).map { String(a.readableBytes[s * 4 + $0]) }.joined(separator: ",")
            out.append("\(s) f\(a.flags[s]) r\(a.rule(of: Int32(s)).index) [\(row)] \(calls) \(tokens) \(shared) n\(a.readableCount[s]) \(few) \(loop)")
        }
        return out
    }

    @Test(arguments: schemas)
    func cachedBuiltinRulesGiveTheSameAutomaton(_ schema: String) throws {
        let g = try Self.grammar(schema)
        var fresh = g
        fresh.builtin = [:]  // nothing from the cache: every rule's DFA is this grammar's own
        let first = try AutomatonBuilder().build(g)
        let again = try AutomatonBuilder().build(g)  // built-in rules' DFAs now come from the cache
        let uncached = try AutomatonBuilder().build(fresh)
        #expect(Self.dump(again) == Self.dump(uncached))
        #expect(Self.dump(first) == Self.dump(uncached))
    }

    @Test func builtinRulesAreCachedByTag() throws {
        let g = try Self.grammar(#"{"type": "object", "properties": {"x": {"type": "string"}}}"#)
        _ = try AutomatonBuilder().build(g)
        let string = try #require(g.names.firstIndex(of: "json_string"))
        #expect(g.builtin[string] == "json_string")
        var refs: [Int] = []
        let canonical = RuleNFA.canonical(g.rules[string], &refs)
        let entry = try #require(RuleNFA.cached(RuleNFA.Key(tag: "json_string", lexeme: true, calls: 0)))
        #expect(entry.expr == canonical)
        // A rebuilt NFA of the same rule equals the cached one.
        let rebuilt = try RuleNFA(canonical, mayBeLexeme: true, nfaLimit: 1 << 30)
        let hit = entry.nfa
        #expect(hit.edgeStart == rebuilt.edgeStart && hit.edgeKind == rebuilt.edgeKind && hit.edgeArg == rebuilt.edgeArg)
        #expect(hit.edgeTarget == rebuilt.edgeTarget && hit.epsStart == rebuilt.epsStart && hit.epsTarget == rebuilt.epsTarget)
        #expect(hit.classOf == rebuilt.classOf && hit.exprHash == rebuilt.exprHash && hit.end == rebuilt.end && rebuilt.lexeme)
        // Schema-specific rules (object members, key lexemes) are never marked built-in.
        #expect(g.builtin[g.start] == nil)
        // The shared DFA's states, once a grammar built them, count towards the cache's bound.
        _ = try AutomatonBuilder().build(g).buildAll()
        #expect(entry.dfa.cells >= entry.nfa.classCount)
    }

    /// The per-state byte facts (copied from each rule's own DFA, recounted for states that lost
    /// transitions past the capacity) agree with the state's row.
    @Test(arguments: schemas.map { GrammarSpec.jsonSchema(try! JSONValue.parse($0), strict: false) } + [
        .gbnf(#"root ::= "ab" | "ac" bad | "z"+ "!""# + "\n" + #"bad ::= "x" bad"#),
        .regex("(ab|cd)*e{2,3}"),
        .jsonObject,
    ])
    func byteFactsMatchTheRows(_ spec: GrammarSpec) throws {
        let a = try AutomatonBuilder().build(try GrammarCompiler.grammar(for: spec))
        try Self.checkFacts(a, a.buildAll())
    }

    static func checkFacts(_ a: Automaton, _ n: Int) throws {
        for s in 0..<n {
            var bytes: [UInt8] = []
            var loop: [UInt64] = [0, 0, 0, 0]
            for b in 0..<256 {
                let t = a.step(Int32(s), UInt8(b))
                if t < 0 { continue }
                bytes.append(UInt8(b))
                if t == Int32(s) { loop[b >> 6] |= UInt64(1) << UInt64(b & 63) }
            }
            #expect(Int(a.readableCount[s]) == min(bytes.count, 255), "state \(s)")
            #expect((0..<4).map { a.selfLoop[s * 4 + $0] } == loop, "state \(s)")
            #expect((a.flags[s] & Automaton.hasBytes != 0) == !bytes.isEmpty, "state \(s)")
            if bytes.count <= 4 {
                #expect((0..<bytes.count).map { a.readableBytes[s * 4 + $0] } == bytes, "state \(s)")
            }
        }
    }

    /// Compiling builds only the rules' start states; a matcher builds the states it enters,
    /// and answers as a fully built automaton does.
    @Test func statesAreBuiltWhenEntered() throws {
        let spec = schema(#"{"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}, "tags": {"type": "array", "items": {"enum": ["a", "bb"]}}}, "required": ["name"]}"#)
        let g = try GrammarCompiler(vocabulary: ToyVocab.vocabulary).compile(spec)
        let starts = g.automaton.ruleStart.count
        #expect(g.automaton.stateCount == starts)
        #expect(g.automaton.ruleStart.allSatisfy { !g.automaton.isBuilt($0) })
        var m = g.makeMatcher()
        for t in ToyVocab.tokenize(#"{"name": "x"}"#) { let ok = m.accept(t); #expect(ok) }
        #expect(m.canTerminate)
        let afterOne = g.automaton.stateCount
        #expect(afterOne > starts)
        let all = GrammarCompiler(vocabulary: ToyVocab.vocabulary)
        let full = try all.compile(spec)
        let total = full.automaton.buildAll()
        #expect(total > afterOne)
        for text in [#"{"name": "x", "tags": ["a", "bb"]}"#, #"{"tags": []}"#, #"{"name": "0123456789abc"}"#, #"{"name": "y","tags":["bb"]}"#] {
            var lazy = g.makeMatcher(), built = full.makeMatcher()
            var okLazy = true, okBuilt = true
            var maskLazy: [UInt64] = [], maskBuilt: [UInt64] = []
            for t in ToyVocab.tokenize(text) {
                lazy.fillMask(into: &maskLazy); built.fillMask(into: &maskBuilt)
                #expect(maskLazy == maskBuilt, "\(text)")
                okLazy = okLazy && lazy.accept(t); okBuilt = okBuilt && built.accept(t)
            }
            #expect(okLazy == okBuilt && lazy.canTerminate == built.canTerminate, "\(text)")
        }
    }

    /// Matchers on several threads build the states of one grammar at once: every mask equals
    /// the one a single thread computes on a fresh compile.
    @Test func concurrentWalksBuildStatesSafely() async throws {
        let spec = schema(#"{"type": "object", "properties": {"id": {"type": "integer", "minimum": 0}, "kind": {"enum": ["alpha", "beta", "gamma"]}, "note": {"type": "string", "maxLength": 40}, "items": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "string"}, "v": {"type": "number"}}}}}}"#)
        let texts = [#"{"id": 12, "kind": "beta", "note": "hello there"}"#, #"{"items": [{"k": "a", "v": 1.5}, {"v": -2}], "id": 0}"#,
                     #"{"kind": "gamma", "items": []}"#, #"{"note": "", "id": 7, "items": [{"k": "zz"}]}"#]
        func masks(_ g: CompiledGrammar, _ text: String) -> [[UInt64]] {
            var m = g.makeMatcher()
            var out: [[UInt64]] = []
            var mask: [UInt64] = []
            for t in ToyVocab.tokenize(text) {
                m.fillMask(into: &mask)
                out.append(mask)
                if !m.accept(t) { break }
            }
            return out
        }
        let reference = try GrammarCompiler(vocabulary: ToyVocab.vocabulary).compile(spec)
        let expected = texts.map { masks(reference, $0) }
        for _ in 0..<4 {
            let shared = try GrammarCompiler(vocabulary: ToyVocab.vocabulary).compile(spec)
            let results = await withTaskGroup(of: (Int, [[UInt64]]).self) { group in
                for k in 0..<8 { group.addTask { (k % texts.count, masks(shared, texts[k % texts.count])) } }
                var r: [(Int, [[UInt64]])] = []
                for await x in group { r.append(x) }
                return r
            }
            for (k, got) in results { #expect(got == expected[k], "text \(k)") }
        }
    }

    /// `size(upTo:)` is `size` when that is within the limit and above the limit otherwise.
    @Test func boundedSizeAgreesWithSize() throws {
        var exprs: [GrammarExpr] = [
            .rep(.literal("abc"), min: 2, max: 5),
            .members([.literal("ab"), .ref(1)], optional: [true, false], extra: .literal("x"), separator: .literal(",")),
            .seq([.rep(.alt([.literal("a"), .literal("bc")]), min: 0, max: nil), .members([], optional: [], extra: nil, separator: .empty)]),
        ]
        for schema in Self.schemas + [#"{"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}, "maxItems": 3}}}"#] {
            exprs += try Self.grammar(schema).rules
        }
        for e in exprs {
            let size = e.size
            for limit in [0, 1, 2, 3, 5, 8, 13, size - 1, size, size + 1, 400, 4_000] where limit >= 0 {
                let bounded = e.size(upTo: limit)
                if size <= limit { #expect(bounded == size, "\(e) limit \(limit)") } else { #expect(bounded > limit, "\(e) limit \(limit)") }
            }
        }
    }

    @Test func canonicalRenumbersCallsByFirstAppearance() {
        var refs: [Int] = []
        let e = GrammarExpr.seq([.ref(7), .alt([.ref(3), .ref(7)]), .rep(.ref(12), min: 0, max: nil)])
        let c = RuleNFA.canonical(e, &refs)
        #expect(refs == [7, 3, 12])
        #expect(c == .seq([.ref(0), .alt([.ref(1), .ref(0)]), .rep(.ref(2), min: 0, max: nil)]))
    }

    /// Rules of one name (copies made from one place of a schema) whose bodies are equal after
    /// inlining are one rule of the automaton (one NFA, one set of states); the grammar still
    /// reads what both copies read. A rule of another name is not compared.
    @Test func equalRulesAreOneRule() throws {
        var g = Grammar()
        let body = GrammarExpr.seq([.literal("<"), .rep(.byteRange(0x61...0x7A), min: 1, max: nil), .literal(">")])
        let a = g.add("member", body), b = g.add("member", body), c = g.add("other", body)
        let d = g.add("member", .literal("!"))
        g.noInline = [a, b, c, d]
        g.start = g.add("root", .seq([.ref(a), .literal(","), .ref(b), .ref(c), .ref(d)]))
        let automaton = try AutomatonBuilder().build(g)
        #expect(automaton.ruleStart.count == 4)  // root, member a (= b), other, member d
        let compiled = CompiledGrammar(automaton: automaton, vocabulary: ToyVocab.vocabulary)
        var m = compiled.makeMatcher()
        for t in ToyVocab.tokenize("<ab>,<c><d>!") { let ok = m.accept(t); #expect(ok) }
        #expect(m.canTerminate)
        var bad = compiled.makeMatcher()
        let tokens = ToyVocab.tokenize("<ab>,<><d>!")
        var accepted = true
        for t in tokens where accepted { accepted = bad.accept(t) }
        #expect(!(accepted && bad.canTerminate))
    }

    /// A grammar builds at most its capacity of states: transitions to states past it are left
    /// out (and the byte facts agree with the shorter rows); the built-in rules' shared DFAs are
    /// not affected.
    @Test func capacityBoundsTheStatesBuilt() throws {
        let g = try Self.grammar(#"{"type": "object", "properties": {"alpha": {"type": "string"}, "beta": {"type": "integer"}}}"#)
        var tight = AutomatonBuilder()
        tight.limits.maxDFAStates = 12
        let a = try tight.build(g)
        let n = a.buildAll()
        #expect(n == 12)
        try Self.checkFacts(a, n)
        for s in 0..<n {
            for k in 0..<a.classCount { #expect(a.trans[s * a.classCount + k] < 12) }
        }
        // A full build of the same grammar afterwards is complete.
        let full = try AutomatonBuilder().build(g)
        #expect(full.buildAll() > 12)
    }

    // MARK: byte classes

    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func randomSets(_ rng: inout SplitMix, count: Int) -> [ByteSet] {
        (0..<count).map { _ in
            switch rng.next() % 6 {
            case 0: return ByteSet(bytes: [UInt8(truncatingIfNeeded: rng.next())])
            case 1:
                let a = UInt8(truncatingIfNeeded: rng.next()), b = UInt8(truncatingIfNeeded: rng.next())
                return ByteSet(min(a, b)...max(a, b))
            case 2:
                var s = ByteSet()
                s.words = (rng.next() & rng.next(), rng.next() & rng.next(), rng.next() & rng.next(), rng.next() & rng.next())
                return s
            case 3:
                // Dense sets (more than half the bytes: read by their complement).
                var s = ByteSet()
                s.words = (rng.next() | rng.next(), rng.next() | rng.next(), rng.next() | rng.next(), rng.next() | rng.next())
                return s
            case 4:
                // All bytes but a few, like a string character class.
                var s = ByteSet(0...255)
                for _ in 0..<3 { s.remove(UInt8(truncatingIfNeeded: rng.next())) }
                return s
            default: return ByteSet(bytes: (0..<3).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            }
        }
    }

    @Test func partitionIsTheCoarsestOneEverySetIsAUnionOf() {
        var rng = SplitMix(state: 15)
        for round in 0..<40 {
            let sets = Self.randomSets(&rng, count: round % 13 + 1)
            let (classOf, count) = ByteClasses.partition(sets)
            // Same class ⇔ no set tells the bytes apart.
            for a in 0..<256 {
                for b in (a + 1)..<256 {
                    let apart = sets.contains { $0.contains(UInt8(a)) != $0.contains(UInt8(b)) }
                    #expect((classOf[a] != classOf[b]) == apart)
                    if (classOf[a] != classOf[b]) != apart { return }
                }
            }
            // Numbered by smallest byte.
            var next = 0
            for b in 0..<256 where Int(classOf[b]) >= next {
                #expect(Int(classOf[b]) == next)
                next += 1
            }
            #expect(next == count)
            for s in sets {
                let expected = Array(Set((0..<256).filter { s.contains(UInt8($0)) }.map { Int(classOf[$0]) })).sorted()
                #expect(ByteClasses.classes(of: s, classOf) == expected)
                #expect(ByteClasses.classes(of: s, classOf, classCount: count) == expected)
            }
        }
    }

    @Test func refinementOfPartitionsIsThePartitionOfAllSets() {
        var rng = SplitMix(state: 42)
        for _ in 0..<40 {
            let a = Self.randomSets(&rng, count: 5), b = Self.randomSets(&rng, count: 7), c = Self.randomSets(&rng, count: 2)
            let parts = [a, b, c].map { ByteClasses.partition($0).classOf }
            let refined = ByteClasses.refine(parts)
            let whole = ByteClasses.partition(a + b + c)
            #expect(refined.classOf == whole.classOf && refined.count == whole.count)
        }
    }
}
