import LFMRuntime
import Testing
@testable import OpenAIAPI

/// Exact-text checks of the Prometheus exposition (text format 0.0.4).
@Suite struct ServiceMetricsTests {
    func render(_ m: ServiceMetrics, _ stats: EngineStats = EngineStats()) -> String {
        String(decoding: m.render(stats: stats, modelID: "tiny", residentBytes: 4096), as: UTF8.self)
    }

    @Test func requestCountersByEndpointAndStatus() {
        let m = ServiceMetrics()
        m.request(endpoint: "/v1/chat/completions", status: 200)
        m.request(endpoint: "/v1/chat/completions", status: 200)
        m.request(endpoint: "/v1/completions", status: 400)
        let text = render(m)
        #expect(text.contains("""
            # HELP lfm_serve_requests_total API requests by endpoint and status.
            # TYPE lfm_serve_requests_total counter
            """))
        #expect(text.contains("lfm_serve_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\"} 2\n"))
        #expect(text.contains("lfm_serve_requests_total{endpoint=\"/v1/completions\",status=\"400\"} 1\n"))
    }

    @Test func engineGaugesAndCounterDeltas() {
        let m = ServiceMetrics()
        var s = EngineStats()
        s.totalPages = 64; s.freePages = 60; s.cachedPages = 3; s.running = 1; s.waiting = 2
        s.preemptions = 5; s.prefixQueriedPages = 10; s.prefixHitPages = 4
        var text = render(m, s)
        #expect(text.contains("# TYPE lfm_serve_kv_cache_pages_total gauge\nlfm_serve_kv_cache_pages_total 64.0\n"))
        #expect(text.contains("lfm_serve_kv_cache_pages_free 60.0\n"))
        #expect(text.contains("lfm_serve_num_requests_waiting 2.0\n"))
        #expect(text.contains("lfm_serve_model_info{model=\"tiny\"} 1.0\n"))
        #expect(text.contains("lfm_serve_preemptions_total 5\n"))
        // Counters follow the engine's totals across scrapes without double counting.
        s.preemptions = 7; s.prefixHitPages = 9
        text = render(m, s)
        #expect(text.contains("lfm_serve_preemptions_total 7\n"))
        #expect(text.contains("lfm_serve_prefix_cache_hits_total 9\n"))
        #expect(text.contains("# TYPE lfm_serve_prefix_cache_hit_ratio gauge\nlfm_serve_prefix_cache_hit_ratio 0.9\n"))
    }

    @Test func latencyHistogramsAndTokenCounters() {
        let m = ServiceMetrics()
        var timer = GenerationTimer(start: .now)
        timer.token(m)
        timer.token(m)
        timer.finish(m, usage: GenerationUsage(promptTokens: 10, completionTokens: 2, cachedTokens: 4), countPrompt: true)
        let text = render(m)
        #expect(text.contains("lfm_serve_time_to_first_token_seconds_count 1\n"))
        #expect(text.contains("lfm_serve_inter_token_latency_seconds_count 1\n"))
        #expect(text.contains("lfm_serve_e2e_request_latency_seconds_count 1\n"))
        #expect(text.contains("lfm_serve_prompt_tokens_total 10\n"))
        #expect(text.contains("lfm_serve_cached_prompt_tokens_total 4\n"))
        #expect(text.contains("lfm_serve_generation_tokens_total 2\n"))
        #expect(text.contains("lfm_serve_time_to_first_token_seconds_bucket{le=\"+Inf\"} 1\n"))
    }

    @Test func engineObserverFillsQueueAndStepHistograms() {
        let m = ServiceMetrics()
        m.engineRequestAdmitted(queueSeconds: 0.02)
        m.engineStepCompleted(sequences: 3, tokens: 130, seconds: 0.004)
        m.engineStepCompleted(sequences: 16, tokens: 16, seconds: 0.07)
        let text = render(m)
        #expect(text.contains("""
            # HELP lfm_serve_request_queue_time_seconds Time from request arrival to its first admission into a step.
            # TYPE lfm_serve_request_queue_time_seconds histogram
            lfm_serve_request_queue_time_seconds_bucket{le="0.005"} 0
            lfm_serve_request_queue_time_seconds_bucket{le="0.01"} 0
            lfm_serve_request_queue_time_seconds_bucket{le="0.025"} 1
            """))
        #expect(text.contains("lfm_serve_request_queue_time_seconds_count 1\n"))
        #expect(text.contains("lfm_serve_step_sequences_bucket{le=\"2.0\"} 0\nlfm_serve_step_sequences_bucket{le=\"4.0\"} 1\n"))
        #expect(text.contains("lfm_serve_step_sequences_sum 19.0\nlfm_serve_step_sequences_count 2\n"))
        #expect(text.contains("lfm_serve_step_tokens_bucket{le=\"128.0\"} 1\nlfm_serve_step_tokens_bucket{le=\"256.0\"} 2\n"))
        #expect(text.contains("lfm_serve_step_duration_seconds_count 2\n"))
    }
}
