import ArgumentParser
import Foundation
import LFMModel
import LFMRuntime
import LFMTokenizer

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
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        if let path = tokenizerText { return try benchTokenizer(path) }
        let loaded: LoadedModel
        let path = try ModelPath.resolve(model)
        do { loaded = try LoadedModel.load(path: path) } catch { throw ValidationError("cannot load model: \(error)") }
        let rssLoaded = ProcessInfo.residentBytes
        let c = loaded.checkpoint.config
        let lfm = LFM2Model(checkpoint: loaded.checkpoint, threads: threads)
        let kv = KVCachePool(config: c, pageSize: 16, pageCount: (promptTokens + genTokens) / 16 + 4)
        var rng = RandomGenerator(seed: 1)
        let tokens = (0..<promptTokens).map { _ in Int(rng.next() % UInt64(min(c.vocabSize, 64000))) }
        var bestPP = 0.0, bestTG = 0.0
        for _ in 0..<max(1, repetitions) {
            let seq = SequenceState(config: c)
            try seq.reserve(promptTokens, in: kv)
            var t0 = Date()
            _ = try lfm.forward([BatchEntry(sequence: seq, tokens: tokens, logits: .last)], kv: kv)
            bestPP = max(bestPP, Double(promptTokens) / Date().timeIntervalSince(t0))
            seq.release(to: kv)
            // tg: decode from an empty context, as llama-bench's tg test does.
            let dec = SequenceState(config: c)
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
        let types = loaded.checkpoint.typeCounts.sorted { $0.value > $1.value }.map(\.key).joined(separator: "+")
        let rss = ProcessInfo.residentBytes
        if json {
            print(#"{"model":"\#(model)","types":"\#(types)","threads":\#(threads),"pp":\#(promptTokens),"pp_tok_s":\#(String(format: "%.2f", bestPP)),"tg":\#(genTokens),"tg_tok_s":\#(String(format: "%.2f", bestTG)),"file_mib":\#(loaded.checkpoint.fileBytes / 1048576),"rss_loaded_mib":\#(rssLoaded / 1048576),"rss_mib":\#(rss / 1048576)}"#)
        } else {
            print(String(format: "%@ [%@] threads %d: pp%d %.1f tok/s, tg%d %.1f tok/s, file %.0f MiB, RSS after load %.0f MiB, after run %.0f MiB",
                         model, types, threads, promptTokens, bestPP, genTokens, bestTG, Double(loaded.checkpoint.fileBytes) / 1048576,
                         Double(rssLoaded) / 1048576, Double(rss) / 1048576))
        }
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
