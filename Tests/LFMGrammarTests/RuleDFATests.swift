@testable import LFMGrammar
import OrderedJSON
import Testing

/// Per-rule determinisation (`RuleDFA`), the process-wide cache of built-in rules and the byte
/// class partition (`ByteClasses`).
@Suite struct RuleDFATests {
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

    /// Every array of the automaton, for exact comparison.
    static func dump(_ a: Automaton) -> [String] {
        var out: [String] = ["states \(a.stateCount) classes \(a.classCount) start \(a.start)"]
        out.append((0..<256).map { String(a.classOf[$0]) }.joined(separator: ","))
        for s in 0..<a.stateCount {
            let row = (0..<a.classCount).map { String(a.trans[s * a.classCount + $0]) }.joined(separator: ",")
            let calls = a.callEdges[Int(a.callStart[s])..<Int(a.callStart[s + 1])].map { "\($0.callee)>\($0.ret)" }
            let tokens = a.tokenEdges[Int(a.tokenStart[s])..<Int(a.tokenStart[s + 1])].map { "\($0.token)>\($0.target)" }
            let shared = a.sharedKeys[s].map { "\($0.subset)" } ?? "-"
            let loop = (0..<4).map { String(a.selfLoop[s * 4 + $0], radix: 16) }.joined(separator: ":")
            let few = (0..<4).map { String(a.readableBytes[s * 4 + $0]) }.joined(separator: ",")
            out.append("\(s) f\(a.flags[s]) r\(a.ruleOf[s]) [\(row)] \(calls) \(tokens) \(shared) n\(a.readableCount[s]) \(few) \(loop)")
        }
        return out
    }

    @Test(arguments: schemas)
    func cachedBuiltinRulesGiveTheSameAutomaton(_ schema: String) throws {
        let g = try Self.grammar(schema)
        var fresh = g
        fresh.builtin = [:]  // nothing from the cache: every rule determinised here
        let first = try AutomatonBuilder().build(g)
        let again = try AutomatonBuilder().build(g)  // built-in rules now come from the cache
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
        let canonical = RuleDFA.canonical(g.rules[string], &refs)
        let entry = try #require(RuleDFA.cached(RuleDFA.Key(tag: "json_string", lexeme: true, calls: 0)))
        #expect(entry.expr == canonical)
        let hit = entry.dfa
        let key = (expr: canonical, lexeme: true)
        // A rebuilt DFA of the same rule equals the cached one.
        let rebuilt = try RuleDFA(key.expr, lexeme: true, nfaLimit: 1 << 30, workLimit: 1 << 30, stateLimit: 1 << 30, name: "json_string")
        #expect(hit.trans == rebuilt.trans && hit.accepting == rebuilt.accepting && hit.subsets == rebuilt.subsets)
        #expect(hit.classOf == rebuilt.classOf && hit.exprHash == rebuilt.exprHash)
        #expect(hit.readable == rebuilt.readable && hit.selfLoop == rebuilt.selfLoop && hit.fewBytes == rebuilt.fewBytes)
        // Schema-specific rules (object members, key lexemes) are never marked built-in.
        #expect(g.builtin[g.start] == nil)
    }

    /// The per-state byte facts (copied from each rule's own DFA, recounted for states that lost
    /// transitions to dead states) agree with the state's row of the final table.
    @Test(arguments: schemas.map { GrammarSpec.jsonSchema(try! JSONValue.parse($0), strict: false) } + [
        .gbnf(#"root ::= "ab" | "ac" bad | "z"+ "!""# + "\n" + #"bad ::= "x" bad"#),
        .regex("(ab|cd)*e{2,3}"),
        .jsonObject,
    ])
    func byteFactsMatchTheRows(_ spec: GrammarSpec) throws {
        let a = try AutomatonBuilder().build(try GrammarCompiler.grammar(for: spec))
        for s in 0..<a.stateCount {
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
        let c = RuleDFA.canonical(e, &refs)
        #expect(refs == [7, 3, 12])
        #expect(c == .seq([.ref(0), .alt([.ref(1), .ref(0)]), .rep(.ref(2), min: 0, max: nil)]))
    }

    @Test func cachedRuleStillChecksTheLimits() throws {
        // Any JSON value: a tiny start rule, then the built-in value / string / whitespace rules.
        let g = try Self.grammar("true")
        _ = try AutomatonBuilder().build(g)  // fills the cache
        var tight = AutomatonBuilder()
        tight.limits.maxDFAStates = 10
        #expect(throws: GrammarError.self) { try tight.build(g) }
        var fresh = g
        fresh.builtin = [:]
        var e1 = "", e2 = ""
        do { _ = try tight.build(g) } catch { e1 = error.message }
        do { _ = try tight.build(fresh) } catch { e2 = error.message }
        #expect(e1 == e2 && e1.contains("more than 10 automaton states (rule json_"), "\(e1) / \(e2)")
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
            switch rng.next() % 4 {
            case 0: return ByteSet(bytes: [UInt8(truncatingIfNeeded: rng.next())])
            case 1:
                let a = UInt8(truncatingIfNeeded: rng.next()), b = UInt8(truncatingIfNeeded: rng.next())
                return ByteSet(min(a, b)...max(a, b))
            case 2:
                var s = ByteSet()
                s.words = (rng.next() & rng.next(), rng.next() & rng.next(), rng.next() & rng.next(), rng.next() & rng.next())
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
                let cs = ByteClasses.classes(of: s, classOf)
                #expect(cs == Array(Set((0..<256).filter { s.contains(UInt8($0)) }.map { Int(classOf[$0]) })).sorted())
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
