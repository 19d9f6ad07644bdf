import LFMGrammar
import Testing
@testable import LFMRuntime

/// The per-sequence constraint state machine on a toy vocabulary whose tokens spell think
/// tags in pieces: which tokens each phase allows, and how sampled tokens move it on.
@Suite struct ConstraintStateTests {
    // 0 "<", 1 "think", 2 ">", 3 "</", 4 ">\n", 5 "{", 6 "}", 7 "a", 8 "<think>", 9 "</think>x",
    // 10 <eos> (special), 11 [TC] (special), 12 [/TC] (special), 13 " "
    static let texts = ["<", "think", ">", "</", ">\n", "{", "}", "a", "<think>", "</think>x", "<eos>", "[TC]", "[/TC]", " "]
    static let specials: Set<Int> = [10, 11, 12]
    static let vocabulary = TokenVocabulary(tokenBytes: texts.map { Array($0.utf8) }, specialIDs: specials, eosIDs: [10])
    static let tags = TagTokens(tokenBytes: texts.map { Array($0.utf8) }, isSpecial: { specials.contains($0) })
    static let compiler = GrammarCompiler(vocabulary: vocabulary)

    static func braces() throws -> CompiledGrammar { try compiler.compile(.gbnf("root ::= \"{}\"")) }

    /// Feeds token `t`; expects it to be taken (or refused).
    static func step(_ s: inout ConstraintState, _ t: Int, allowed: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        let taken = s.accept(t, tags: tags)
        #expect(taken == allowed, sourceLocation: sourceLocation)
    }

    static func allowed(_ s: ConstraintState) -> Set<Int>? {
        var mask: [UInt64] = []
        guard s.fillMask(into: &mask, tags: tags) else { return nil }
        return Set((0..<texts.count).filter { mask[$0 >> 6] & (1 << UInt64($0 & 63)) != 0 })
    }

    @Test func wholeOutputFollowsTheGrammarAndEnds() throws {
        var s = ConstraintState(OutputConstraint(grammar: try Self.braces()))
        #expect(Self.allowed(s) == [5])
        Self.step(&s, 5)
        #expect(Self.allowed(s) == [6])
        Self.step(&s, 7, allowed: false)
        Self.step(&s, 6)
        #expect(Self.allowed(s) == [10])
        #expect(!s.isFinished)
        Self.step(&s, 10)
        #expect(s.isFinished)
        #expect(Self.allowed(s) == [])
    }

    @Test func anOptionalThinkBlockStaysFreeThenTheGrammarApplies() throws {
        var s = ConstraintState(OutputConstraint(grammar: try Self.braces(), reasoning: .optional))
        // The answer, or the start of `<think>` (in one token or several).
        #expect(Self.allowed(s) == [0, 5, 8])
        Self.step(&s, 0)
        #expect(Self.allowed(s) == [1])   // committed to the tag
        Self.step(&s, 1)
        Self.step(&s, 2)
        #expect(s.phase == .reasoning)
        // Inside the block anything goes, except closing the tag with text glued after it.
        let free = try #require(Self.allowed(s))
        #expect(free.isSuperset(of: [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 13]) && !free.contains(9))
        for t in [7, 13, 3, 1] { Self.step(&s, t) }
        #expect(s.phase == .reasoning)
        Self.step(&s, 4)   // ">\n" closes `</think>`
        #expect(s.phase == .constrained)
        #expect(Self.allowed(s) == [5])
    }

    @Test func anAnswerStartChosenDirectlySkipsTheBlock() throws {
        var s = ConstraintState(OutputConstraint(grammar: try Self.braces(), reasoning: .optional))
        Self.step(&s, 5)
        #expect(s.phase == .constrained)
        #expect(Self.allowed(s) == [6])
    }

    @Test func aBlockOpenedByThePromptIsFreeUntilItCloses() throws {
        var s = ConstraintState(OutputConstraint(grammar: try Self.braces(), reasoning: .open))
        #expect(s.phase == .reasoning)
        Self.step(&s, 7)
        // A close split over tokens: "</" "think" ">" — then the answer.
        Self.step(&s, 3)
        Self.step(&s, 1)
        Self.step(&s, 2)
        #expect(Self.allowed(s) == [5])
    }

    @Test func aTriggeredGrammarAppliesFromItsTokenUntilItCompletes() throws {
        var g = Grammar()
        g.start = g.add("call", .seq([.token(11), .literal("{}"), .token(12)]))
        let compiled = try Self.compiler.compile(.grammar(g))
        var s = ConstraintState(OutputConstraint(grammar: compiled, scope: .triggered(by: 11)))
        #expect(Self.allowed(s) == nil)
        Self.step(&s, 7)
        Self.step(&s, 11)
        #expect(Self.allowed(s) == [5])
        for t in [5, 6] { Self.step(&s, t) }
        #expect(Self.allowed(s) == [12])
        Self.step(&s, 12)
        #expect(Self.allowed(s) == nil)   // free again: text or another call
        Self.step(&s, 11)
        #expect(Self.allowed(s) == [5])
    }

    @Test func maskApplicationBansEverythingElse() {
        var logits: [Float] = (0..<130).map { Float($0) }
        var mask = [UInt64](repeating: 0, count: 2)   // shorter than the logits: ids past it are banned
        mask[0] = 1 << 3
        mask[1] = 1 << 1
        #expect(OutputStage.apply(mask, to: &logits))
        #expect(logits.indices.filter { logits[$0] > -.infinity } == [3, 65])
        var none: [Float] = [1, 2, 3]
        #expect(!OutputStage.apply([0], to: &none))
    }
}
