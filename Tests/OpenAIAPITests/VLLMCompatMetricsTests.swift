import LFMRuntime
import Testing
@testable import OpenAIAPI

/// Exact text of the model-server-protocol metrics under vLLM's names (what an inference
/// gateway's endpoint picker parses).
@Suite struct VLLMCompatMetricsTests {
    @Test func exactExposition() {
        var s = EngineStats()
        s.totalPages = 200; s.freePages = 120; s.cachedPages = 50; s.cacheOnlyPages = 30; s.running = 3; s.waiting = 7
        let text = VLLMCompatMetrics.render(stats: s, modelName: "LiquidAI/LFM2-350M", blockSize: 16, cacheDType: "f16",
                                            prefixCaching: true)
        #expect(text == """
            # HELP vllm:num_requests_running Number of requests in model execution batches.
            # TYPE vllm:num_requests_running gauge
            vllm:num_requests_running{model_name="LiquidAI/LFM2-350M"} 3.0
            # HELP vllm:num_requests_waiting Number of requests waiting to be processed.
            # TYPE vllm:num_requests_waiting gauge
            vllm:num_requests_waiting{model_name="LiquidAI/LFM2-350M"} 7.0
            # HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage (prefix-cache-only pages count as free).
            # TYPE vllm:kv_cache_usage_perc gauge
            vllm:kv_cache_usage_perc{model_name="LiquidAI/LFM2-350M"} 0.25
            # HELP vllm:cache_config_info Information of the LLMEngine CacheConfig.
            # TYPE vllm:cache_config_info gauge
            vllm:cache_config_info{block_size="16",cache_dtype="f16",enable_prefix_caching="True",num_gpu_blocks="200",model_name="LiquidAI/LFM2-350M"} 1.0

            """)
    }

    /// Pages only the prefix cache holds are free (evictable); pages a sequence holds, shared
    /// with the cache or not, are used.
    @Test func kvUsageCountsCacheOnlyPagesAsFree() {
        var s = EngineStats()
        #expect(VLLMCompatMetrics.kvCacheUsage(s) == 0)  // no pool yet
        s.totalPages = 100; s.freePages = 40; s.cachedPages = 60; s.cacheOnlyPages = 60
        #expect(VLLMCompatMetrics.kvCacheUsage(s) == 0)  // warm and idle
        s.cacheOnlyPages = 10  // 50 cached pages are also in running sequences
        #expect(VLLMCompatMetrics.kvCacheUsage(s) == 0.5)
        s.freePages = 0; s.cacheOnlyPages = 0
        #expect(VLLMCompatMetrics.kvCacheUsage(s) == 1)
    }

    @Test func labelValuesAreEscaped() {
        let text = VLLMCompatMetrics.render(stats: EngineStats(), modelName: "a\"b\\c\nd", blockSize: 8, cacheDType: "bf16",
                                            prefixCaching: false)
        #expect(text.contains(#"vllm:num_requests_waiting{model_name="a\"b\\c\nd"} 0.0"#))
        #expect(text.contains(#"enable_prefix_caching="False",num_gpu_blocks="0","#))
    }
}
