import Foundation
import LFMTestSupport
import Testing
@testable import LFMTokenizer

@Suite struct TokenizerErrorTests {
    private func write(_ json: String) throws -> URL {
        let dir = try Fixtures.temporaryDirectory()
        try json.write(to: dir.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
        return dir
    }

    private let validPre = #"{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"PATTERN"},"behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]}"#

    private func tokenizerJSON(model: String = #"{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":[["a","b"]]}"#,
                               pre: String? = nil, normalizer: String = "null") -> String {
        let p = pre ?? validPre.replacingOccurrences(of: "PATTERN", with: PreTokenizer.pattern
            .replacingOccurrences(of: "\\", with: "\\\\"))
        return #"{"normalizer":\#(normalizer),"pre_tokenizer":\#(p),"decoder":{"type":"ByteLevel"},"added_tokens":[],"model":\#(model)}"#
    }

    @Test func minimalValidFileLoads() throws {
        let dir = try write(tokenizerJSON())
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Tokenizer.load(directory: dir)
        #expect(t.encode("ab", addSpecialTokens: false) == [2])
    }

    @Test func missingFileIsNamed() {
        let dir = URL(fileURLWithPath: "/nonexistent-lfm-dir")
        #expect(throws: TokenizerError.missingFile("/nonexistent-lfm-dir/tokenizer.json")) { try Tokenizer.load(directory: dir) }
    }

    @Test func malformedJSONIsNamed() throws {
        let dir = try write("{ not json")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect {
            try Tokenizer.load(directory: dir)
        } throws: { e in
            "\(e)".contains("tokenizer.json") && "\(e)".contains("not valid JSON")
        }
    }

    @Test func unknownModelType() throws {
        let dir = try write(tokenizerJSON(model: #"{"type":"Unigram","vocab":[]}"#))
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect { try Tokenizer.load(directory: dir) } throws: { "\($0)".contains("model type 'Unigram'") }
    }

    @Test func unknownPreTokenizer() throws {
        let dir = try write(tokenizerJSON(pre: #"{"type":"Whitespace"}"#))
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect { try Tokenizer.load(directory: dir) } throws: { "\($0)".contains("pre_tokenizer 'Whitespace'") }
    }

    @Test func unsupportedNormalizer() throws {
        let dir = try write(tokenizerJSON(normalizer: #"{"type":"NFC"}"#))
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect { try Tokenizer.load(directory: dir) } throws: { "\($0)".contains("normalizer 'NFC'") }
    }

    @Test func mergeWithUnknownTokenIsNamed() throws {
        let dir = try write(tokenizerJSON(model: #"{"type":"BPE","vocab":{"a":0,"b":1},"merges":[["a","b"]]}"#))
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect { try Tokenizer.load(directory: dir) } throws: { "\($0)".contains("merge 0") }
    }

    @Test func ggufRejectsOtherTokenizerModels() {
        #expect(throws: TokenizerError.self) {
            try Tokenizer.fromGGUF(model: "llama", pre: nil, tokens: [], types: [], merges: [], bosID: nil, eosID: nil,
                                   padID: nil, addBOS: false, source: "x.gguf")
        }
    }
}
