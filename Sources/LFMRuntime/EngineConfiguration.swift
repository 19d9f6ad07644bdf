/// Scheduling and memory settings of the inference engine, with documented defaults.
public struct EngineConfiguration: Sendable, Equatable {
    /// Compute threads (the engine thread plus workers). Default: one per CPU.
    public var threads: Int
    /// Tokens per forward step (decode tokens first, then prefill chunks). Default 512.
    public var maxBatchedTokens: Int
    /// Sequences generating at once. Default 64.
    public var maxNumSequences: Int
    /// Requests allowed to wait beyond the running ones before `queueFull`. Default 256.
    public var maxWaiting: Int
    /// Tokens per KV page. Default 16.
    public var pageSize: Int
    /// Bytes for KV pages. Default 1 GiB.
    public var kvCacheBytes: Int
    /// Context length limit (prompt + output); nil uses min(config max positions, 32768).
    public var contextLength: Int?
    /// Share full KV pages (with conv-state snapshots) across requests. Default on.
    public var prefixCaching: Bool
    /// Element type of K and V in the pages. Default f32 (the server's default is chosen in its settings).
    public var kvCacheType: KVCacheType
    /// Append the tokens a structured-output grammar forces without sampling them (grammar
    /// fast-forward, docs/architecture.md). Default on; `LFM_GRAMMAR_FAST_FORWARD=0` in the
    /// environment turns the default off (for A/B measurements).
    public var grammarFastForward: Bool

    public init(threads: Int = ThreadPoolDefaults.threads, maxBatchedTokens: Int = 512, maxNumSequences: Int = 64,
                maxWaiting: Int = 256, pageSize: Int = 16, kvCacheBytes: Int = 1 << 30, contextLength: Int? = nil,
                prefixCaching: Bool = true, kvCacheType: KVCacheType = .f32,
                grammarFastForward: Bool = EngineConfiguration.fastForwardDefault) {
        self.kvCacheType = kvCacheType
        self.grammarFastForward = grammarFastForward
        self.threads = threads
        self.maxBatchedTokens = maxBatchedTokens
        self.maxNumSequences = maxNumSequences
        self.maxWaiting = maxWaiting
        self.pageSize = pageSize
        self.kvCacheBytes = kvCacheBytes
        self.contextLength = contextLength
        self.prefixCaching = prefixCaching
    }
}

import Foundation
import LFMKernels

extension EngineConfiguration {
    /// The default of ``grammarFastForward``: on unless `LFM_GRAMMAR_FAST_FORWARD` is `0`.
    public static var fastForwardDefault: Bool {
        ProcessInfo.processInfo.environment["LFM_GRAMMAR_FAST_FORWARD"] != "0"
    }
}

/// Defaults shared with the command line.
public enum ThreadPoolDefaults {
    /// One compute thread per online CPU.
    public static var threads: Int { ThreadPool.onlineCPUs }
}
