import Foundation
import LFMKernels
import LFMModel
import LFMTokenizer
import Locking
import Logging

/// The engine: one thread that runs continuous-batching steps over a shared model.
///
/// Each step takes one decode token from every running sequence (with the tokens a grammar
/// fast-forward appended after it), then fills the rest of
/// the token budget with prompt chunks of waiting sequences (oldest first), runs ONE
/// batched forward pass, samples per sequence with its own generator, and pushes events to
/// each request's sink. KV pages are reserved per step; when a decode cannot get a page,
/// the most recently admitted sequence is preempted (pages freed, recomputed later; its
/// stream continues without a visible gap).
public final class InferenceEngine: @unchecked Sendable {
    // Safety: cross-thread hand-over goes through `queue` (synchronized); `waiting`,
    // `running` and the KV state are touched only by the engine thread.
    public let model: LoadedModel
    public let configuration: EngineConfiguration
    /// Effective context length (prompt + output).
    public let contextLength: Int
    let lfm: LFM2Model
    let kv: KVCacheManager
    let logger: Logger
    private let scheduler: Scheduler
    private let executor: StepExecutor
    private let output: OutputStage
    let queue: AdmissionQueue
    private var waiting: [ActiveSequence] = []
    private var running: [ActiveSequence] = []
    private var thread: Thread?
    private let statsBox = Locked(EngineStats())
    private let observerBox = Locked<(any EngineObserver)?>(nil)
    private let finishedThread = NSCondition()
    private var threadDone = false

    public init(model: LoadedModel, configuration: EngineConfiguration = .init(), logger: Logger = Logger(label: "lfm-serve.engine")) {
        self.model = model
        self.configuration = configuration
        self.logger = logger
        let config = model.checkpoint.config
        queue = AdmissionQueue(maxWaiting: configuration.maxWaiting)
        lfm = LFM2Model(config: config, weights: model.checkpoint.weights, pool: ThreadPool(threads: configuration.threads))
        let perPage = KVCachePool.bytesPerPage(config: config, pageSize: configuration.pageSize, type: configuration.kvCacheType)
        let pages = max(2, configuration.kvCacheBytes / perPage)
        contextLength = Self.servedContext(asked: configuration.contextLength, modelMaximum: config.maxPositions,
                                           cacheTokens: pages * configuration.pageSize,
                                           logger: logger)
        kv = KVCacheManager(config: config, pageSize: configuration.pageSize, pageCount: pages, type: configuration.kvCacheType,
                            prefixCaching: configuration.prefixCaching)
        scheduler = Scheduler(tokenBudget: configuration.maxBatchedTokens, maxSequences: configuration.maxNumSequences,
                              attentionDepthUnit: Scheduler.attentionDepthUnit(config: config))
        executor = StepExecutor(model: lfm, kv: kv)
        let tokenizer = model.tokenizer
        output = OutputStage(stopTokenIDs: model.stopTokenIDs, contextLength: contextLength,
                             tags: TagTokens(tokenBytes: (0..<tokenizer.vocabularySize).map { tokenizer.bytes(of: $0) },
                                             isSpecial: { tokenizer.isSpecial($0) }),
                             fastForward: configuration.grammarFastForward ? FastForward(tokenizer: tokenizer) : nil)
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

    /// True when every submitted request has delivered its final event (graceful shutdown
    /// waits for this). A live count kept at submission and at the final event, not a
    /// statistic published after steps.
    public var isIdle: Bool { queue.isIdle }

    /// The context length served: the one asked for (default min(model, 32768)), lowered to
    /// what the KV cache can hold for one sequence, with a warning when lowered.
    static func servedContext(asked: Int?, modelMaximum: Int, cacheTokens: Int, logger: Logger) -> Int {
        var context = asked ?? min(modelMaximum, 32768)
        if let asked, asked > modelMaximum {
            logger.warning("ctx-size \(asked) exceeds the model's max_position_embeddings \(modelMaximum); positions past it are untrained")
        }
        if context > cacheTokens {
            logger.warning("the KV cache holds \(cacheTokens) tokens, less than the context length \(context): serving a context of \(cacheTokens) tokens (raise --kv-cache-memory for more)")
            context = cacheTokens
        }
        return max(1, context)
    }

    /// KV pages in the pool and how many are free (cached prefix pages count as used).
    public var kvPages: (total: Int, free: Int) {
        let s = stats
        return (s.totalPages, s.freePages)
    }

    /// Queues a request. The sink receives its events on the engine thread.
    /// - Throws: `SubmitError` when the prompt cannot fit or the queue is full.
    public func submit(_ request: GenerationRequest, sink: @escaping @Sendable (GenerationEvent) -> Void) throws -> RequestHandle {
        try submit([request]) { _, event in sink(event) }[0]
    }

    /// Queues several requests (the choices of one API request) as one unit: all are
    /// admitted or none. The sink receives `(index in requests, event)` on the engine thread.
    /// - Throws: `SubmitError` when a prompt cannot fit, the group can never fit the queue
    ///   (`tooManyChoices`) or does not fit now (`queueFull`).
    public func submit(_ requests: [GenerationRequest],
                       sink: @escaping @Sendable (Int, GenerationEvent) -> Void) throws -> [RequestHandle] {
        for request in requests {
            guard !request.promptTokens.isEmpty else { throw SubmitError.emptyPrompt }
            guard request.promptTokens.count < contextLength else {
                throw SubmitError.promptTooLong(promptTokens: request.promptTokens.count, contextLength: contextLength)
            }
        }
        let queue = self.queue
        let handles = requests.map { r in RequestHandle(id: r.id) { queue.wake() } }
        var next = 0
        try queue.submit(count: requests.count) { order in
            let i = next
            next += 1
            return ActiveSequence(request: requests[i], handle: handles[i], sink: { sink(i, $0) }, config: lfm.config,
                                  tokenizer: model.tokenizer, order: order)
        }
        return handles
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

    /// The `.failed` message of requests still running when the engine shuts down.
    public static let shutdownMessage = "the server is shutting down"

    /// Stops the engine thread; requests still queued or running fail with ``shutdownMessage``. Blocks until it has exited.
    public func shutdown() {
        queue.stop()
        finishedThread.lock()
        while !threadDone { finishedThread.wait() }
        finishedThread.unlock()
    }

    // MARK: engine thread

    private func run() {
        while true {
            let (fresh, stop) = queue.take {
                !waiting.isEmpty || running.contains { !$0.handle.isPaused || $0.handle.isCancelled }
            }
            waiting += fresh
            if stop {
                for s in running + waiting { fail(s, Self.shutdownMessage) }
                kv.clear()
                running.removeAll()
                waiting.removeAll()
                break
            }
            reapCancelled()
            if waiting.isEmpty && running.allSatisfy({ $0.handle.isPaused }) { publishStats(); continue }
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

    private func publishStats() {
        let (queried, hits) = kv.prefixCounters
        let cacheOnlyPages = kv.cacheOnlyPageCount
        let unadmitted = queue.waitingCount
        let preemptedWaiting = waiting.reduce(0) { $0 + ($1.admitted ? 1 : 0) }
        statsBox.withLock {
            $0.freePages = kv.freePageCount
            $0.cachedPages = kv.cachedPageCount
            $0.cachedSnapshots = kv.snapshotCount
            $0.cacheOnlyPages = cacheOnlyPages
            $0.running = running.count
            // Not yet admitted (queued or waiting) plus preempted ones waiting to resume.
            $0.waiting = unadmitted + preemptedWaiting
            $0.prefixQueriedPages = queried
            $0.prefixHitPages = hits
        }
    }

    /// One step: plan (scheduler), run (executor), sample and emit (output stage).
    private func step() {
        let observer = observerBox.withLock { $0 }
        let stepStart = ContinuousClock.now
        let plan = scheduler.schedule(running: &running, waiting: &waiting, kv: kv)
        for s in plan.preempted {
            statsBox.withLock { $0.preemptions += 1 }
            s.preemptions += 1
            logger.debug("preempted request", metadata: ["id": "\(s.request.id)", "tokens": "\(s.tokens.count)"])
        }
        for s in plan.admitted {
            queue.admitted()
            observer?.engineRequestAdmitted(queueSeconds: (ContinuousClock.now - s.arrival).secondsValue)
        }
        for (s, reason) in plan.failed { fail(s, "\(reason) (\(kv.pageCount) pages of \(kv.pageSize) tokens)") }
        guard !plan.entries.isEmpty else { return }
        // Structured-output masks depend only on tokens already sampled: compute them while
        // the forward pass runs.
        let masks = MaskPrefetch(plan.entries.map { $0.sequence.samples(after: $0.tokens) ? $0.sequence.constraint : nil },
                                 tags: output.tags)
        let rows: [ArraySlice<Float>?]
        do {
            defer { masks.wait() }
            rows = try executor.run(plan.entries)
        } catch {
            for (s, _) in plan.entries { fail(s, "\(error)") }
            running.removeAll { r in plan.entries.contains { $0.sequence === r } }
            return
        }
        var done: [ActiveSequence] = []
        for (e, (s, _)) in plan.entries.enumerated() {
            guard let row = rows[e] else { continue }
            if let scores = s.promptScores?.takeEvent() { s.sink(scores) }
            // A scoring request may ask for no tokens (`maxTokens` 0): it ends after its prefill.
            let outcome: OutputStage.Outcome = s.request.maxTokens == 0 ? .finished(.length, flushText: true) : output.emitNextToken(s, logits: row, mask: masks.mask(e))
            if case .finished(let reason, let flush) = outcome {
                finish(s, reason, flushText: flush)
                done.append(s)
            }
        }
        running.removeAll { r in done.contains { $0 === r } }
        publishStats()
        observer?.engineStepCompleted(sequences: plan.entries.count, tokens: plan.entries.reduce(0) { $0 + $1.tokens },
                                      seconds: (ContinuousClock.now - stepStart).secondsValue)
    }

    /// Ends `s`: frees its pages and delivers its final event.
    private func finish(_ s: ActiveSequence, _ reason: FinishReason, flushText: Bool = true) {
        let event = output.finishedEvent(s, reason: reason, flushText: flushText)
        kv.free(s)
        s.sink(event)
        queue.ended(wasAdmitted: s.admitted)
    }

    /// Ends `s` with an error event.
    private func fail(_ s: ActiveSequence, _ message: String) {
        kv.free(s)
        s.sink(.failed(message))
        queue.ended(wasAdmitted: s.admitted)
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
        case .token, .promptLogprobs: break
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
    /// Cached pages that hold a conv-state snapshot (resume points, ``ConvSnapshotPolicy``).
    public var cachedSnapshots = 0
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
