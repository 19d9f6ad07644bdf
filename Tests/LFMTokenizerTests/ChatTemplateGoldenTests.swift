import Foundation
import LFMTestSupport
import LFMJinja
import LFMTokenizer
import OrderedJSON
import Testing

/// One conversation rendered with one template by transformers (scripts/make_chat_goldens.py).
struct ChatGoldenCase: Sendable, CustomTestStringConvertible {
    var name: String
    var template: String
    var input: JSONValue
    var result: JSONValue
    var testDescription: String { "\(name) @ \(template)" }
}

enum ChatGoldens {
    static let file: JSONValue = {
        let url = Fixtures.root.appendingPathComponent("chat-templates/chat-goldens.json")
        return (try? JSONValue.parse(Data(contentsOf: url))) ?? .null
    }()

    static var cases: [ChatGoldenCase] {
        var out: [ChatGoldenCase] = []
        for c in file["cases"]?.arrayValue ?? [] {
            for (template, result) in c["results"]?.objectValue ?? [:] {
                out.append(ChatGoldenCase(name: c["name"]?.stringValue ?? "", template: template, input: c, result: result))
            }
        }
        return out
    }

    /// The instant the script pins strftime_now() to, read in UTC.
    static let date = Date(timeIntervalSince1970: 1_741_943_107)

    static func template(_ file: String) throws -> ChatTemplate {
        let url = Fixtures.root.appendingPathComponent("templates/\(file)")
        return try ChatTemplate(source: String(contentsOf: url, encoding: .utf8), bosToken: "<|startoftext|>",
                                eosToken: "<|im_end|>", otherSpecialTokens: ["pad_token": "<|pad|>"])
    }
}

@Suite struct ChatTemplateGoldenTests {
    @Test func coversEnoughConversations() {
        #expect((ChatGoldens.file["cases"]?.arrayValue?.count ?? 0) >= 30)
        #expect(ChatGoldens.cases.count >= 90)
    }

    @Test(arguments: ChatGoldens.cases)
    func rendersLikeTransformers(_ golden: ChatGoldenCase) throws {
        let template = try ChatGoldens.template(golden.template)
        var kwargs: [String: JSONValue] = [:]
        for (k, v) in golden.input["kwargs"]?.objectValue ?? [:] { kwargs[k] = v }
        let render = { () throws -> String in
            try template.render(messages: golden.input["messages"]?.arrayValue ?? [],
                                tools: golden.input["tools"]?.arrayValue,
                                addGenerationPrompt: golden.input["add_generation_prompt"]?.boolValue ?? false,
                                extraContext: kwargs, date: ChatGoldens.date, timeZone: TimeZone(identifier: "UTC")!)
        }
        if let expected = golden.result["text"]?.stringValue {
            let text = try render()
            #expect(text == expected)
            // The rendered prompt tokenizes to the ids transformers produced (no second BOS).
            if let ids = golden.result["ids"]?.arrayValue?.compactMap(\.intValue) {
                #expect(lfm2Tokenizer.encode(text, addSpecialTokens: false) == ids)
            }
            if text != expected {
                let diff = zip(text.unicodeScalars, expected.unicodeScalars).prefix { $0 == $1 }.count
                Issue.record("first difference at scalar \(diff): got …\(String(String.UnicodeScalarView(text.unicodeScalars.dropFirst(max(0, diff - 20)).prefix(60))))")
            }
        } else {
            #expect(throws: TemplateError.self) { try render() }
        }
    }

    @Test func loadsFromModelDirectory() throws {
        let dir = Fixtures.root.appendingPathComponent("lfm2-tokenizer")
        let template = try ChatTemplate.load(fromModelDirectory: dir)
        #expect(template.bosToken == "<|startoftext|>")
        #expect(template.eosToken == "<|im_end|>")
        #expect(template.specialTokens["pad_token"] == "<|pad|>")
        let text = try template.render(messages: [["role": "user", "content": "Hi"]], addGenerationPrompt: true)
        #expect(text == "<|startoftext|><|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func loadsTemplateListFromTokenizerConfig() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chat-template-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config: JSONValue = [
            "bos_token": ["content": "<s>", "lstrip": false],
            "eos_token": "</s>",
            "chat_template": [["name": "tool_use", "template": "T"], ["name": "default", "template": "{{ bos_token }}D{{ eos_token }}"]],
        ]
        try Data(config.serializedBytes()).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        let template = try ChatTemplate.load(fromModelDirectory: dir)
        #expect(try template.render(messages: [["role": "user", "content": "x"]], addGenerationPrompt: false) == "<s>D</s>")
    }

    @Test func emptyConversationIsAnError() throws {
        let template = try ChatGoldens.template("LFM2-8B-A1B.jinja")
        #expect(throws: TemplateError.self) { try template.render(messages: [], addGenerationPrompt: true) }
    }

    /// A long conversation renders every turn once, in order, and ends with the
    /// generation prompt (the template's loop and think-stripping over 30 messages).
    @Test func thirtyMessageRenderKeepsEveryTurnInOrder() throws {
        let template = try ChatGoldens.template("LFM2.5-8B-A1B.jinja")
        var messages: [JSONValue] = [["role": "system", "content": "You are helpful."]]
        var expectedOrder: [String] = []
        for i in 0..<15 {
            messages.append(["role": "user", "content": .string("question \(i) with some text")])
            messages.append(["role": "assistant", "content": .string("<think>t</think>answer \(i)")])
            expectedOrder += ["question \(i) with some text", "answer \(i)<|im_end|>"]
        }
        let text = try template.render(messages: messages, addGenerationPrompt: true)
        var rest = Substring(text)
        for piece in expectedOrder {
            guard let range = rest.range(of: piece) else {
                Issue.record("missing or out of order: \(piece)")
                return
            }
            rest = rest[range.upperBound...]
        }
        #expect(text.hasSuffix("<|im_start|>assistant\n"))
        // Past assistant turns lose their reasoning; only the last one keeps it.
        #expect(text.components(separatedBy: "<think>").count == 2)
        #expect(try template.render(messages: messages, addGenerationPrompt: true) == text)
    }
}
