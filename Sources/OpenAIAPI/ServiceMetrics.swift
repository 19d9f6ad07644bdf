import Foundation
import LFMRuntime
import Locking
import Prometheus

/// Prometheus metrics of the API and the engine, exposed at `GET /metrics` (text format 0.0.4).
/// Names follow vLLM's in spirit (`lfm_serve_` prefix): request counts by endpoint and status,
/// token counters, prefix-cache queries and hits, preemptions, KV pages, running / waiting
/// requests, histograms of time to first token, inter-token latency, end-to-end latency and
/// queue time, and per-step batch size, tokens and duration (as the engine's observer).
public final class ServiceMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let promptTokens: Counter
    let generationTokens: Counter
    let cachedPromptTokens: Counter
    let loopGuardStops: Counter
    let ttft: ValueHistogram
    let itl: ValueHistogram
    let e2e: ValueHistogram
    let queueTime: ValueHistogram
    let batchSize: ValueHistogram
    let stepTokens: ValueHistogram
    let stepDuration: ValueHistogram
    private let engineCounters = Locked<(preemptions: Int, queried: Int, hits: Int)>((0, 0, 0))

    /// `lfm_serve_<name>` with help text (no unit suffix; the name carries it).
    static func name(_ n: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "lfm_serve", metricName: n, unitName: "", helpText: help)
    }

    public init() {
        promptTokens = registry.makeCounter(descriptor: Self.name("prompt_tokens_total", "Prompt tokens processed."), labels: [])
        generationTokens = registry.makeCounter(descriptor: Self.name("generation_tokens_total", "Tokens generated."), labels: [])
        cachedPromptTokens = registry.makeCounter(descriptor: Self.name("cached_prompt_tokens_total", "Prompt tokens served from the prefix cache."), labels: [])
        loopGuardStops = registry.makeCounter(descriptor: Self.name("loop_guard_stops_total", "Generations ended by the loop guard (repeating output)."), labels: [])
        let latency: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
        ttft = registry.makeValueHistogram(descriptor: Self.name("time_to_first_token_seconds", "Time from request arrival to its first generated token."), buckets: latency)
        itl = registry.makeValueHistogram(descriptor: Self.name("inter_token_latency_seconds", "Time between consecutive generated tokens of a request."), buckets: latency)
        e2e = registry.makeValueHistogram(descriptor: Self.name("e2e_request_latency_seconds", "Time from request arrival to its last token."),
                                          buckets: latency)
        queueTime = registry.makeValueHistogram(descriptor: Self.name("request_queue_time_seconds", "Time from request arrival to its first admission into a step."),
                                                buckets: latency)
        let counts: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
        batchSize = registry.makeValueHistogram(descriptor: Self.name("step_sequences", "Sequences in one engine step (batch size)."), buckets: counts)
        stepTokens = registry.makeValueHistogram(descriptor: Self.name("step_tokens", "Tokens in one engine step (decode plus prompt chunks)."), buckets: counts)
        stepDuration = registry.makeValueHistogram(descriptor: Self.name("step_duration_seconds", "Wall time of one engine step (forward pass and sampling)."),
                                                   buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    }

    /// Counts one generation (choice) ended by the loop guard.
    public func loopGuardStopped() { loopGuardStops.increment() }

    /// Counts one API request by endpoint and HTTP status.
    public func request(endpoint: String, status: Int) {
        registry.makeCounter(descriptor: Self.name("requests_total", "API requests by endpoint and status."), labels: [("endpoint", endpoint), ("status", String(status))]).increment()
    }

    /// Refreshes the engine gauges and counters from a stats snapshot, then renders the exposition.
    public func render(stats: EngineStats, modelID: String, residentBytes: Int) -> [UInt8] {
        func gauge(_ name: String, _ help: String, _ value: Int) {
            registry.makeGauge(descriptor: Self.name(name, help), labels: []).set(Double(value))
        }
        gauge("num_requests_running", "Requests generating now.", stats.running)
        gauge("num_requests_waiting", "Requests waiting for admission.", stats.waiting)
        gauge("kv_cache_pages_total", "KV cache pages in the pool.", stats.totalPages)
        gauge("kv_cache_pages_free", "KV cache pages not owned by anyone.", stats.freePages)
        gauge("prefix_cache_pages", "KV cache pages held by the prefix cache.", stats.cachedPages)
        gauge("prefix_cache_conv_snapshots", "Prefix-cache pages holding a conv-state snapshot (resume points).", stats.cachedSnapshots)
        gauge("process_resident_memory_bytes", "Resident set size of the process.", residentBytes)
        registry.makeGauge(descriptor: Self.name("model_info", "The served model (value 1)."), labels: [("model", modelID)]).set(Double(1))
        let (dp, dq, dh) = engineCounters.withLock { last in
            defer { last = (stats.preemptions, stats.prefixQueriedPages, stats.prefixHitPages) }
            return (stats.preemptions - last.preemptions, stats.prefixQueriedPages - last.queried, stats.prefixHitPages - last.hits)
        }
        registry.makeCounter(descriptor: Self.name("preemptions_total", "Sequences preempted for KV pages."), labels: []).increment(by: Int64(max(0, dp)))
        registry.makeCounter(descriptor: Self.name("prefix_cache_queries_total", "Prompt pages looked up in the prefix cache."), labels: [])
            .increment(by: Int64(max(0, dq)))
        registry.makeCounter(descriptor: Self.name("prefix_cache_hits_total", "Prompt pages served by the prefix cache."), labels: [])
            .increment(by: Int64(max(0, dh)))
        let ratio = stats.prefixQueriedPages > 0 ? Double(stats.prefixHitPages) / Double(stats.prefixQueriedPages) : 0
        registry.makeGauge(descriptor: Self.name("prefix_cache_hit_ratio", "Prefix-cache hits over queries since start (pages)."), labels: [])
            .set(ratio)
        return registry.emitToBuffer()
    }
}

extension ServiceMetrics: EngineObserver {
    public func engineStepCompleted(sequences: Int, tokens: Int, seconds: Double) {
        batchSize.record(Double(sequences))
        stepTokens.record(Double(tokens))
        stepDuration.record(seconds)
    }

    public func engineRequestAdmitted(queueSeconds: Double) {
        queueTime.record(queueSeconds)
    }
}

/// Timing of one generation (one choice) for the latency histograms.
struct GenerationTimer: Sendable {
    let start: ContinuousClock.Instant
    private var last: ContinuousClock.Instant?

    init(start: ContinuousClock.Instant) { self.start = start }

    /// Records a token's arrival: TTFT for the first, inter-token latency for the others.
    mutating func token(_ metrics: ServiceMetrics?) {
        let now = ContinuousClock.now
        if let last { metrics?.itl.record((now - last).seconds) } else { metrics?.ttft.record((now - start).seconds) }
        last = now
    }

    /// Records the end of the generation and its token counts.
    func finish(_ metrics: ServiceMetrics?, usage: GenerationUsage, countPrompt: Bool) {
        guard let metrics else { return }
        metrics.e2e.record((ContinuousClock.now - start).seconds)
        metrics.generationTokens.increment(by: Int64(usage.completionTokens))
        if countPrompt {
            metrics.promptTokens.increment(by: Int64(usage.promptTokens))
            metrics.cachedPromptTokens.increment(by: Int64(usage.cachedTokens))
        }
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
