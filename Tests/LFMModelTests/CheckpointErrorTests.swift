import Foundation
import LFMTestSupport
import Testing
@testable import LFMModel

/// Every malformed-checkpoint case gives an error naming the file and the problem.
@Suite struct CheckpointErrorTests {
    private func copyOf(_ name: String) throws -> URL {
        let dir = try Fixtures.temporaryDirectory()
        let dst = dir.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Fixtures.url("models/\(name)"), to: dst)
        return dst
    }

    private func expectError(_ path: String, _ fragments: String...) {
        #expect {
            _ = try Checkpoint.load(path: path)
        } throws: { e in
            let s = "\(e)"
            return fragments.allSatisfy { s.contains($0) }
        }
    }

    @Test func missingPath() { expectError("/nonexistent/model", "/nonexistent/model", "not found") }

    @Test func missingConfig() throws {
        let d = try copyOf("tiny-a")
        try FileManager.default.removeItem(at: d.appendingPathComponent("config.json"))
        expectError(d.path, "config.json", "not found")
    }

    @Test func missingWeights() throws {
        let d = try copyOf("tiny-a")
        try FileManager.default.removeItem(at: d.appendingPathComponent("model.safetensors"))
        expectError(d.path, "model.safetensors", "not found")
    }

    @Test func unknownArchitecture() throws {
        let d = try copyOf("tiny-a")
        let cfg = d.appendingPathComponent("config.json")
        let text = try String(contentsOf: cfg, encoding: .utf8).replacingOccurrences(of: "Lfm2ForCausalLM", with: "LlamaForCausalLM")
        try text.write(to: cfg, atomically: true, encoding: .utf8)
        expectError(d.path, "LlamaForCausalLM", "unsupported architecture")
    }

    @Test func shapeMismatch() throws {
        let d = try copyOf("tiny-a")
        let cfg = d.appendingPathComponent("config.json")
        let text = try String(contentsOf: cfg, encoding: .utf8).replacingOccurrences(of: "\"vocab_size\": 512", with: "\"vocab_size\": 1024")
        try text.write(to: cfg, atomically: true, encoding: .utf8)
        expectError(d.path, "model.embed_tokens.weight", "shape")
    }

    @Test func missingTensorInShard() throws {
        let d = try copyOf("tiny-b")
        let idx = d.appendingPathComponent("model.safetensors.index.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: idx)) as! [String: Any]
        var map = json["weight_map"] as! [String: String]
        let shard = map["model.layers.3.ffn_norm.weight"]!
        // Remove the shard holding this tensor from disk and the index: its tensors are now missing.
        try FileManager.default.removeItem(at: d.appendingPathComponent(shard))
        map = map.filter { $0.value != shard }
        json["weight_map"] = map
        try JSONSerialization.data(withJSONObject: json).write(to: idx)
        #expect { _ = try Checkpoint.load(path: d.path) } throws: { "\($0)".contains("is missing") }
    }

    @Test func truncatedSafetensors() throws {
        let d = try copyOf("tiny-a")
        let f = d.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: f)
        try data.prefix(data.count / 2).write(to: f)
        expectError(d.path, "model.safetensors", "truncated")
    }

    @Test func garbageSafetensorsHeader() throws {
        let d = try copyOf("tiny-a")
        try Data([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 1, 2, 3]).write(to: d.appendingPathComponent("model.safetensors"))
        expectError(d.path, "model.safetensors", "header length")
    }

    @Test func unsupportedSafetensorsDType() throws {
        let d = try Fixtures.temporaryDirectory()
        try FileManager.default.copyItem(at: Fixtures.url("models/tiny-a/config.json"), to: d.appendingPathComponent("config.json"))
        let header = #"{"model.embed_tokens.weight":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}}"#
        var data = Data()
        var n = UInt64(header.utf8.count).littleEndian
        data.append(Data(bytes: &n, count: 8))
        data.append(Data(header.utf8))
        data.append(Data([1, 2]))
        try data.write(to: d.appendingPathComponent("model.safetensors"))
        expectError(d.path, "model.embed_tokens.weight", "unsupported type I8")
    }

    @Test func ggufBadMagicAndTruncation() throws {
        let d = try copyOf("tiny-a-q8_0.gguf")
        var data = try Data(contentsOf: d)
        let truncated = d.deletingLastPathComponent().appendingPathComponent("cut.gguf")
        try data.prefix(data.count - 1000).write(to: truncated)
        expectError(truncated.path, "cut.gguf", "truncated")
        let header = d.deletingLastPathComponent().appendingPathComponent("head.gguf")
        try data.prefix(100).write(to: header)
        expectError(header.path, "head.gguf")
        data[0] = 0x41
        try data.write(to: d)
        expectError(d.path, "bad magic")
    }

    @Test func ggufUnsupportedTensorType() throws {
        let d = try copyOf("tiny-a-q8_0.gguf")
        var data = try Data(contentsOf: d)
        // Rewrite the type of the first Q8_0 tensor info (u32 8 following its dims) to Q5_1 (7).
        let name = Data("token_embd.weight".utf8)
        let r = data.range(of: name)!
        let typeOffset = r.upperBound + 4 + 2 * 8   // n_dims u32 + two u64 dims
        #expect(data[typeOffset] == 8)
        data[typeOffset] = 7
        try data.write(to: d)
        expectError(d.path, "token_embd.weight", "unsupported type")
    }

    @Test func ggufWrongArchitecture() throws {
        let d = try copyOf("tiny-a-f32.gguf")
        var data = try Data(contentsOf: d)
        let r = data.range(of: Data("lfm2".utf8))!   // general.architecture's value comes first
        data.replaceSubrange(r, with: Data("gpt2".utf8))
        try data.write(to: d)
        expectError(d.path, "gpt2")
    }

    @Test func moeExpertWidthDisagreesWithTensors() throws {
        let d = try copyOf("moe-a")
        let cfg = d.appendingPathComponent("config.json")
        let text = try String(contentsOf: cfg, encoding: .utf8).replacingOccurrences(of: "\"moe_intermediate_size\": 32", with: "\"moe_intermediate_size\": 64")
        try text.write(to: cfg, atomically: true, encoding: .utf8)
        expectError(d.path, "model.layers.2.feed_forward.experts.0.w1.weight", "shape")
    }

    /// Patches the u32 value of a GGUF metadata key in a copy of `name`.
    private func ggufWith(_ name: String, key: String, value: UInt32) throws -> URL {
        let f = try copyOf(name)
        var bytes = [UInt8](try Data(contentsOf: f))
        let k = Array(key.utf8)
        let at = (0...(bytes.count - k.count)).first { bytes[$0..<($0 + k.count)].elementsEqual(k) }!
        let v = at + k.count + 4   // value type (u32), then the value
        for i in 0..<4 { bytes[v + i] = UInt8((value >> (8 * UInt32(i))) & 0xff) }
        try Data(bytes).write(to: f)
        return f
    }

    @Test func moeGGUFWithSoftmaxGatingIsRefused() throws {
        let f = try ggufWith("moe-a-q8_0.gguf", key: "lfm2moe.expert_gating_func", value: 1)
        expectError(f.path, "lfm2moe.expert_gating_func", "only 2 = sigmoid")
    }

    @Test func moeGGUFExpertCountDisagreesWithStackedTensors() throws {
        let f = try ggufWith("moe-a-q8_0.gguf", key: "lfm2moe.expert_count", value: 6)
        expectError(f.path, "blk.2.exp_probs_b.bias", "shape")
    }

    @Test func moeGGUFUsedCountAboveExpertCount() throws {
        let f = try ggufWith("moe-a-q8_0.gguf", key: "lfm2moe.expert_used_count", value: 9)
        expectError(f.path, "num_experts_per_tok", "1...8")
    }
}
