import ArgumentParser
import Foundation
import LFMKernels
import LFMModel
import LFMRuntime
import LFMTokenizer
import Locking

/// `lfm-serve bench`: measures prefill and decode speed of a model (like llama-bench's pp/tg),
/// or tokenizer encode throughput on a text file.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure prefill / decode tokens per second (pp/tg) or tokenizer throughput.")

    @Option(help: "Model folder, .gguf file or Hub repo owner/name[@revision][:QUANT].") var model: String
    @Option(help: "Compute threads (default: one per CPU).") var threads: Int = ThreadPoolDefaults.threads
    @Option(name: .customLong("prompt-tokens"), help: "Prefill length (pp).") var promptTokens: Int = 512
    @Option(name: .customLong("gen-tokens"), help: "Decode length (tg).") var genTokens: Int = 128
    @Option(help: "Repetitions; the best is reported, as llama-bench reports the mean of its runs.") var repetitions: Int = 3
    @Option(name: .customLong("tokenizer-text"), help: "Instead: encode this text file and report MB/s and tokens/s.") var tokenizerText: String?
    @Option(help: "Also measure batched decode: this many sequences, one token each per step (0: skip).") var batch: Int = 0
    @Option(name: .customLong("batch-prompt"), help: "Prompt tokens of each batched sequence.") var batchPrompt: Int = 128
    @Option(name: .customLong("batch-steps"), help: "Batched decode steps timed.") var batchSteps: Int = 32
    @Option(name: .customLong("kv-cache-dtype"), help: "KV cache element type: f32, f16 or bf16.") var kvCacheDType: String = "f16"
    @Option(name: .customLong("chunk"), help: "Prefill chunk: tokens per forward step, as the server's max-batched-tokens.") var chunk: Int = 512
    @Option(help: "Decode (tg) from a context of this many prompt tokens (prefilled untimed), as llama-bench -d.") var depth: Int = 0
    @Option(help: "Attention kernel: tiled or per-head (the first kernel, for A/B runs).") var attention: String = "tiled"
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard KVCacheType(name: kvCacheDType) != nil else { throw ValidationError("--kv-cache-dtype must be f32, f16 or bf16, got '\(kvCacheDType)'") }
        guard chunk >= 1 else { throw ValidationError("--chunk must be at least 1, got \(chunk)") }
        guard depth >= 0 else { throw ValidationError("--depth must be 0 or more, got \(depth)") }
        guard attentionKernel != nil else { throw ValidationError("--attention must be tiled or per-head, got '\(attention)'") }
    }

    var kvType: KVCacheType { KVCacheType(name: kvCacheDType) ?? .f16 }
    var attentionKernel: AttentionKernel? { attention == "per-head" ? .perHead : attention == "tiled" ? .tiled : nil }

    /// Feeds `tokens` to `seq` in steps of at most `chunk` tokens (no whole-prompt activation
    /// buffers), logits of the last token only.
    private func prefill(_ lfm: LFM2Model, _ seq: SequenceState, _ tokens: [Int], kv: KVCachePool) throws {
        try seq.reserve(tokens.count, in: kv)
        var i = 0
        while i < tokens.count {
            let n = min(chunk, tokens.count - i)
            _ = try lfm.forward([BatchEntry(sequence: seq, tokens: Array(tokens[i..<(i + n)]), logits: i + n == tokens.count ? .last : .none)], kv: kv)
            i += n
        }
    }

    func run() throws {
        if let path = tokenizerText { return try benchTokenizer(path) }
        let loaded: LoadedModel
        let path = try ModelPath.resolve(model)
        do { loaded = try LoadedModel.load(path: path) } catch { throw ValidationError("cannot load model: \(error)") }
        let rssLoaded = ProcessInfo.residentBytes
        let c = loaded.checkpoint.config
        let lfm = LFM2Model(checkpoint: loaded.checkpoint, threads: threads)
        lfm.attentionKernel = attentionKernel ?? .tiled
        let kv = KVCachePool(config: c, pageSize: 16, pageCount: (max(promptTokens, depth) + genTokens) / 16 + 4, type: kvType)
        var rng = RandomGenerator(seed: 1)
        let tokens = (0..<promptTokens).map { _ in Int(rng.next() % UInt64(min(c.vocabSize, 64000))) }
        var bestPP = 0.0, bestTG = 0.0
        for _ in 0..<max(1, repetitions) {
            let seq = SequenceState(config: c)
            var t0 = Date()
            try prefill(lfm, seq, tokens, kv: kv)
            bestPP = max(bestPP, Double(promptTokens) / Date().timeIntervalSince(t0))
            seq.release(to: kv)
            // tg: decode from a context of `depth` tokens (llama-bench's tg starts empty; -d sets it).
            let dec = SequenceState(config: c)
            if depth > 0 {
                try prefill(lfm, dec, (0..<depth).map { tokens.isEmpty ? 1 : tokens[$0 % tokens.count] }, kv: kv)
            }
            t0 = Date()
            var tok = 1
            for _ in 0..<genTokens {
                try dec.reserve(1, in: kv)
                let out = try lfm.forward([BatchEntry(sequence: dec, tokens: [tok], logits: .last)], kv: kv)
                tok = Sampler.argmax(Array(out.last(of: 0)!))
            }
            bestTG = max(bestTG, Double(genTokens) / Date().timeIntervalSince(t0))
            dec.release(to: kv)
        }
        let batched = batch > 0 ? try benchBatch(lfm, config: c) : nil
        let types = loaded.checkpoint.typeCounts.sorted { $0.value > $1.value }.map(\.key).joined(separator: "+")
        let rss = ProcessInfo.residentBytes
        if json {
            var extra = ""
            if let b = batched {
                extra = String(format: #","batch":%d,"batch_tok_s":%.2f,"batch_gops":%.1f,"peak_int8_gops":%.1f"#, batch, b.tokS, b.gops, b.peak)
            }
            print(#"{"model":"\#(model)","types":"\#(types)","threads":\#(threads),"attention":"\#(attention)","chunk":\#(chunk),"depth":\#(depth),"pp":\#(promptTokens),"pp_tok_s":\#(String(format: "%.2f", bestPP)),"tg":\#(genTokens),"tg_tok_s":\#(String(format: "%.2f", bestTG)),"file_mib":\#(loaded.checkpoint.fileBytes / 1048576),"rss_loaded_mib":\#(rssLoaded / 1048576),"rss_mib":\#(rss / 1048576)\#(extra)}"#)
        } else {
            if let b = batched {
                print(String(format: "batched decode: %d sequences (prompt %d) × %d steps: %.1f tok/s, matrix products %.0f GOP/s = %.0f%% of the int8 peak %.0f GOP/s",
                             batch, batchPrompt, batchSteps, b.tokS, b.gops, b.peak > 0 ? 100 * b.gops / b.peak : 0, b.peak))
            }
            print(String(format: "%@ [%@] threads %d, %@ attention: pp%d %.1f tok/s, tg%d@d%d %.1f tok/s, file %.0f MiB, RSS after load %.0f MiB, after run %.0f MiB",
                         model, types, threads, attention, promptTokens, bestPP, genTokens, depth, bestTG, Double(loaded.checkpoint.fileBytes) / 1048576,
                         Double(rssLoaded) / 1048576, Double(rss) / 1048576))
        }
    }

    /// `batch` sequences with `batchPrompt`-token prompts, then `batchSteps` steps of one token
    /// each (as llama-batched-bench's S_TG): aggregate tok/s and the matrix products' GOP/s
    /// (2 ops per weight per token) next to the measured int8 peak of all threads.
    private func benchBatch(_ lfm: LFM2Model, config c: LFM2Config) throws -> (tokS: Double, gops: Double, peak: Double) {
        let kv = KVCachePool(config: c, pageSize: 16, pageCount: batch * ((batchPrompt + batchSteps) / 16 + 2), type: kvType)
        var rng = RandomGenerator(seed: 2)
        let seqs = (0..<batch).map { _ in SequenceState(config: c) }
        for s in seqs {
            let prompt = (0..<batchPrompt).map { _ in Int(rng.next() % UInt64(min(c.vocabSize, 64000))) }
            try s.reserve(batchPrompt, in: kv)
            _ = try lfm.forward([BatchEntry(sequence: s, tokens: prompt, logits: .last)], kv: kv)
        }
        var next = [Int](repeating: 1, count: batch)
        let t0 = Date()
        for _ in 0..<batchSteps {
            for s in seqs { try s.reserve(1, in: kv) }
            let out = try lfm.forward(seqs.enumerated().map { BatchEntry(sequence: $1, tokens: [next[$0]], logits: .last) }, kv: kv)
            for i in 0..<batch { next[i] = Sampler.argmax(Array(out.last(of: i)!)) }
        }
        let best = Double(batch * batchSteps) / Date().timeIntervalSince(t0)
        for s in seqs { s.release(to: kv) }
        let w = lfm.weights
        var params = w.outputMatrix.rows * w.outputMatrix.columns
        for l in w.layers {
            for t in [l.w1, l.w2, l.w3, l.inProj, l.outProj, l.q, l.k, l.v, l.o].compactMap({ $0 }) { params += t.rows * t.columns }
            params += l.moe?.activeElements(expertsPerToken: lfm.config.moe?.expertsPerToken ?? 0) ?? 0
        }
        let gops = 2 * Double(params) * best / 1e9
        // Peak: the int8 probe on every pool thread at once.
        let iters: Int64 = 20_000_000
        let p0 = Date()
        let ops = Locked(0.0)
        lfm.pool.parallelFor(lfm.pool.threadCount) { _, _ in
            let n = Kernels.int8PeakProbe(iterations: iters)
            ops.withLock { $0 += n }
        }
        let peak = ops.withLock { $0 } / Date().timeIntervalSince(p0) / 1e9
        return (best, gops, peak)
    }

    private func benchTokenizer(_ path: String) throws {
        let tokenizer = try loadTokenizer(model)
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        var best = Double.infinity
        var count = 0
        for _ in 0..<max(1, repetitions) {
            let t0 = Date()
            count = 0
            for l in lines { count += tokenizer.encode(l, addSpecialTokens: false).count }
            best = min(best, Date().timeIntervalSince(t0))
        }
        print(String(format: "tokenizer: %d lines, %.2f MB, %d tokens in %.3f s: %.2f MB/s, %.0f tokens/s",
                     lines.count, Double(data.count) / 1e6, count, best, Double(data.count) / 1e6 / best, Double(count) / best))
    }
}
