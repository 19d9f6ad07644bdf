import Foundation
import LFMModel
import LFMTestSupport
import LFMTokenizer
import OrderedJSON
import Testing
@testable import LFMRuntime

/// The scripted fixture (scripts/make_scripted_model.py): hand-set weights whose greedy output
/// is a chosen chain (tool call, think block, JSON, endless loop) picked by a trigger word.
/// Our template rendering, tokenizer and engine must reproduce transformers' prompt and
/// greedy ids exactly, for every case in goldens/scripted-chat.json.
@Suite(.serialized) struct ScriptedModelTests {
    static let model = try! LoadedModel.load(path: Fixtures.url("models/scripted-chat").path)

    static func cases() throws -> [JSONValue] {
        let text = try String(contentsOf: Fixtures.url("models/goldens/scripted-chat.json"), encoding: .utf8)
        return try JSONValue.parse(text)["cases"]!.arrayValue!
    }

    static func ints(_ v: JSONValue?) -> [Int] { v!.arrayValue!.map { $0.intValue! } }

    @Test func promptsRenderAndTokenizeLikeTransformers() throws {
        let loaded = Self.model
        let template = try ChatTemplate(source: loaded.chatTemplateSource!, bosToken: loaded.tokenizer.bosToken,
                                        eosToken: loaded.tokenizer.eosToken)
        for c in try Self.cases() {
            let name = c["name"]!.stringValue!
            let tools = c["tools"]!.isNull ? nil : c["tools"]!.arrayValue!
            let rendered = try template.render(messages: c["messages"]!.arrayValue!, tools: tools, addGenerationPrompt: true)
            #expect(rendered == c["rendered"]!.stringValue!, "\(name)")
            #expect(loaded.tokenizer.encode(rendered, addSpecialTokens: false) == Self.ints(c["prompt_ids"]), "\(name)")
        }
    }

    @Test func greedyChainsMatchTransformers() throws {
        let engine = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 4 << 20))
        defer { engine.shutdown() }
        for c in try Self.cases() {
            let name = c["name"]!.stringValue!
            let want = Self.ints(c["greedy_ids"])
            let ev = try engine.generate(GenerationRequest(id: name, promptTokens: Self.ints(c["prompt_ids"]),
                                                           maxTokens: c["max_new_tokens"]!.intValue!))
            // The engine stops on <|im_end|> without reporting it as a token.
            let got = ids(ev)
            let ended = want.last == 7
            #expect(got == (ended ? Array(want.dropLast()) : want), "\(name): \(text(ev))")
            #expect(finish(ev) == (ended ? .stop : .length), "\(name)")
            #expect(text(ev) == c["content_text"]!.stringValue!, "\(name)")
        }
    }

    /// The loop chain never ends by itself: with ignore-EOS off it still runs to max_tokens,
    /// which is what a loop guard has to catch.
    @Test func loopChainRunsToTheLimit() throws {
        let engine = InferenceEngine(model: Self.model, configuration: .init(threads: 2, kvCacheBytes: 4 << 20))
        defer { engine.shutdown() }
        let loop = try Self.cases().first { $0["mode"]!.stringValue! == "loop" }!
        let ev = try engine.generate(GenerationRequest(id: "loop", promptTokens: Self.ints(loop["prompt_ids"]), maxTokens: 64))
        let got = ids(ev)
        #expect(got.count == 64 && finish(ev) == .length)
        #expect(Array(got.prefix(24)) == Self.ints(loop["greedy_ids"]))
        // Period 2 after the first token (" and", " again").
        #expect(got.dropFirst().enumerated().allSatisfy { $0.element == got[1 + $0.offset % 2] })
    }
}
