import ArgumentParser
import Foundation
import LFMRuntime
import LFMTokenizer
import OrderedJSON

/// `lfm-serve tokenize`: print token ids as JSON arrays.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the token ids of a text (or of each line of a JSON Lines file) as JSON arrays.")

    @Option(help: "Model folder, .gguf file or Hub repo owner/name[@revision][:QUANT] (its tokenizer is used).") var model: String
    @Argument(help: "Text to tokenize.") var text: String?
    @Option(help: "JSON Lines file of strings; prints one JSON array per line.") var input: String?
    @Flag(name: .customLong("no-special"), help: "Do not add special tokens (BOS).") var noSpecial = false

    func validate() throws {
        guard (text == nil) != (input == nil) else { throw ValidationError("give either TEXT or --input FILE") }
    }

    func run() throws {
        let tokenizer = try loadTokenizer(try ModelPath.resolve(model))
        func emit(_ s: String) { print("[" + tokenizer.encode(s, addSpecialTokens: !noSpecial).map(String.init).joined(separator: ", ") + "]") }
        if let text { emit(text); return }
        guard let data = FileManager.default.contents(atPath: input!) else { throw ValidationError("--input: cannot read \(input!)") }
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty { continue }
            guard case .string(let s)? = try? JSONValue.parse(Data(line.utf8)) else {
                throw ValidationError("\(input!): line \(n + 1) is not a JSON string")
            }
            emit(s)
        }
    }
}

/// Loads only the tokenizer of a model folder or GGUF file (no weights needed for a folder).
func loadTokenizer(_ path: String) throws -> Tokenizer {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
        do { return try Tokenizer.load(directory: URL(fileURLWithPath: path)) } catch { throw ValidationError("\(error)") }
    }
    do { return try LoadedModel.load(path: path).tokenizer } catch { throw ValidationError("\(error)") }
}
