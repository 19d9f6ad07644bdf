import Foundation
import LFMTestSupport
import Testing
@testable import LFMModel

@Suite struct ConfigTests {
    @Test(arguments: [
        (6656, true, 1.0, 256, 4608), (10240, true, 1.0, 256, 6912), (12288, true, 1.0, 256, 8192),
        (2560, false, 1.0, 256, 2560), (10752, false, 1.0, 256, 10752), (36, true, 1.0, 8, 24),
    ])
    func ffnWidthRule(nominal: Int, auto: Bool, mult: Double, multipleOf: Int, expected: Int) {
        #expect(LFM2Config.derivedFFNSize(nominal: nominal, autoAdjust: auto, multiplier: mult, multipleOf: multipleOf) == expected)
    }

    @Test func nullMultiplierSkipsRounding() {
        #expect(LFM2Config.derivedFFNSize(nominal: 256, autoAdjust: true, multiplier: nil, multipleOf: 32) == 170)
    }

    @Test func originalKeyStyle() throws {
        let c = try LFM2Config.load(path: Fixtures.url("models/tiny-a/config.json").path)
        #expect(c.layerTypes == [.conv, .conv, .attention, .conv, .attention])
        #expect(c.ffnSize == 192 && c.headDim == 16 && c.numKVHeads == 2 && c.ropeTheta == 10000)
        #expect(c.tieEmbeddings && c.eosTokenIDs == [7] && !c.convBias && c.convKernel == 3)
    }

    @Test func transformersKeyStyle() throws {
        let c = try LFM2Config.load(path: Fixtures.url("models/tiny-b/config.json").path)
        #expect(c.layerTypes == [.attention, .conv, .conv, .attention])
        #expect(c.ffnSize == 160 && c.convBias && c.convKernel == 4 && c.ropeTheta == 1_000_000 && c.numKVHeads == 4)
    }

    @Test func lfm2_1_2BConfigFromTheSpec() throws {
        let json = #"{"architectures":["Lfm2ForCausalLM"],"model_type":"lfm2","vocab_size":65536,"hidden_size":2048,"num_hidden_layers":16,"num_attention_heads":32,"num_key_value_heads":8,"block_dim":2048,"block_ff_dim":12288,"block_multiple_of":256,"block_ffn_dim_multiplier":1.0,"block_auto_adjust_ff_dim":true,"block_norm_eps":1e-05,"norm_eps":1e-05,"conv_L_cache":3,"conv_bias":false,"conv_dim":2048,"full_attn_idxs":[2,5,8,10,12,14],"rope_theta":1000000.0,"max_position_embeddings":128000,"tie_embedding":true,"bos_token_id":1,"eos_token_id":7,"pad_token_id":0,"torch_dtype":"bfloat16"}"#
        let c = try LFM2Config.parse(JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any], source: "config.json")
        #expect(c.ffnSize == 8192 && c.headDim == 64 && c.attentionLayerCount == 6 && c.convLayerCount == 10)
    }

    @Test func ggufMetadata() throws {
        let g = try GGUFFile(path: Fixtures.url("models/tiny-a-q8_0.gguf").path)
        let c = try LFM2Config.fromGGUF(g)
        let hf = try LFM2Config.load(path: Fixtures.url("models/tiny-a/config.json").path)
        #expect(c.layerTypes == hf.layerTypes && c.ffnSize == hf.ffnSize && c.numKVHeads == hf.numKVHeads)
        #expect(c.ropeTheta == hf.ropeTheta && c.hiddenSize == hf.hiddenSize && c.vocabSize == 512)
        #expect(g.tensors["blk.0.shortconv.conv.weight"]?.type == .f32)
        #expect(g.tensors["blk.0.ffn_gate.weight"]?.type == .q8_0)
        #expect(g.tensors["blk.0.ffn_gate.weight"]?.shape == [192, 64])
    }

    @Test func ggufArrayOfInt32ForHeadCountKV() throws {
        let g = try GGUFFile(path: Fixtures.url("models/tiny-a-f32.gguf").path)
        #expect(g.metadata["lfm2.attention.head_count_kv"] == .array([.int(0), .int(0), .int(2), .int(0), .int(2)]))
    }

    /// Foundation on Linux also reports the NSNumbers 0 and 1 as `Bool`: one attention head
    /// must parse, while a JSON boolean where an integer belongs is still an error.
    @Test func integerOneIsNotABoolean() throws {
        func parse(_ s: String) throws -> LFM2Config {
            try LFM2Config.parse(JSONSerialization.jsonObject(with: Data(s.utf8)) as! [String: Any], source: "c.json")
        }
        let c = try parse(#"{"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":1,"num_key_value_heads":1,"head_dim":16,"layer_types":["full_attention"]}"#)
        #expect(c.numHeads == 1 && c.numKVHeads == 1 && c.headDim == 16 && c.layerTypes == [.attention])
        #expect { try parse(#"{"hidden_size":32,"num_hidden_layers":1,"num_attention_heads":true}"#) } throws: {
            "\($0)".contains("num_attention_heads") && "\($0)".contains("expected an integer")
        }
    }

    @Test func badValuesNameTheField() throws {
        func parse(_ s: String) throws -> LFM2Config {
            try LFM2Config.parse(JSONSerialization.jsonObject(with: Data(s.utf8)) as! [String: Any], source: "c.json")
        }
        #expect { try parse(#"{"hidden_size":"big"}"#) } throws: { "\($0)".contains("hidden_size") }
        #expect { try parse(#"{"architectures":["LlamaForCausalLM"]}"#) } throws: { "\($0)".contains("LlamaForCausalLM") }
        #expect { try parse(#"{"hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":3}"#) } throws: {
            "\($0)".contains("num_key_value_heads")
        }
        #expect { try parse(#"{"layer_types":"conv"}"#) } throws: { "\($0)".contains("layer_types") }
    }
}

@Suite struct MoEConfigTests {
    @Test func liquidReleaseKeyStyle() throws {
        let c = try LFM2Config.load(path: Fixtures.url("models/moe-a/config.json").path)
        #expect(c.moe == MoEConfig(numExperts: 8, expertsPerToken: 2, expertFFNSize: 32, numDenseLayers: 2,
                                   useExpertBias: true, normalizeTopK: true, routedScalingFactor: 1))
        #expect(c.ffnSize == 128 && c.ropeTheta == 10000 && c.tieEmbeddings && c.vocabSize == 512)
        #expect(!c.isMoELayer(1) && c.isMoELayer(2))
    }

    @Test func transformersKeyStyle() throws {
        let b = try LFM2Config.load(path: Fixtures.url("models/moe-b/config.json").path)
        #expect(b.moe == MoEConfig(numExperts: 6, expertsPerToken: 3, expertFFNSize: 48, numDenseLayers: 1,
                                   useExpertBias: true, normalizeTopK: false, routedScalingFactor: 2.5))
        #expect(b.convBias && b.layerTypes.first == .attention && b.vocabSize == 384)
        let c = try LFM2Config.load(path: Fixtures.url("models/moe-c/config.json").path)
        #expect(c.moe?.useExpertBias == false && c.moe?.numDenseLayers == 0 && c.moe?.routedScalingFactor == 0.75)
    }

    @Test func ggufLfm2moeMetadata() throws {
        let c = try LFM2Config.fromGGUF(try GGUFFile(path: Fixtures.url("models/moe-a-q8_0.gguf").path))
        #expect(c.moe == MoEConfig(numExperts: 8, expertsPerToken: 2, expertFFNSize: 32, numDenseLayers: 2))
        #expect(c.ffnSize == 128 && c.layerTypes == [.conv, .conv, .attention, .conv, .attention, .conv] && c.vocabSize == 512)
    }

    @Test(arguments: [("num_experts_per_tok", "9"), ("num_experts", "0"), ("num_dense_layers", "7"), ("moe_intermediate_size", "0")])
    func badMoEFieldIsNamed(field: String, value: String) throws {
        var j = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("models/moe-a/config.json"))) as! [String: Any]
        j[field] = Int(value)!
        #expect {
            try LFM2Config.parse(j, source: "config.json")
        } throws: { e in
            guard case ModelError.invalidConfig(_, let f, _) = e else { return false }
            return f == field
        }
    }
}
