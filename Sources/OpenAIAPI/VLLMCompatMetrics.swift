import LFMRuntime

/// Which other server's metric names `/metrics` also exposes (`--metrics-compat`).
public enum MetricsCompat: String, Sendable, CaseIterable {
    /// vLLM's names (`vllm:…`), which inference gateways read by default.
    case vllm
    /// Only lfm-serve's own `lfm_serve_…` metrics.
    case none
}

/// The metrics of the model-server protocol under vLLM's names and types, so a router that
/// knows vLLM (the Gateway API Inference Extension's endpoint picker, llm-d) needs no
/// configuration for lfm-serve (docs/deployment.md, "Inference gateway"):
///
/// - `vllm:num_requests_waiting` (gauge): requests queued, not yet admitted into a step;
/// - `vllm:num_requests_running` (gauge): requests generating (admitted, holding KV pages);
/// - `vllm:kv_cache_usage_perc` (gauge, 0–1): KV pages held by sequences over all pages.
///   Pages that only the prefix cache holds count as free: they are evicted (LRU) the moment
///   a reservation needs them, before any sequence is preempted, so they do not limit new
///   work; counting them as used would show a warm, idle replica as full;
/// - `vllm:cache_config_info` (gauge, value 1): `block_size` (tokens per KV page) and
///   `num_gpu_blocks` (pages in the pool), which the prefix scorer needs.
///
/// Every sample carries `model_name` (the served model id). The text is rendered here rather
/// than through the Prometheus registry so the names, types and labels are exact and fixed.
public enum VLLMCompatMetrics {
    /// KV pages held by sequences over all pages; cache-only pages count as free.
    public static func kvCacheUsage(_ stats: EngineStats) -> Double {
        guard stats.totalPages > 0 else { return 0 }
        let used = stats.totalPages - stats.freePages - stats.cacheOnlyPages
        return min(1, max(0, Double(used) / Double(stats.totalPages)))
    }

    /// The exposition lines (Prometheus text format 0.0.4) for one scrape.
    /// - Parameters:
    ///   - stats: the engine's snapshot.
    ///   - modelName: the served model id (`model_name` label).
    ///   - blockSize: tokens per KV page.
    ///   - cacheDType: element type of the KV cache (`cache_dtype` label).
    ///   - prefixCaching: whether the prefix cache is on (`enable_prefix_caching` label).
    public static func render(stats: EngineStats, modelName: String, blockSize: Int, cacheDType: String,
                              prefixCaching: Bool) -> String {
        let model = "model_name=\"\(escape(modelName))\""
        var out = ""
        func gauge(_ name: String, _ help: String, labels: String = "", _ value: Double) {
            out += "# HELP vllm:\(name) \(help)\n# TYPE vllm:\(name) gauge\n"
            out += "vllm:\(name){\(labels)\(model)} \(format(value))\n"
        }
        gauge("num_requests_running", "Number of requests in model execution batches.", Double(stats.running))
        gauge("num_requests_waiting", "Number of requests waiting to be processed.", Double(stats.waiting))
        gauge("kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage (prefix-cache-only pages count as free).",
              kvCacheUsage(stats))
        let info = "block_size=\"\(blockSize)\",cache_dtype=\"\(escape(cacheDType))\","
            + "enable_prefix_caching=\"\(prefixCaching ? "True" : "False")\",num_gpu_blocks=\"\(stats.totalPages)\","
        gauge("cache_config_info", "Information of the LLMEngine CacheConfig.", labels: info, 1)
        return out
    }

    /// A sample value as Prometheus text: integers with one decimal (`3.0`), others in full.
    static func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return "\(Int64(v)).0" }
        return "\(v)"
    }

    /// A label value escaped for the text format (backslash, double quote, newline).
    static func escape(_ s: String) -> String {
        var r = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": r += "\\\\"
            case "\"": r += "\\\""
            case "\n": r += "\\n"
            default: r.unicodeScalars.append(c)
            }
        }
        return r
    }
}
