import Testing
@testable import LFMHub

@Suite struct HubFileSelectionTests {
    let folder = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                  "chat_template.jinja", "README.md", ".gitattributes", "model.safetensors", "onnx/model.onnx", "LICENSE"]

    @Test func singleSafetensorsFolder() throws {
        let plan = try HubFileSelection.plan(siblings: folder, quantization: nil, repo: "r")
        #expect(plan.format == .safetensors && plan.entry == "" && plan.index == nil)
        #expect(plan.files == ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                               "special_tokens_map.json", "chat_template.jinja", "model.safetensors"])
    }

    @Test func onlyPresentMetadataIsFetched() throws {
        let plan = try HubFileSelection.plan(siblings: ["config.json", "tokenizer.json", "model.safetensors"], quantization: nil, repo: "r")
        #expect(plan.files == ["config.json", "tokenizer.json", "model.safetensors"])
    }

    @Test func shardedSafetensors() throws {
        let siblings = ["config.json", "tokenizer.json", "model.safetensors.index.json",
                        "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model-extra.safetensors"]
        let plan = try HubFileSelection.plan(siblings: siblings, quantization: nil, repo: "r")
        #expect(plan.files == ["config.json", "tokenizer.json", "model.safetensors.index.json"])
        #expect(plan.index == "model.safetensors.index.json")
        let index = #"{"metadata": {"total_size": 10}, "weight_map": {"a": "model-00002-of-00002.safetensors", "b": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}}"#
        let shards = try HubFileSelection.shards(fromIndex: Array(index.utf8))
        #expect(shards == ["model-00002-of-00002.safetensors", "model-00001-of-00002.safetensors"])
        #expect(plan.addingShards(shards).files.suffix(2) == ["model-00002-of-00002.safetensors", "model-00001-of-00002.safetensors"])
    }

    @Test func badIndexes() {
        #expect(throws: HubError.self) { try HubFileSelection.shards(fromIndex: Array("{".utf8)) }
        #expect(throws: HubError.self) { try HubFileSelection.shards(fromIndex: Array(#"{"weight_map": {}}"#.utf8)) }
        #expect(throws: HubError.unsafeFileName("../../x")) { try HubFileSelection.shards(fromIndex: Array(#"{"weight_map": {"a": "../../x"}}"#.utf8)) }
    }

    @Test func ggufRepository() throws {
        let siblings = ["README.md", "m-Q4_0.gguf", "m-Q4_K_M.gguf", "m-Q8_0.gguf"]
        #expect(try HubFileSelection.plan(siblings: siblings, quantization: nil, repo: "r") == HubFilePlan(format: .gguf(file: "m-Q4_K_M.gguf"), files: ["m-Q4_K_M.gguf"], index: nil))
        let q8 = try HubFileSelection.plan(siblings: siblings, quantization: "Q8_0", repo: "r")
        #expect(q8.entry == "m-Q8_0.gguf" && q8.files == ["m-Q8_0.gguf"])
        #expect(throws: HubError.noMatchingQuantization(repo: "r", selector: "Q2_K", available: ["Q4_0", "Q4_K_M", "Q8_0"])) {
            try HubFileSelection.plan(siblings: siblings, quantization: "Q2_K", repo: "r")
        }
    }

    @Test func selectorPrefersGGUFWhenBothFormatsExist() throws {
        let both = folder + ["m-Q8_0.gguf"]
        #expect(try HubFileSelection.plan(siblings: both, quantization: nil, repo: "r").format == .safetensors)
        #expect(try HubFileSelection.plan(siblings: both, quantization: "Q8_0", repo: "r").format == .gguf(file: "m-Q8_0.gguf"))
    }

    @Test func errors() {
        #expect(throws: HubError.notAGGUFRepository(repo: "r", selector: "Q4_0")) { try HubFileSelection.plan(siblings: folder, quantization: "Q4_0", repo: "r") }
        #expect(throws: HubError.missingConfig(repo: "r")) { try HubFileSelection.plan(siblings: ["model.safetensors"], quantization: nil, repo: "r") }
        #expect(throws: HubError.noLoadableWeights(repo: "r", files: ["README.md", "pytorch_model.bin"])) {
            try HubFileSelection.plan(siblings: ["pytorch_model.bin", "README.md"], quantization: nil, repo: "r")
        }
    }

    func lookup(_ files: [String], _ quant: String? = nil, exactDefault: Bool = true, index: String? = nil) -> HubFileSelection.CacheLookup {
        HubFileSelection.lookup(snapshotFiles: files, quantization: quant, exactDefault: exactDefault, repo: "r") { name in
            name == "model.safetensors.index.json" ? index.map { Array($0.utf8) } : nil
        }
    }

    @Test func cachedSnapshotLookup() {
        #expect(lookup(["config.json", "tokenizer.json", "model.safetensors"]) == .hit(entry: ""))
        #expect(lookup(["config.json", "model.safetensors"]) != .hit(entry: ""))  // no tokenizer: fetch the rest
        let index = #"{"weight_map": {"a": "s1.safetensors", "b": "s2.safetensors"}}"#
        #expect(lookup(["config.json", "tokenizer.json", "model.safetensors.index.json", "s1.safetensors", "s2.safetensors"], index: index) == .hit(entry: ""))
        #expect(lookup(["config.json", "tokenizer.json", "model.safetensors.index.json", "s1.safetensors"], index: index)
                == .miss(reason: "weight shards missing: s2.safetensors"))
        #expect(lookup(["m-Q8_0.gguf"], "q8_0") == .hit(entry: "m-Q8_0.gguf"))
        #expect(lookup(["m-Q8_0.gguf"], "Q4_0") == .miss(reason: "no cached GGUF file matches ':Q4_0' (cached: Q8_0)"))
        #expect(lookup(["m-Q8_0.gguf"]) == .hit(entry: "m-Q8_0.gguf"))
        #expect(lookup(["m-Q8_0.gguf", "m-Q4_K_M.gguf"]) == .hit(entry: "m-Q4_K_M.gguf"))
        // Several cached and none the default: online asks the Hub, offline takes the best cached one.
        #expect(lookup(["m-Q8_0.gguf", "m-Q4_0.gguf"]) != .hit(entry: "m-Q4_0.gguf"))
        #expect(lookup(["m-Q8_0.gguf", "m-Q4_0.gguf"], exactDefault: false) == .hit(entry: "m-Q4_0.gguf"))
        #expect(lookup([]) == .miss(reason: "the snapshot folder is empty"))
    }
}
