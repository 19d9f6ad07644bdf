import Foundation

/// Every setting of `lfm-serve serve`, resolved from file < environment < flags and checked.
/// ``specs`` is the single source of the keys, defaults and help texts: the command's
/// flags, `--help`, config/lfm-serve.json and docs/configuration.md are checked against it.
public struct ServeSettings: Sendable, Equatable {
    public var model: String
    public var host: String
    public var port: Int
    /// nil: one per CPU.
    public var threads: Int?
    public var servedModelName: String?
    /// API keys given as flags (repeatable; one per line when joined) or by env/file.
    public var apiKey: String?
    /// A file of API keys, one per line (`#` comments and blank lines ignored).
    public var apiKeyFile: String?
    /// Whether `/metrics` needs an API key too.
    public var metricsRequireKey: Bool
    /// Whether a request's `model` must be the served name (404 otherwise).
    public var strictModelName: Bool
    public var maxBatchedTokens: Int
    public var maxNumSeqs: Int
    public var maxWaiting: Int
    public var kvCacheBytes: Int
    public var blockSize: Int
    public var kvCacheDType: String
    public var prefixCache: Bool
    /// nil: min(model maximum, 32768).
    public var contextSize: Int?
    public var reasoningFormat: String
    /// Default think-block token budget; -1: no limit.
    public var reasoningBudget: Int
    public var sslCertfile: String?
    public var sslKeyfile: String?
    public var maxBodyBytes: Int
    public var idleTimeout: Double
    public var shutdownTimeout: Double
    public var allowedOrigins: [String]
    public var accessLog: Bool
    public var logLevel: String
    public var logFormat: String
    /// Extra metric names for routers that read another server's metrics: "vllm" or "none".
    public var metricsCompat: String
    /// The loop guard's longest repeating block and its number of copies (`WINDOW:REPEATS`); nil: off.
    public var loopGuard: LoopGuardValue?
    /// Where each value came from (key → source).
    public var sources: [String: ConfigurationSource]

    /// The default model: a Hugging Face Hub id, downloaded into the standard cache on first use.
    public static let defaultModel = "LiquidAI/LFM2-350M"

    /// The settings, in the order `--help` and the docs list them.
    public static let specs: [SettingSpec] = [
        SettingSpec("model", .string, default: defaultModel,
                    help: "Model: a Hugging Face folder, a .gguf file, or a Hub id (owner/name[@revision][:QUANT])."),
        SettingSpec("host", .string, default: "127.0.0.1", help: "Address to listen on (0.0.0.0 for every interface)."),
        SettingSpec("port", .int(0...65535), default: "8080", help: "Port to listen on; 0 picks a free port, printed at startup."),
        SettingSpec("threads", .optionalInt(1...1024, unsetMeaning: "one per CPU"), default: nil, help: "Compute threads."),
        SettingSpec("served-model-name", .string, default: nil,
                    help: "Model id reported by /v1/models.", unsetDescription: "the Hub id, or the model path's last component"),
        SettingSpec("api-key", .string, default: nil,
                    help: "Require this API key (Authorization: Bearer or x-api-key) on every route but /health and /metrics; repeat the flag for several keys.",
                    secret: true, repeatable: true),
        SettingSpec("api-key-file", .string, default: nil, help: "File of accepted API keys, one per line (# comments allowed)."),
        SettingSpec("metrics-require-key", .bool, default: "false", help: "Require the API key on /metrics too."),
        SettingSpec("strict-model-name", .bool, default: "false",
                    help: "Answer 404 when a request's model is not the served model name (otherwise any name is served)."),
        SettingSpec("max-batched-tokens", .int(1...1_000_000), default: "512", help: "Tokens per engine step (decode tokens plus prompt chunks)."),
        SettingSpec("max-num-seqs", .int(1...4096), default: "64", help: "Sequences generating at once."),
        SettingSpec("max-waiting", .int(0...1_000_000), default: "256", help: "Queued requests beyond the running ones before 429 (0 refuses every request: for testing clients' 429 handling)."),
        SettingSpec("kv-cache-memory", .memory, default: "1G",
                    help: "KV cache budget: bytes (512M, 2G) or a fraction of physical memory (25%)."),
        SettingSpec("block-size", .int(1...1024), default: "16", help: "Tokens per KV cache page."),
        SettingSpec("kv-cache-dtype", .choice(["f32", "f16", "bf16"]), default: "f16",
                    help: "Element type of cached keys and values (f16 / bf16 halve KV memory; attention computes in f32)."),
        SettingSpec("prefix-cache", .bool, default: "true", help: "Share KV pages of common prompt prefixes between requests."),
        SettingSpec("ctx-size", .optionalInt(1...(1 << 24), unsetMeaning: "min(model, 32768)"), default: nil,
                    help: "Context length (prompt plus output)."),
        SettingSpec("reasoning-format", .choice(["none", "auto", "deepseek"]), default: "auto",
                    help: "Split <think> text into reasoning_content (auto, deepseek) or leave it in content (none)."),
        SettingSpec("reasoning-budget", .int(-1...10_000_000), default: "-1",
                    help: "Tokens a <think> block may hold before the server closes it and the model answers (-1: no limit, 0: no thinking); requests override it with reasoning_budget or reasoning_effort."),
        SettingSpec("ssl-certfile", .string, default: nil, help: "TLS certificate chain (PEM); serves HTTPS together with ssl-keyfile."),
        SettingSpec("ssl-keyfile", .string, default: nil, help: "TLS private key (PEM)."),
        SettingSpec("max-body-bytes", .bytes, default: "8M", help: "Largest request body accepted; larger ones get 413."),
        SettingSpec("idle-timeout", .seconds(0...86400), default: "30", help: "Seconds a keep-alive connection may sit idle."),
        SettingSpec("shutdown-timeout", .seconds(0...86400), default: "30",
                    help: "Seconds running generations may finish after SIGTERM/SIGINT."),
        SettingSpec("allowed-origins", .list, default: "*", help: "CORS origins allowed to call the API (comma-separated; * for any)."),
        SettingSpec("access-log", .bool, default: "true", help: "Log one line per request (method, path, status, tokens, duration)."),
        SettingSpec("log-level", .choice(["trace", "debug", "info", "notice", "warning", "error", "critical"]), default: "info",
                    help: "Lowest log level written."),
        SettingSpec("log-format", .choice(["text", "json"]), default: "text", help: "Log line format: text, or json (one object per line)."),
        SettingSpec("metrics-compat", .choice(["vllm", "none"]), default: "vllm",
                    help: "Also expose vLLM's metric names on /metrics (vllm:num_requests_waiting, ...) for inference gateways (vllm, none)."),
        SettingSpec("loop-guard", .string, default: "off",
                    help: "End a generation whose newest tokens are one block of at most WINDOW tokens repeated REPEATS times (WINDOW:REPEATS, e.g. 32:4; finish_reason length, stop_reason loop), or off; requests may override it (loop_guard)."),
    ]

    /// The spec of `key`.
    public static func spec(_ key: String) -> SettingSpec {
        guard let s = specs.first(where: { $0.key == key }) else { preconditionFailure("no setting '\(key)'") }
        return s
    }

    /// Resolves and checks every setting.
    /// - Throws: ``ConfigurationError`` naming the key, where the value came from, the value and why.
    public static func resolve(_ layers: ConfigurationLayers, physicalMemory: Int = ServeSettings.physicalMemory) throws -> ServeSettings {
        let r = try layers.resolve(specs, physicalMemory: physicalMemory)
        var s = ServeSettings(
            model: r.string("model") ?? defaultModel, host: r.string("host") ?? "127.0.0.1", port: r.int("port") ?? 8080,
            threads: r.int("threads"), servedModelName: r.string("served-model-name"), apiKey: r.string("api-key"),
            apiKeyFile: r.string("api-key-file"), metricsRequireKey: r.bool("metrics-require-key") ?? false,
            strictModelName: r.bool("strict-model-name") ?? false,
            maxBatchedTokens: r.int("max-batched-tokens") ?? 512, maxNumSeqs: r.int("max-num-seqs") ?? 64,
            maxWaiting: r.int("max-waiting") ?? 256, kvCacheBytes: r.int("kv-cache-memory") ?? 1 << 30,
            blockSize: r.int("block-size") ?? 16, kvCacheDType: r.string("kv-cache-dtype") ?? "f16", prefixCache: r.bool("prefix-cache") ?? true, contextSize: r.int("ctx-size"),
            reasoningFormat: r.string("reasoning-format") ?? "auto",
            reasoningBudget: r.int("reasoning-budget") ?? -1, sslCertfile: r.string("ssl-certfile"),
            sslKeyfile: r.string("ssl-keyfile"), maxBodyBytes: r.int("max-body-bytes") ?? 8 << 20,
            idleTimeout: r.double("idle-timeout") ?? 30, shutdownTimeout: r.double("shutdown-timeout") ?? 30,
            allowedOrigins: r.list("allowed-origins") ?? ["*"], accessLog: r.bool("access-log") ?? true,
            logLevel: r.string("log-level") ?? "info", logFormat: r.string("log-format") ?? "text",
            metricsCompat: r.string("metrics-compat") ?? "vllm", loopGuard: nil, sources: r.sources)
        if let text = r.string("loop-guard") {
            guard let value = LoopGuardValue.parse(text) else {
                throw ConfigurationError.invalid(spec("loop-guard"), text, from: r.sources["loop-guard"]!, reason: LoopGuardValue.expectation)
            }
            s.loopGuard = value.window == 0 ? nil : value
        }
        if (s.sslCertfile == nil) != (s.sslKeyfile == nil) {
            let given = s.sslCertfile == nil ? "ssl-keyfile" : "ssl-certfile"
            throw ConfigurationError("'\(given)' is set (from \(r.sources[given]!)) but its partner is not: ssl-certfile and ssl-keyfile go together")
        }
        for key in ["ssl-certfile", "ssl-keyfile"] {
            if let path = r.string(key), !FileManager.default.isReadableFile(atPath: path) {
                throw ConfigurationError.invalid(spec(key), path, from: r.sources[key]!, reason: "a readable PEM file (no such file or not readable)")
            }
        }
        if let path = s.apiKeyFile {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ConfigurationError.invalid(spec("api-key-file"), path, from: r.sources["api-key-file"]!,
                                                 reason: "a readable file of API keys (no such file or not readable)")
            }
        }
        return s
    }

    /// Every accepted API key: the `api-key` values (one per line) and the lines of
    /// `api-key-file` (blank lines and `#` comments skipped).
    /// - Throws: ``ConfigurationError`` naming the file when it cannot be read or holds no key.
    public func apiKeys() throws -> [String] {
        var keys = (apiKey ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let path = apiKeyFile {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError("api-key-file \(path): cannot be read as UTF-8 text")
            }
            let fromFile = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            guard !fromFile.isEmpty else { throw ConfigurationError("api-key-file \(path): holds no key (one per line)") }
            keys += fromFile
        }
        return keys
    }

    /// Physical memory in bytes (for fractional ``kvCacheBytes``); 0 where unknown.
    public static var physicalMemory: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// The settings that differ from their defaults, as `key=value (source)` for the startup log (secrets hidden).
    public var overriddenDescription: String {
        Self.specs.compactMap { spec -> String? in
            guard let src = sources[spec.key], src != .defaultValue else { return nil }
            return "\(spec.key) from \(src)"
        }.joined(separator: ", ")
    }
}

/// The `loop-guard` setting: `WINDOW:REPEATS`, or `off` (parsed as window 0).
public struct LoopGuardValue: Sendable, Equatable {
    public var window: Int
    public var repeats: Int

    public init(window: Int, repeats: Int) {
        self.window = window
        self.repeats = repeats
    }

    /// What a valid value looks like.
    public static let expectation = "WINDOW:REPEATS with WINDOW in 1…1024 and REPEATS in 2…1024 (e.g. 32:4), or off"

    /// Reads `WINDOW:REPEATS` or `off` (window 0); nil when it is neither.
    public static func parse(_ text: String) -> LoopGuardValue? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "off" { return LoopGuardValue(window: 0, repeats: 0) }
        let parts = t.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let r = Int(parts[1]), (1...1024).contains(w), (2...1024).contains(r) else { return nil }
        return LoopGuardValue(window: w, repeats: r)
    }
}
