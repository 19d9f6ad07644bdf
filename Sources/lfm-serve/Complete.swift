import ArgumentParser
import Foundation
import LFMRuntime
import LFMTokenizer
import OrderedJSON

/// `lfm-serve complete`: generate a completion for one prompt and print it as it is produced.
struct Complete: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate a completion for a prompt (printed as it is generated).")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "The prompt text.") var prompt: String
    @Flag(help: "Render the prompt as a user message through the model's chat template.") var chat = false
    @Option(help: "System message (with --chat).") var system: String?
    @Option(name: .customLong("max-tokens"), help: "Maximum tokens to generate.") var maxTokens: Int = 128
    @Option(help: "Sampling temperature; 0 means greedy.") var temperature: Float = 0
    @Option(name: .customLong("top-k"), help: "Top-k (0 = off).") var topK: Int = 0
    @Option(name: .customLong("top-p"), help: "Top-p (1 = off).") var topP: Float = 1
    @Option(name: .customLong("min-p"), help: "Min-p (0 = off).") var minP: Float = 0
    @Option(name: .customLong("repetition-penalty"), help: "Repetition penalty (1 = off).") var repetitionPenalty: Float = 1
    @Option(help: "Random seed (default: random).") var seed: UInt64?
    @Flag(name: .customLong("ignore-eos"), help: "Keep generating past end-of-sequence tokens.") var ignoreEOS = false
    @Flag(help: "Print one JSON object at the end: prompt_ids, ids, text, logprobs.") var json = false

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1, got \(maxTokens)") }
        guard temperature >= 0 && temperature.isFinite else { throw ValidationError("--temperature must be ≥ 0, got \(temperature)") }
        guard topK >= 0 else { throw ValidationError("--top-k must be ≥ 0, got \(topK)") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1], got \(topP)") }
        guard minP >= 0 && minP <= 1 else { throw ValidationError("--min-p must be in [0, 1], got \(minP)") }
        guard repetitionPenalty > 0 else { throw ValidationError("--repetition-penalty must be > 0, got \(repetitionPenalty)") }
    }

    func run() throws {
        let loaded = try modelOptions.load(quiet: json)
        let promptIDs: [Int]
        if chat {
            guard let source = loaded.chatTemplateSource else { throw ValidationError("--chat: the model has no chat template") }
            let template = try ChatTemplate(source: source, bosToken: loaded.tokenizer.bosToken, eosToken: loaded.tokenizer.eosToken)
            var messages: [JSONValue] = []
            if let system { messages.append(["role": "system", "content": .string(system)]) }
            messages.append(["role": "user", "content": .string(prompt)])
            let text = try template.render(messages: messages, addGenerationPrompt: true)
            promptIDs = loaded.tokenizer.encode(text, addSpecialTokens: false)   // the template emits BOS itself
        } else {
            promptIDs = loaded.tokenizer.encode(prompt, addSpecialTokens: true)
        }
        let engine = InferenceEngine(model: loaded, configuration: EngineConfiguration(threads: modelOptions.threads, maxNumSequences: 1))
        defer { engine.shutdown() }
        let sampling = SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP,
                                          repetitionPenalty: repetitionPenalty, seed: seed)
        let request = GenerationRequest(id: "cli", promptTokens: promptIDs, sampling: sampling, maxTokens: maxTokens,
                                        ignoreEOS: ignoreEOS, logprobs: json)
        let printLive = !json
        let start = Date()
        let events = try engine.generate(request) { event in
            guard printLive else { return }
            switch event {
            case .token(let t): FileHandle.standardOutput.write(Data(t.text.utf8))
            case .finished(_, let trailing, _): FileHandle.standardOutput.write(Data((trailing + "\n").utf8))
            case .failed(let m): FileHandle.standardError.write(Data("error: \(m)\n".utf8))
            case .promptLogprobs: break
            }
        }
        var ids: [Int] = [], logprobs: [JSONValue] = [], text = ""
        for e in events {
            switch e {
            case .token(let t): ids.append(t.id); logprobs.append(.double(Double(t.logprob))); text += t.text
            case .finished(_, let trailing, _): text += trailing
            case .failed(let m): throw ValidationError("generation failed: \(m)")
            case .promptLogprobs: break
            }
        }
        if json {
            let out: JSONValue = ["prompt_ids": .array(promptIDs.map { .integer(Int64($0)) }),
                                  "ids": .array(ids.map { .integer(Int64($0)) }), "text": .string(text), "logprobs": .array(logprobs)]
            print(out.serialized())
        } else {
            let secs = Date().timeIntervalSince(start)
            FileHandle.standardError.write(Data(String(format: "%d prompt + %d generated tokens in %.2f s\n", promptIDs.count, ids.count, secs).utf8))
        }
    }
}
