import Foundation
import LFMGrammar
import LFMTestSupport
import LFMTokenizer
import OrderedJSON
import Testing
@testable import LFMRuntime

/// The canonical-token rule of grammar fast-forward (``FastForward``) with the real LFM2 tokenizer.
@Suite struct FastForwardTests {
    static let tok = try! Tokenizer.load(directory: Fixtures.url("lfm2-tokenizer"))
    var tok: Tokenizer { Self.tok }

    func canonical(after context: [Int], _ forced: String, ends: Bool = false) -> [Int] {
        FastForward.canonicalTokens(forced: ForcedBytes(bytes: Array(forced.utf8), endsOutput: ends), context: context, tokenizer: tok)
    }

    func encode(_ s: String) -> [Int] { tok.encode(s, addSpecialTokens: false) }

    @Test func aKeyAfterItsOpeningQuoteKeepsAllButTheLastPiece() {
        // `{"name"`: pieces `{"` | `name` | `"`; the last may still grow (`":`, `": "`…).
        #expect(canonical(after: encode("{\""), "name\"") == encode("name"))
        #expect(canonical(after: encode("{\""), "customer_email_address\"") == encode("customer_email_address"))
    }

    @Test func nothingWhenTheOutputsLastPieceWouldGrowIntoTheForcedBytes() {
        // `{` then `"name"`: canonical text has the piece `{"`, so the output's `{` is not final.
        #expect(canonical(after: encode("{"), "\"name\"").isEmpty)
        // A context that is not its own canonical tokenization (`{` `"` rather than `{"`).
        let split = [tok.id(forToken: "{")!, tok.id(forToken: "\"")!]
        #expect(encode("{\"") != split)
        #expect(canonical(after: split, "name\"").isEmpty)
    }

    @Test func theEndOfTheOutputKeepsEveryPiece() {
        #expect(canonical(after: [], "hello world", ends: true) == encode("hello world"))
        #expect(canonical(after: [], "hello world") == encode("hello"))
    }

    @Test func piecesEndingInWhitespaceAreDropped() {
        // `,\n` `  ` `"` …: a whitespace run can be split differently once more text follows.
        let kept = canonical(after: encode("{\"a\": 1"), ",\n  \"b")
        #expect(kept.isEmpty || !tok.decode(kept).last!.isWhitespace)
        #expect(canonical(after: encode("x"), " \n ").isEmpty)
    }

    /// The rule's promise: the kept tokens are the ones the canonical tokenization of the final
    /// text holds there. Checked at every token boundary of several JSON texts, with forced
    /// stretches of several lengths (the text after them is the continuation).
    @Test func keptTokensAreTheCanonicalTokensOfTheFinalText() {
        let texts = [
            #"{"name": "Ada", "age": 36, "tags": ["x", "y"], "ok": true}"#,
            #"{"customer_email_address":"ada@example.com","order_id":12345,"items":[{"sku":"A-1","qty":2}]}"#,
            "{\n  \"name\": \"Ada Lovelace\",\n  \"born\": 1815,\n  \"note\": \"héllo wörld\"\n}",
            #"[{"city": "Paris", "unit": "celsius"}, {"city": "São Paulo", "unit": "fahrenheit"}]"#,
        ]
        var checked = 0
        for text in texts {
            let bytes = Array(text.utf8)
            let tokens = encode(text)
            var starts: [Int] = [0]
            for t in tokens { starts.append(starts[starts.count - 1] + tok.bytes(of: t)!.count) }
            for i in 0..<tokens.count {
                for k in [1, 2, 3, 5, 8, 13, 40, bytes.count] {
                    let end = min(bytes.count, starts[i] + k)
                    let forced = ForcedBytes(bytes: Array(bytes[starts[i]..<end]), endsOutput: end == bytes.count)
                    let context = Array(tokens[max(0, i - FastForward.contextTokens)..<i])
                    let kept = FastForward.canonicalTokens(forced: forced, context: context, tokenizer: tok)
                    #expect(Array(tokens[i...].prefix(kept.count)) == kept, "\(text) at token \(i), \(k) forced bytes")
                    checked += kept.count
                }
            }
        }
        #expect(checked > 100)
    }
}

/// Counts forward steps through the engine's observer.
final class StepCounter: EngineObserver, @unchecked Sendable {
    // Safety: `steps` is guarded by `lock`.
    private let lock = NSLock()
    private var count = 0
    var steps: Int { lock.withLock { count } }
    func engineStepCompleted(sequences: Int, tokens: Int, seconds: Double) { lock.withLock { count += 1 } }
    func engineRequestAdmitted(queueSeconds: Double) {}
}

/// Fast-forward through the engine on the scripted fixture, whose greedy output after the
/// "json" prompt is `{"name": "Ada", "age": 36}` in canonical tokens (scripts/make_scripted_model.py):
/// greedy constrained decoding must give the same tokens with fast-forward on and off.
@Suite(.serialized) struct FastForwardEngineTests {
    static let model = try! LoadedModel.load(path: Fixtures.url("models/scripted-chat").path)
    static let compiler = GrammarCompiler(vocabulary: TokenVocabulary(tokenizer: model.tokenizer, eosIDs: model.stopTokenIDs.sorted()))
    static let prompt = model.tokenizer.encode(
        "<|im_start|>system\nReply in JSON.<|im_end|>\n<|im_start|>user\nWho wrote the first program?<|im_end|>\n<|im_start|>assistant\n",
        addSpecialTokens: false)
    static let schema = #"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}"#

    func run(fastForward: Bool, maxTokens: Int = 40, logprobs: Bool = false) throws -> (events: [GenerationEvent], steps: Int) {
        let engine = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 4 << 20, grammarFastForward: fastForward))
        let counter = StepCounter()
        engine.setObserver(counter)
        let grammar = try Self.compiler.compile(.jsonSchema(try .parse(Self.schema), strict: true))
        let events = try engine.generate(GenerationRequest(id: "ff", promptTokens: Self.prompt, maxTokens: maxTokens, logprobs: logprobs,
                                                           constraint: OutputConstraint(grammar: grammar)))
        // The final event comes before its step is reported: count after the engine thread ended.
        engine.shutdown()
        return (events, counter.steps)
    }

    func completionTokens(_ events: [GenerationEvent]) -> Int? {
        for case .finished(_, _, let usage) in events { return usage.completionTokens }
        return nil
    }

    @Test func greedyTokensAreTheSameWithFewerSteps() throws {
        let off = try run(fastForward: false)
        let on = try run(fastForward: true)
        #expect(text(off.events) == #"{"name": "Ada", "age": 36}"#)
        #expect(ids(on.events) == ids(off.events))
        #expect(text(on.events) == text(off.events))
        #expect(finish(on.events) == .stop && finish(off.events) == .stop)
        #expect(completionTokens(on.events) == completionTokens(off.events))
        // `name` and `age` are appended without a step of their own.
        #expect(on.steps == off.steps - 2, "steps with fast-forward \(on.steps), without \(off.steps)")
    }

    /// A strict tool under `tool_choice: "auto"` (grammar triggered by `<|tool_call_start|>`):
    /// after the special token the context is empty, and the function name and the argument
    /// names are appended; the greedy call is the same, in fewer steps.
    @Test func toolCallsAfterTheTriggerAreTheSameWithFewerSteps() throws {
        let tok = Self.model.tokenizer
        let prompt = tok.encode("<|startoftext|><|im_start|>user\nWhat is the weather in Paris?<|im_end|>\n<|im_start|>assistant\n",
                                addSpecialTokens: false)
        let start = try #require(tok.id(forToken: "<|tool_call_start|>")), end = try #require(tok.id(forToken: "<|tool_call_end|>"))
        let parameters = try JSONValue.parse(#"{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}"#)
        let grammar = try Self.compiler.compile(.grammar(ToolCallGrammar.lfm2(tools: [.init(name: "get_weather", parameters: parameters)],
                                                                              startToken: start, endToken: end)))
        var results: [(ids: [Int], text: String, steps: Int)] = []
        for on in [false, true] {
            let engine = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 4 << 20, grammarFastForward: on))
            let counter = StepCounter()
            engine.setObserver(counter)
            let events = try engine.generate(GenerationRequest(id: "t", promptTokens: prompt, maxTokens: 40,
                                                               constraint: OutputConstraint(grammar: grammar, scope: .triggered(by: start))))
            engine.shutdown()
            results.append((ids(events), text(events), counter.steps))
        }
        #expect(results[0].text == #"<|tool_call_start|>[get_weather(city="Paris", unit="celsius")]<|tool_call_end|>"#)
        #expect(results[1].ids == results[0].ids)
        #expect(results[1].steps < results[0].steps, "steps with fast-forward \(results[1].steps), without \(results[0].steps)")
    }

    @Test func maxTokensIsNeverPassed() throws {
        let full = ids(try run(fastForward: false).events)
        for n in 1...3 {
            let on = try run(fastForward: true, maxTokens: n)
            #expect(ids(on.events) == Array(full.prefix(n)))
            #expect(finish(on.events) == .length)
            #expect(completionTokens(on.events) == n)
        }
    }

    @Test func logprobsTurnFastForwardOff() throws {
        let off = try run(fastForward: false, logprobs: true)
        let on = try run(fastForward: true, logprobs: true)
        #expect(ids(on.events) == ids(off.events))
        #expect(on.steps == off.steps)
    }
}

/// Fast-forward under batching and preemption on the random tiny checkpoint: constrained
/// requests run together (a small KV cache forces preemption, a small budget splits steps)
/// give exactly the tokens they give alone, and their outputs follow the schema.
@Suite(.serialized) struct FastForwardBatchingTests {
    static let model = try! LoadedModel.load(path: Fixtures.url("models/tiny-chat").path)
    static let compiler = GrammarCompiler(vocabulary: TokenVocabulary(tokenizer: model.tokenizer, eosIDs: model.stopTokenIDs.sorted()))
    static let schema = #"{"type":"object","properties":{"customer_name":{"type":"string","maxLength":6},"priority_level":{"enum":["low","high"]},"quantity":{"type":"integer","minimum":0,"maximum":9}},"required":["customer_name","priority_level","quantity"],"additionalProperties":false}"#

    @Test(arguments: [(12 * 1024, 512), (1 << 22, 3)])
    func batchedEqualsAlone(kvBytes: Int, batchTokens: Int) throws {
        let grammar = try Self.compiler.compile(.jsonSchema(try .parse(Self.schema), strict: true))
        let requests = (0..<4).map { i in
            GenerationRequest(id: "r\(i)", promptTokens: Self.model.tokenizer.encode("Order \(i) as JSON:"),
                              sampling: i % 2 == 0 ? .greedy : SamplingParameters(temperature: 1, seed: UInt64(i)),
                              maxTokens: 120, constraint: OutputConstraint(grammar: grammar))
        }
        let reference = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 1 << 22))
        let alone = try requests.map { try reference.generate($0) }
        reference.shutdown()
        for events in alone {
            #expect(finish(events) == .stop)
            let o = try #require(try JSONValue.parse(text(events)).objectValue)
            #expect(Array(o.keys) == ["customer_name", "priority_level", "quantity"])
        }
        let engine = InferenceEngine(model: Self.model, configuration: .init(threads: 2, maxBatchedTokens: batchTokens, kvCacheBytes: kvBytes))
        defer { engine.shutdown() }
        // The small cache must be too small for the four together (so some are preempted),
        // whatever lengths the schema's answers come to.
        let total = zip(requests, alone).reduce(0) { $0 + $1.0.promptTokens.count + ids($1.1).count }
        if kvBytes < 1 << 20 {
            try #require(total > engine.contextLength + 32, "\(total) tokens in all for a cache of \(engine.contextLength)")
            for (r, events) in zip(requests, alone) { try #require(r.promptTokens.count + ids(events).count <= engine.contextLength) }
        }
        let boxes = requests.map { _ in EventBox() }
        for (r, b) in zip(requests, boxes) { _ = try engine.submit(r) { b.append($0) } }
        for (i, b) in boxes.enumerated() {
            #expect(ids(b.waitUntilFinished()) == ids(alone[i]), "request \(i)")
        }
        if kvBytes < 1 << 20 { #expect(engine.stats.preemptions > 0) }
    }
}
