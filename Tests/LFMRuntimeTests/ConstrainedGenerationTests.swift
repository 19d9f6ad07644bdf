import Foundation
import LFMGrammar
import LFMModel
import LFMTestSupport
import OrderedJSON
import Testing
@testable import LFMRuntime

/// Grammar-constrained generation through the engine on a random tiny checkpoint: whatever
/// the random weights prefer, the output follows the grammar and ends when it completes.
@Suite(.serialized) struct ConstrainedGenerationTests {
    static let model = try! LoadedModel.load(path: Fixtures.url("models/tiny-chat").path)
    static let compiler = GrammarCompiler(vocabulary: TokenVocabulary(tokenizer: model.tokenizer, eosIDs: model.stopTokenIDs.sorted()))

    static let schema = try! JSONValue.parse("""
        {"type": "object", "properties": {"name": {"type": "string", "maxLength": 8},
         "n": {"type": "integer", "minimum": 0, "maximum": 999}, "ok": {"type": "boolean"},
         "tags": {"type": "array", "items": {"enum": ["x", "y"]}, "maxItems": 3}},
         "required": ["name", "n", "ok", "tags"], "additionalProperties": false}
        """)

    @Test func sampledOutputsFollowTheSchemaAndStop() throws {
        let engine = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 4 << 20))
        defer { engine.shutdown() }
        let grammar = try Self.compiler.compile(.jsonSchema(Self.schema, strict: true))
        let prompt = Self.model.tokenizer.encode("Describe a person as JSON:")
        for seed in 1...4 as ClosedRange<UInt64> {
            var sampling = SamplingParameters()
            sampling.temperature = 1
            sampling.seed = seed
            let events = try engine.generate(GenerationRequest(id: "c\(seed)", promptTokens: prompt, sampling: sampling, maxTokens: 400,
                                                               logprobs: true, constraint: OutputConstraint(grammar: grammar)))
            #expect(finish(events) == .stop)
            let value = try JSONValue.parse(text(events))
            let o = try #require(value.objectValue)
            #expect(Array(o.keys) == ["name", "n", "ok", "tags"])
            #expect((o["name"]?.stringValue?.count ?? 99) <= 8)
            #expect((0...999).contains(o["n"]?.intValue ?? -1))
            #expect(o["ok"]?.boolValue != nil)
            #expect(o["tags"]?.arrayValue?.allSatisfy { $0 == "x" || $0 == "y" } == true)
            // Log-probabilities are of the constrained distribution: finite and ≤ 0.
            for case .token(let t) in events { #expect(t.logprob <= 0 && t.logprob.isFinite) }
        }
    }

    @Test func ignoreEOSStillEndsWhenTheGrammarCompletes() throws {
        let engine = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 4 << 20))
        defer { engine.shutdown() }
        let grammar = try Self.compiler.compile(.choice(["alpha", "beta"]))
        let events = try engine.generate(GenerationRequest(id: "c", promptTokens: Self.model.tokenizer.encode("Pick:"), maxTokens: 50,
                                                           ignoreEOS: true, constraint: OutputConstraint(grammar: grammar)))
        #expect(["alpha", "beta"].contains(text(events)))
        #expect(finish(events) == .stop)
    }
}

/// The reasoning budget through the engine on the scripted fixture, whose greedy output for
/// " think" is a think block then an answer (scripts/make_scripted_model.py).
@Suite(.serialized) struct ReasoningBudgetEngineTests {
    @Test func theBlockIsClosedAtItsBudgetWithTheCloseTokens() throws {
        let model = try LoadedModel.load(path: Fixtures.url("models/scripted-chat").path)
        let engine = InferenceEngine(model: model, configuration: .init(threads: 2, kvCacheBytes: 4 << 20))
        defer { engine.shutdown() }
        let tok = model.tokenizer
        let prompt = tok.encode("<|im_start|>user\nPlease think first: what is six times seven?<|im_end|>\n<|im_start|>assistant\n",
                                addSpecialTokens: false)
        let free = try engine.generate(GenerationRequest(id: "f", promptTokens: prompt, maxTokens: 60))
        #expect(text(free).hasPrefix("<think>\nThe user wants a short answer.\n</think>"))
        let close = tok.encode("\n</think>\n\n", addSpecialTokens: false)
        let limited = try engine.generate(GenerationRequest(id: "l", promptTokens: prompt, maxTokens: 60,
                                                            reasoningLimit: ReasoningLimit(budget: 2, closeTokens: close, startsInside: false)))
        let out = ids(limited)
        let opened = tok.encode("<think>", addSpecialTokens: false).count
        // The tag, two tokens of reasoning, then exactly the close tokens.
        #expect(Array(out.prefix(opened + 2)) == Array(ids(free).prefix(opened + 2)))
        #expect(Array(out.dropFirst(opened + 2).prefix(close.count)) == close)
        #expect(text(limited).components(separatedBy: "</think>").count == 2)
    }
}
