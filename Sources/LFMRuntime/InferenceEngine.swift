import Foundation
import LFMKernels
import LFMModel
import LFMTokenizer
import Logging
import Synchronization

/// The engine: one thread that runs continuous-batching steps over a shared model.
///
/// Each step takes one decode token from every running sequence, then fills the rest of
/// the token budget with prompt chunks of waiting sequences (oldest first), runs ONE
/// batched forward pass, samples per sequence with its own generator, and pushes events to
/// each request's sink. KV pages are reserved per step; when a decode cannot get a page,
/// the most recently admitted sequence is preempted (pages freed, recomputed later; its
/// stream continues without a visible gap).
public final class InferenceEngine: @unchecked Sendable {
    // Safety: `inbox`/`stopping` are guarded by `condition`; everything else is touched only
    // by the engine thread.
    public let model: LoadedModel
    public let configuration: EngineConfiguration
    /// Effective context length (prompt + output).
    public let contextLength: Int
    let lfm: LFM2Model
    let kv: KVCachePool
    let logger: Logger
    private let condition = NSCondition()
    private var inbox: [ActiveSequence] = []
    private var stopping = false
    private var waiting: [ActiveSequence] = []
    private var running: [ActiveSequence] = []
    private var arrivals = 0
    private var thread: Thread?
    let prefixCache: PrefixCache?
    private let statsBox = Mutex(EngineStats())
    private let observerBox = Mutex<(any EngineObserver)?>(nil)
    private let finishedThread = NSCondition()
    private var threadDone = false

    public init(model: LoadedModel, configuration: EngineConfiguration = .init(), logger: Logger = Logger(label: "lfm-serve.engine")) {
        self.model = model
        self.configuration = configuration
        self.logger = logger
        let config = model.checkpoint.config
        contextLength = configuration.contextLength ?? min(config.maxPositions, 32768)
        lfm = LFM2Model(config: config, weights: model.checkpoint.weights, pool: ThreadPool(threads: configuration.threads))
        let perPage = KVCachePool.bytesPerPage(config: config, pageSize: configuration.pageSize, type: configuration.kvCacheType)
        let pages = max(2, configuration.kvCacheBytes / perPage)
        kv = KVCachePool(config: config, pageSize: configuration.pageSize, pageCount: pages, type: configuration.kvCacheType)
        prefixCache = configuration.prefixCaching ? PrefixCache(pageSize: configuration.pageSize) : nil
        statsBox.withLock { $0.totalPages = pages; $0.freePages = pages }
        let t = Thread { [unowned self] in self.run() }
        t.name = "lfm-engine"
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    /// Counters and gauges published by the engine thread after every step (for metrics and
    /// leak checks): when idle, `freePages + cachedPages == totalPages`.
    public var stats: EngineStats { statsBox.withLock { $0 } }

    /// Sets the receiver of step and admission events (metrics); nil removes it.
    public func setObserver(_ observer: (any EngineObserver)?) { observerBox.withLock { $0 = observer } }

    /// True when no request is queued, waiting or running (for graceful shutdown).
    public var isIdle: Bool {
        condition.lock()
        let queued = inbox.count
        condition.unlock()
        let s = stats
        return queued == 0 && s.running == 0 && s.waiting == 0
    }

    /// KV pages in the pool and how many are free (cached prefix pages count as used).
    public var kvPages: (total: Int, free: Int) {
        let s = stats
        return (s.totalPages, s.freePages)
    }

    /// Queues a request. The sink receives its events on the engine thread.
    /// - Throws: `SubmitError` when the prompt cannot fit or the queue is full.
    public func submit(_ request: GenerationRequest, sink: @escaping @Sendable (GenerationEvent) -> Void) throws -> RequestHandle {
        guard !request.promptTokens.isEmpty else { throw SubmitError.emptyPrompt }
        guard request.promptTokens.count < contextLength else {
            throw SubmitError.promptTooLong(promptTokens: request.promptTokens.count, contextLength: contextLength)
        }
        let handle = RequestHandle(id: request.id) { [weak self] in self?.wake() }
        condition.lock()
        defer { condition.unlock() }
        if stopping { throw SubmitError.shuttingDown }
        if inbox.count + waiting.count >= configuration.maxWaiting { throw SubmitError.queueFull(inbox.count + waiting.count) }
        arrivals += 1
        inbox.append(ActiveSequence(request: request, handle: handle, sink: sink, config: lfm.config,
                                    tokenizer: model.tokenizer, order: arrivals))
        condition.signal()
        return handle
    }

    /// Runs a request to completion on the calling thread's behalf and returns its events.
    public func generate(_ request: GenerationRequest, onEvent: @escaping @Sendable (GenerationEvent) -> Void = { _ in }) throws -> [GenerationEvent] {
        let box = EventBox()
        _ = try submit(request) { e in
            onEvent(e)
            box.append(e)
        }
        return box.waitUntilFinished()
    }

    /// Stops the engine thread; running requests are cancelled. Blocks until it has exited.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        finishedThread.lock()
        while !threadDone { finishedThread.wait() }
        finishedThread.unlock()
    }

    private func wake() {
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    // MARK: engine thread

    private func run() {
        while true {
            condition.lock()
            while inbox.isEmpty && !stopping && waiting.isEmpty && running.isEmpty { condition.wait() }
            let fresh = inbox
            inbox.removeAll()
            let stop = stopping
            condition.unlock()
            waiting += fresh
            if stop {
                for s in running + waiting { finish(s, .cancelled) }
                prefixCache?.clear(kv: kv)
                running.removeAll()
                waiting.removeAll()
                break
            }
            reapCancelled()
            if running.isEmpty && waiting.isEmpty { publishStats(); continue }
            step()
        }
        finishedThread.lock()
        threadDone = true
        finishedThread.broadcast()
        finishedThread.unlock()
    }

    private func reapCancelled() {
        for s in running where s.handle.isCancelled { finish(s, .cancelled) }
        for s in waiting where s.handle.isCancelled { finish(s, .cancelled) }
        running.removeAll { $0.handle.isCancelled }
        waiting.removeAll { $0.handle.isCancelled }
    }

    /// Reserves `n` more positions for `s`, evicting unreferenced prefix-cache pages if needed.
    private func reserve(_ s: ActiveSequence, _ n: Int) -> Bool {
        if (try? s.state.reserve(n, in: kv)) != nil { return true }
        guard let cache = prefixCache else { return false }
        let needed = (s.state.length + n + kv.pageSize - 1) / kv.pageSize - s.state.pages.count
        cache.evict(toFree: needed, kv: kv)
        return (try? s.state.reserve(n, in: kv)) != nil
    }

    /// Reuses the longest cached prefix of a sequence that has nothing in its KV cache.
    private func adoptCachedPrefix(_ s: ActiveSequence) {
        guard let cache = prefixCache, s.state.length == 0 else { return }
        s.state.snapshotInterval = kv.pageSize
        let (pages, hashes, conv) = cache.lookup(s.tokens, maxPages: (s.tokens.count - 1) / kv.pageSize, kv: kv)
        if let conv, !pages.isEmpty {
            s.state.adoptPrefix(pages: pages, tokens: pages.count * kv.pageSize, convState: conv)
            s.pageHashes = hashes
        }
        if !s.admitted { s.cachedTokens = s.state.length }
    }

    /// Registers pages completed by the last step in the prefix cache.
    private func registerPages(_ s: ActiveSequence, from oldLength: Int) {
        guard let cache = prefixCache else { return }
        let P = kv.pageSize
        var b = (oldLength / P + 1) * P
        while b <= s.state.length {
            let i = b / P - 1
            if s.pageHashes.count == i, let conv = s.state.boundarySnapshots[b] {
                let parent = i == 0 ? 0 : s.pageHashes[i - 1]
                s.pageHashes.append(cache.insert(parent: parent, tokens: s.tokens[(b - P)..<b], page: s.state.pages[i], conv: conv, kv: kv))
            }
            b += P
        }
        s.state.boundarySnapshots.removeAll(keepingCapacity: true)
    }

    private func publishStats() {
        let cachedPages = prefixCache?.pageCount ?? 0
        let cacheOnlyPages = prefixCache?.cacheOnlyPageCount(kv: kv) ?? 0
        statsBox.withLock {
            $0.freePages = kv.freePageCount
            $0.cachedPages = cachedPages
            $0.cacheOnlyPages = cacheOnlyPages
            $0.running = running.count
            $0.waiting = waiting.count
            $0.prefixQueriedPages = prefixCache?.queriedPages ?? 0
            $0.prefixHitPages = prefixCache?.hitPages ?? 0
        }
    }

    /// One scheduling step plus one forward pass.
    private func step() {
        let observer = observerBox.withLock { $0 }
        let stepStart = ContinuousClock.now
        var budget = configuration.maxBatchedTokens
        var entries: [(ActiveSequence, Int)] = []
        // 1. One token for every running sequence that is decoding; preempt newest on page shortage.
        running.sort { $0.order < $1.order }
        var i = 0
        while i < running.count {
            let s = running[i]
            guard s.pending > 0 else { i += 1; continue }
            let n = s.isDecoding ? 1 : min(s.pending, max(1, budget))
            if budget <= 0 && !s.isDecoding { i += 1; continue }
            if reserve(s, n) {
                entries.append((s, n))
                budget -= n
                i += 1
            } else if running.count > 1, let victim = running.last {
                // Free the newest sequence's pages (possibly s itself) and retry.
                preempt(victim)
                running.removeLast()
            } else {
                // Alone and still no room: the context cannot fit in the KV budget.
                fail(s, "the KV cache is too small for this request (\(kv.pageCount) pages of \(kv.pageSize) tokens)")
                running.remove(at: i)
            }
        }
        // 2. Admit waiting sequences FCFS with prompt chunks while budget and pages last.
        waiting.sort { $0.order < $1.order }
        while budget > 0, let s = waiting.first, running.count < configuration.maxNumSequences {
            adoptCachedPrefix(s)
            if prefixCache != nil,
               SharedPrefixPolicy.shouldWait(tokens: s.tokens, cached: s.state.length, pageSize: kv.pageSize,
                                             running: running.map { ($0.tokens, $0.state.length) }) {
                // A running prefill is computing this prompt's next page: take it from the cache next step.
                if s.state.length > 0 { s.state.release(to: kv); s.pageHashes = [] }
                break
            }
            let n = min(s.pending, budget)
            guard reserve(s, n) else {
                // Give the shared pages back while it waits.
                if s.state.length > 0 { s.state.release(to: kv); s.pageHashes = [] }
                break
            }
            if !s.admitted { observer?.engineRequestAdmitted(queueSeconds: (ContinuousClock.now - s.arrival).secondsValue) }
            s.admitted = true
            waiting.removeFirst()
            running.append(s)
            entries.append((s, n))
            budget -= n
        }
        if entries.isEmpty {
            if let s = waiting.first, running.isEmpty {
                fail(s, "the KV cache is too small for this prompt (\(kv.pageCount) pages of \(kv.pageSize) tokens)")
                waiting.removeFirst()
            }
            return
        }
        let batch = entries.map { s, n in
            BatchEntry(sequence: s.state, tokens: Array(s.tokens[s.state.length..<(s.state.length + n)]),
                       logits: s.state.length + n == s.tokens.count ? .last : .none)
        }
        let logits: StepLogits
        let before = entries.map { $0.0.state.length }
        do {
            logits = try lfm.forward(batch, kv: kv)
            for (e, (s, _)) in entries.enumerated() { registerPages(s, from: before[e]) }
        } catch {
            for (s, _) in entries { fail(s, "\(error)") }
            running.removeAll { r in entries.contains { $0.0 === r } }
            return
        }
        var done: [ActiveSequence] = []
        for (e, (s, _)) in entries.enumerated() {
            guard let row = logits.last(of: e) else { continue }
            if sample(s, Array(row)) { done.append(s) }
        }
        running.removeAll { r in done.contains { $0 === r } }
        publishStats()
        observer?.engineStepCompleted(sequences: entries.count, tokens: entries.reduce(0) { $0 + $1.1 },
                                      seconds: (ContinuousClock.now - stepStart).secondsValue)
    }

    /// Samples the next token of `s`, emits it, and reports whether the sequence finished.
    private func sample(_ s: ActiveSequence, _ raw: [Float]) -> Bool {
        let p = s.request.sampling
        var logits = raw
        LogitProcessor.applyRepetitionPenalty(&logits, seen: s.seen, penalty: p.repetitionPenalty)
        LogitProcessor.applyPresenceFrequency(&logits, counts: s.counts, presence: p.presencePenalty, frequency: p.frequencyPenalty)
        LogitProcessor.applyBias(&logits, bias: p.logitBias)
        let id = Sampler.sample(logits, p, rng: &s.rng)
        var logSum: Float = 0, m: Float = 0
        if s.request.logprobs { (logSum, m) = LogitProcessor.logProbabilities(raw[...]) }
        var top: [TokenLogprob] = []
        if s.request.topLogprobs > 0 {
            top = raw.indices.sorted { raw[$0] > raw[$1] }.prefix(s.request.topLogprobs)
                .map { TokenLogprob(id: $0, logprob: raw[$0] - m - logSum) }
        }
        s.tokens.append(id)
        s.generated += 1
        s.seen.insert(id)
        s.counts[id, default: 0] += 1
        let isStopToken = !s.request.ignoreEOS && (model.stopTokenIDs.contains(id) || s.request.stopTokenIDs.contains(id))
        if isStopToken {
            finish(s, .stop)
            return true
        }
        var text = s.detokenizer.push(id)
        var stopped = false
        switch s.stopMatcher.feed(text) {
        case .text(let t): text = t
        case .stop(let t): text = t; stopped = true
        }
        s.sink(.token(TokenOutput(id: id, text: text, logprob: s.request.logprobs ? raw[id] - m - logSum : 0, topLogprobs: top)))
        if stopped { finish(s, .stop, flushText: false); return true }
        if s.generated >= s.request.maxTokens || s.tokens.count >= contextLength { finish(s, .length); return true }
        return false
    }

    private func preempt(_ s: ActiveSequence) {
        s.state.release(to: kv)
        s.pageHashes = []
        statsBox.withLock { $0.preemptions += 1 }
        s.preemptions += 1
        waiting.append(s)
        logger.debug("preempted request", metadata: ["id": "\(s.request.id)", "tokens": "\(s.tokens.count)"])
    }

    private func finish(_ s: ActiveSequence, _ reason: FinishReason, flushText: Bool = true) {
        var trailing = ""
        if flushText {
            trailing = s.detokenizer.finish()
            switch s.stopMatcher.feed(trailing) {
            case .text(let t): trailing = t + s.stopMatcher.flush()
            case .stop(let t): trailing = t
            }
        }
        s.state.release(to: kv)
        s.sink(.finished(reason: reason, trailingText: trailing,
                         usage: GenerationUsage(promptTokens: s.request.promptTokens.count, completionTokens: s.generated,
                                                cachedTokens: s.cachedTokens)))
    }

    private func fail(_ s: ActiveSequence, _ message: String) {
        s.state.release(to: kv)
        s.pageHashes = []
        s.sink(.failed(message))
    }
}

/// Collects events for `generate` and lets the caller wait for the end.
final class EventBox: @unchecked Sendable {
    // Safety: all access under `cond`.
    private let cond = NSCondition()
    private var events: [GenerationEvent] = []
    private var done = false

    func append(_ e: GenerationEvent) {
        cond.lock()
        events.append(e)
        switch e {
        case .finished, .failed: done = true; cond.broadcast()
        case .token: break
        }
        cond.unlock()
    }

    func waitUntilFinished() -> [GenerationEvent] {
        cond.lock()
        defer { cond.unlock() }
        while !done { cond.wait() }
        return events
    }
}

/// A snapshot of the engine's state for metrics and tests.
public struct EngineStats: Sendable, Equatable {
    public var totalPages = 0
    public var freePages = 0
    /// Pages held by the prefix cache.
    public var cachedPages = 0
    /// Pages held by the prefix cache and by no sequence (evicted on demand).
    public var cacheOnlyPages = 0
    public var running = 0
    public var waiting = 0
    public var preemptions = 0
    /// Prompt pages looked up in / served by the prefix cache.
    public var prefixQueriedPages = 0
    public var prefixHitPages = 0

    public init() {}
}

extension Duration {
    /// The duration in seconds.
    var secondsValue: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
