import LFMModel
import Testing
@testable import LFMRuntime

/// The scheduler as a pure policy: fake sequences and a fake page pool, no model.
@Suite struct SchedulerTests {
    final class Seq: ScheduledSequence {
        let order: Int
        var tokens: [Int]
        var computed = 0
        var generated = 0
        var isPaused = false
        var admitted = false
        var pages = 0
        init(_ order: Int, prompt: Int, first: Int = 0) {
            self.order = order
            tokens = (0..<prompt).map { first + $0 }
        }
        /// Tokens appended after the newest sampled one (fast-forward), as ``ActiveSequence/forcedTail``.
        var forcedTail = 0
        var isDecoding: Bool { generated > 0 && pending >= 1 && pending <= 1 + forcedTail }
        /// What a step does to it: its planned tokens become computed, and a sequence that
        /// reached its end samples one more token.
        func ran(_ n: Int) {
            computed += n
            if computed == tokens.count { tokens.append(9999); generated += 1 }
        }
    }

    /// A pool of `free` pages of `pageSize` tokens; a cache of full prompt pages by content.
    final class Pool: KVSlots {
        var free: Int
        let pageSize: Int
        var sharesPrefixes: Bool
        var cached: [[Int]: Int] = [:]
        init(free: Int, pageSize: Int = 4, sharing: Bool = false) {
            self.free = free
            self.pageSize = pageSize
            sharesPrefixes = sharing
        }
        func adoptComputedPrefix(_ s: Seq) {
            guard sharesPrefixes, s.computed == 0 else { return }
            var n = 0
            while (n + 1) * pageSize <= s.tokens.count - 1, cached[Array(s.tokens[0..<((n + 1) * pageSize)])] != nil { n += 1 }
            s.computed = n * pageSize
            s.pages = n
        }
        func allocate(_ s: Seq, tokens: Int) -> Bool {
            let need = (s.computed + tokens + pageSize - 1) / pageSize - s.pages
            guard need <= free else { return false }
            if need > 0 { free -= need; s.pages += need }
            return true
        }
        func free(_ s: Seq) {
            free += s.pages
            s.pages = 0
            s.computed = 0
        }
    }

    @Test func decodesFirstThenPromptChunksWithinTheBudget() {
        let a = Seq(0, prompt: 3), b = Seq(1, prompt: 10), c = Seq(2, prompt: 10)
        a.admitted = true
        a.computed = 3
        a.tokens.append(7)
        a.generated = 1
        a.pages = 1
        var running = [a], waiting = [c, b]
        let pool = Pool(free: 100)
        let plan = Scheduler(tokenBudget: 8, maxSequences: 8, prefillCapWhileDecoding: 8)
            .schedule(running: &running, waiting: &waiting, kv: pool)
        #expect(plan.entries.map { $0.sequence.order } == [0, 1])
        #expect(plan.entries.map(\.tokens) == [1, 7])          // one decode token, then a 7-token chunk of b
        #expect(plan.admitted.map(\.order) == [1])
        #expect(running.map(\.order) == [0, 1] && waiting.map(\.order) == [2])
    }

    /// While a stream decodes, a prompt deep into its context gets fewer tokens per step: a
    /// token at depth p counts 1 + p / unit against the cap.
    @Test func promptChunksShrinkWithDepthWhileDecoding() {
        func plan(depth: Int, decoding: Bool) -> [Int] {
            let a = Seq(0, prompt: 3), b = Seq(1, prompt: 2000)
            a.admitted = true
            a.computed = 3
            a.tokens.append(7)
            a.generated = 1
            a.pages = 1
            b.admitted = true
            b.computed = depth
            b.pages = (depth + 3) / 4
            var running = decoding ? [a, b] : [b], waiting: [Seq] = []
            return Scheduler(tokenBudget: 64, maxSequences: 8, prefillCapWhileDecoding: 16, attentionDepthUnit: 100)
                .schedule(running: &running, waiting: &waiting, kv: Pool(free: 1000)).entries.map(\.tokens)
        }
        #expect(plan(depth: 0, decoding: true) == [1, 16])
        #expect(plan(depth: 100, decoding: true) == [1, 8])       // each token counts 2
        #expect(plan(depth: 300, decoding: true) == [1, 4])       // counts 4
        #expect(plan(depth: 1900, decoding: true) == [1, 1])      // counts 20: still one token, always progresses
        #expect(plan(depth: 300, decoding: false) == [64])        // alone: the whole budget at any depth
        // Without a unit, depth does not matter.
        let a = Seq(0, prompt: 3), b = Seq(1, prompt: 2000)
        a.admitted = true; a.computed = 3; a.tokens.append(7); a.generated = 1; a.pages = 1
        b.admitted = true; b.computed = 300; b.pages = 75
        var running = [a, b], waiting: [Seq] = []
        let flat = Scheduler(tokenBudget: 64, maxSequences: 8, prefillCapWhileDecoding: 16)
            .schedule(running: &running, waiting: &waiting, kv: Pool(free: 1000))
        #expect(flat.entries.map(\.tokens) == [1, 16])
    }

    /// The depth unit follows the model's shape: about 18k keys for LFM2-350M (hidden 1024,
    /// 16 layers, 6 attention layers of 16 heads x 64, FFN 4608), less for a narrower FFN.
    @Test func attentionDepthUnitFromTheModelShape() throws {
        func config(hidden: Int, ff: Int, layers: Int, attention: [Int], heads: Int) throws -> LFM2Config {
            try LFM2Config.parse(["model_type": "lfm2", "vocab_size": 65536, "hidden_size": hidden, "num_hidden_layers": layers,
                                  "num_attention_heads": heads, "num_key_value_heads": 8, "block_ff_dim": ff,
                                  "block_auto_adjust_ff_dim": false, "conv_L_cache": 3, "full_attn_idxs": attention,
                                  "max_position_embeddings": 128000],
                                 source: "test")
        }
        let m350 = try config(hidden: 1024, ff: 4608, layers: 16, attention: [2, 5, 8, 10, 12, 14], heads: 16)
        let unit = try #require(Scheduler.attentionDepthUnit(config: m350))
        #expect(unit == 17_920)
        let m230 = try config(hidden: 1024, ff: 2560, layers: 14, attention: [2, 4, 6, 8, 10, 12], heads: 16)
        #expect(try #require(Scheduler.attentionDepthUnit(config: m230)) < unit)
        let noAttention = try config(hidden: 64, ff: 128, layers: 2, attention: [], heads: 8)
        #expect(Scheduler.attentionDepthUnit(config: noAttention) == nil)
    }

    /// A decode followed by tokens appended without sampling reads them all in one entry,
    /// outside the prompt cap, with pages for all of them; a tight budget splits them.
    @Test func aDecodeReadsItsFastForwardedTokensInOneEntry() {
        func decoding(_ order: Int, tail: Int) -> Seq {
            let s = Seq(order, prompt: 3, first: order * 100)
            s.admitted = true
            s.computed = 3
            s.tokens += [7] + Array(repeating: 8, count: tail)
            s.generated = 1 + tail
            s.forcedTail = tail
            s.pages = 1
            return s
        }
        let a = decoding(0, tail: 5), b = decoding(1, tail: 0)
        var running = [a, b], waiting: [Seq] = []
        let pool = Pool(free: 100)
        let plan = Scheduler(tokenBudget: 16, maxSequences: 8, prefillCapWhileDecoding: 2)
            .schedule(running: &running, waiting: &waiting, kv: pool)
        #expect(plan.entries.map(\.tokens) == [6, 1])
        #expect(a.pages == 3)                                   // 3 + 6 tokens in pages of 4
        let c = decoding(2, tail: 5)
        var small = [c], none: [Seq] = []
        let split = Scheduler(tokenBudget: 4, maxSequences: 8).schedule(running: &small, waiting: &none, kv: Pool(free: 100))
        #expect(split.entries.map(\.tokens) == [4])
        c.computed += 4
        #expect(c.isDecoding && c.pending == 2)                 // the rest next step, still a decode
    }

    @Test func pausedSequencesAreSkippedAndKeepTheirPages() {
        let a = Seq(0, prompt: 4)
        a.admitted = true
        a.ran(4)
        a.pages = 1
        a.isPaused = true
        var running = [a], waiting: [Seq] = []
        let plan = Scheduler(tokenBudget: 8, maxSequences: 8).schedule(running: &running, waiting: &waiting, kv: Pool(free: 0))
        #expect(plan.entries.isEmpty && plan.preempted.isEmpty && plan.failed.isEmpty)
        #expect(running.count == 1 && a.pages == 1)
    }

    @Test func pageShortagePreemptsTheNewestAndItComesBackLater() {
        // Two decoding sequences, each exactly at a page boundary, one free page: the newest
        // is preempted so the oldest can go on; it returns to waiting with no pages.
        let a = Seq(0, prompt: 4), b = Seq(1, prompt: 4)
        for s in [a, b] { s.admitted = true; s.ran(4); s.pages = 1 }
        var running = [b, a], waiting: [Seq] = []
        let pool = Pool(free: 1)
        let plan = Scheduler(tokenBudget: 8, maxSequences: 8).schedule(running: &running, waiting: &waiting, kv: pool)
        #expect(plan.preempted.map(\.order) == [1])
        #expect(plan.entries.map { $0.sequence.order } == [0])
        #expect(waiting.map(\.order) == [1] && b.pages == 0 && b.computed == 0)
        #expect(plan.admitted.isEmpty)   // b re-enters later as an admitted sequence, not a new one
    }

    @Test func aSequenceThatCannotFitAloneFails() {
        let a = Seq(0, prompt: 40)
        var running: [Seq] = [], waiting = [a]
        let plan = Scheduler(tokenBudget: 64, maxSequences: 8).schedule(running: &running, waiting: &waiting, kv: Pool(free: 2))
        #expect(plan.failed.map { $0.sequence.order } == [0])
        #expect(waiting.isEmpty && running.isEmpty)
    }

    @Test func sequenceLimitAndBudgetBoundAdmission() {
        var waiting = (0..<5).map { Seq($0, prompt: 3) }
        var running: [Seq] = []
        let plan = Scheduler(tokenBudget: 100, maxSequences: 2).schedule(running: &running, waiting: &waiting, kv: Pool(free: 100))
        #expect(plan.admitted.map(\.order) == [0, 1] && waiting.count == 3)
        var w2 = (0..<5).map { Seq($0, prompt: 3) }
        var r2: [Seq] = []
        let tight = Scheduler(tokenBudget: 7, maxSequences: 8).schedule(running: &r2, waiting: &w2, kv: Pool(free: 100))
        #expect(tight.entries.map(\.tokens) == [3, 3, 1])      // the third gets the budget's last token
    }

    @Test func aPromptWaitsForThePageARunningPrefillIsComputing() {
        // Same 12-token prefix: b waits while a computes the page, then adopts it from the cache.
        let a = Seq(0, prompt: 13), b = Seq(1, prompt: 13)
        let pool = Pool(free: 100, sharing: true)
        var running: [Seq] = [], waiting = [a, b]
        let first = Scheduler(tokenBudget: 4, maxSequences: 8).schedule(running: &running, waiting: &waiting, kv: pool)
        #expect(first.entries.map { $0.sequence.order } == [0])
        #expect(waiting.map(\.order) == [1])
        for (s, n) in first.entries { s.ran(n) }
        pool.cached[Array(a.tokens[0..<4])] = 1
        let second = Scheduler(tokenBudget: 12, maxSequences: 8).schedule(running: &running, waiting: &waiting, kv: pool)
        // a finishes its prompt; b finds a's first page cached but a is computing the next one
        // in this very step: b gives the page back and waits instead of computing it twice.
        #expect(second.entries.map { $0.sequence.order } == [0] && second.entries[0].tokens == 9)
        #expect(waiting.map(\.order) == [1] && b.computed == 0 && b.pages == 0)
        for (s, n) in second.entries { s.ran(n) }
        pool.cached[Array(a.tokens[0..<8])] = 2
        pool.cached[Array(a.tokens[0..<12])] = 3
        let third = Scheduler(tokenBudget: 12, maxSequences: 8).schedule(running: &running, waiting: &waiting, kv: pool)
        #expect(third.entries.map(\.tokens) == [1, 1])          // a decodes; b adopted 12 tokens, computes 1
        #expect(b.computed == 12 && third.admitted.map(\.order) == [1])
    }

    /// A decoding sequence that is one step into its answer.
    static func decoding(_ order: Int) -> Seq {
        let s = Seq(order, prompt: 3)
        s.admitted = true
        s.ran(3)
        s.pages = 1
        return s
    }

    @Test func promptTokensAreCappedWhileDecodesRun() {
        // With a decode running, a long prompt gets a quarter of the budget per step.
        var running = [Self.decoding(0)], waiting = [Seq(1, prompt: 16_000)]
        let plan = Scheduler(tokenBudget: 512, maxSequences: 8).schedule(running: &running, waiting: &waiting, kv: Pool(free: 10_000))
        #expect(plan.entries.map(\.tokens) == [1, 128])
        // The next step continues it (now running) under the same cap.
        for (s, n) in plan.entries { s.ran(n) }
        let next = Scheduler(tokenBudget: 512, maxSequences: 8).schedule(running: &running, waiting: &waiting, kv: Pool(free: 10_000))
        #expect(next.entries.map(\.tokens) == [1, 128])
        // Alone, the prompt takes the whole budget.
        var alone: [Seq] = [], w2 = [Seq(2, prompt: 16_000)]
        let solo = Scheduler(tokenBudget: 512, maxSequences: 8).schedule(running: &alone, waiting: &w2, kv: Pool(free: 10_000))
        #expect(solo.entries.map(\.tokens) == [512])
    }

    @Test func theCapCoversRunningAndAdmittedPromptsTogether() {
        let d = Self.decoding(0), b = Seq(1, prompt: 100)
        b.admitted = true
        var running = [d, b], waiting = [Seq(2, prompt: 50)]
        let plan = Scheduler(tokenBudget: 64, maxSequences: 8, prefillCapWhileDecoding: 20)
            .schedule(running: &running, waiting: &waiting, kv: Pool(free: 1000))
        #expect(plan.entries.map(\.tokens) == [1, 20])          // b takes the cap; the waiting prompt waits
        #expect(waiting.map(\.order) == [2])
        let wide = Scheduler(tokenBudget: 64, maxSequences: 8, prefillCapWhileDecoding: 30)
            .schedule(running: &running, waiting: &waiting, kv: Pool(free: 1000))
        #expect(wide.entries.map(\.tokens) == [1, 30] && waiting.count == 1)
    }

    @Test func pausedDecodesDoNotCapPrompts() {
        let d = Self.decoding(0)
        d.isPaused = true
        var running = [d], waiting = [Seq(1, prompt: 1000)]
        let plan = Scheduler(tokenBudget: 256, maxSequences: 8).schedule(running: &running, waiting: &waiting, kv: Pool(free: 1000))
        #expect(plan.entries.map(\.tokens) == [256])
    }
}
