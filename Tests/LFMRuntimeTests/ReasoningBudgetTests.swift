import Testing
@testable import LFMRuntime

/// The think-block budget: counts tokens inside `<think>` (however the tags are split into
/// tokens) and says when to close the block.
@Suite struct ReasoningBudgetTests {
    static func feed(_ b: inout ReasoningBudget, _ pieces: [String]) -> [Bool] { pieces.map { b.feed(Array($0.utf8)) } }

    @Test func closesWhenTheBlockReachesItsBudget() {
        var b = ReasoningBudget(limit: 3, startsInside: false)
        let first = Self.feed(&b, ["\n", "<", "think", ">", "a", "b"])
        #expect(first == [false, false, false, false, false, false])
        #expect(b.used == 2)
        let rest = Self.feed(&b, ["c", "d"])
        #expect(rest == [true, false])
        #expect(b.phase == .done)
    }

    @Test func aBlockClosedInTimeIsLeftAlone() {
        var b = ReasoningBudget(limit: 4, startsInside: false)
        let closes = Self.feed(&b, ["<think>", "x", "</", "think", ">\n\n", "y", "z", "w"])
        #expect(closes.allSatisfy { !$0 })
        #expect(b.phase == .done)
    }

    @Test func outputWithoutABlockIsNeverCut() {
        var b = ReasoningBudget(limit: 0, startsInside: false)
        let closes = Self.feed(&b, ["Hello", "<think>", "x"])
        #expect(closes.allSatisfy { !$0 })
        #expect(b.phase == .done)
    }

    @Test func aZeroBudgetClosesAsSoonAsTheBlockOpens() {
        var b = ReasoningBudget(limit: 0, startsInside: false)
        let closes = Self.feed(&b, ["<th", "ink>"])
        #expect(closes == [false, true])
    }

    @Test func aBlockOpenedByThePromptCountsFromTheFirstToken() {
        var b = ReasoningBudget(limit: 2, startsInside: true)
        let closes = Self.feed(&b, ["a", "b"])
        #expect(closes == [false, true])
    }
}
