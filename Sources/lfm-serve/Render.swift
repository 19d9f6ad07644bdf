import ArgumentParser
import Foundation
import LFMRuntime
import LFMTokenizer
import OrderedJSON

/// `lfm-serve render`: print a conversation rendered through the model's chat template.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Render chat messages (JSON) through the model's chat template.")

    @Option(help: "Model folder, .gguf file or Hub repo owner/name[@revision][:QUANT].") var model: String
    @Option(help: "JSON file with an array of messages ({\"role\", \"content\", …}).") var messages: String
    @Option(help: "JSON file with an array of OpenAI tools.") var tools: String?
    @Flag(name: .customLong("no-generation-prompt"), help: "Do not append the assistant turn opener.") var noGenerationPrompt = false

    func run() throws {
        func readArray(_ path: String, _ flag: String) throws -> [JSONValue] {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(flag): cannot read \(path)") }
            let value: JSONValue
            do { value = try JSONValue.parse(data) } catch { throw ValidationError("\(flag): \(path) is not valid JSON: \(error)") }
            guard let a = value.arrayValue else { throw ValidationError("\(flag): \(path) must hold a JSON array") }
            return a
        }
        let msgs = try readArray(messages, "--messages")
        let toolList = try tools.map { try readArray($0, "--tools") }
        let model = try ModelPath.resolve(self.model)
        var isDir: ObjCBool = false
        let template: ChatTemplate
        if FileManager.default.fileExists(atPath: model, isDirectory: &isDir), isDir.boolValue {
            do { template = try ChatTemplate.load(fromModelDirectory: URL(fileURLWithPath: model)) } catch { throw ValidationError("\(error)") }
        } else {
            let loaded: LoadedModel
            do { loaded = try LoadedModel.load(path: model) } catch { throw ValidationError("\(error)") }
            guard let source = loaded.chatTemplateSource else { throw ValidationError("\(model) has no chat template") }
            template = try ChatTemplate(source: source, bosToken: loaded.tokenizer.bosToken, eosToken: loaded.tokenizer.eosToken)
        }
        do {
            print(try template.render(messages: msgs, tools: toolList, addGenerationPrompt: !noGenerationPrompt), terminator: "")
        } catch {
            throw ValidationError("template error: \(error)")
        }
    }
}
