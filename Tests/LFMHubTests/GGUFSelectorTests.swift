import Testing
@testable import LFMHub

@Suite struct GGUFSelectorTests {
    let files = GGUFSelector.modelFiles(in: [
        "LFM2-350M-Q4_0.gguf", "LFM2-350M-Q4_K_M.gguf", "LFM2-350M-Q4_K_S.gguf", "LFM2-350M-Q8_0.gguf",
        "LFM2-350M-F16.gguf", "mmproj-LFM2-350M-F16.gguf", "README.md", "config.json",
    ])

    @Test func modelFilesLeaveOutProjectorsAndOtherFiles() {
        #expect(files == ["LFM2-350M-F16.gguf", "LFM2-350M-Q4_0.gguf", "LFM2-350M-Q4_K_M.gguf", "LFM2-350M-Q4_K_S.gguf", "LFM2-350M-Q8_0.gguf"])
    }

    @Test func labels() {
        #expect(GGUFSelector.label(of: "LFM2-350M-Q4_K_M.gguf") == "Q4_K_M")
        #expect(GGUFSelector.label(of: "tiny-chat-q8_0.gguf") == "q8_0")
        #expect(GGUFSelector.label(of: "LFM2-1.2B-BF16.gguf") == "BF16")
        #expect(GGUFSelector.label(of: "model.IQ2_XS.gguf") == "IQ2_XS")
        #expect(GGUFSelector.label(of: "Q4_K_M/LFM2-Q4_K_M-00001-of-00002.gguf") == "Q4_K_M")
        #expect(GGUFSelector.label(of: "model.gguf") == "model")
        #expect(GGUFSelector.label(of: "LFM2-1.2B-UD-Q4_K_XL.gguf") == "Q4_K_XL")
    }

    @Test func exactLabelMatchIgnoringCase() throws {
        #expect(try GGUFSelector.choose(files, selector: "Q8_0", repo: "r") == "LFM2-350M-Q8_0.gguf")
        #expect(try GGUFSelector.choose(files, selector: "q4_k_m", repo: "r") == "LFM2-350M-Q4_K_M.gguf")
        #expect(try GGUFSelector.choose(files, selector: "f16", repo: "r") == "LFM2-350M-F16.gguf")
    }

    @Test func substringMatchWhenNoLabelIsEqual() throws {
        #expect(try GGUFSelector.choose(files, selector: "K_S", repo: "r") == "LFM2-350M-Q4_K_S.gguf")
    }

    @Test func ambiguousSelectorListsTheMatches() {
        #expect(throws: HubError.ambiguousQuantization(repo: "r", selector: "Q4_K", matches: ["LFM2-350M-Q4_K_M.gguf", "LFM2-350M-Q4_K_S.gguf"])) {
            try GGUFSelector.choose(files, selector: "Q4_K", repo: "r")
        }
    }

    @Test func noMatchListsTheAvailableQuantizations() {
        let expected = HubError.noMatchingQuantization(repo: "r", selector: "Q5_K_M", available: ["F16", "Q4_0", "Q4_K_M", "Q4_K_S", "Q8_0"])
        #expect(throws: expected) { try GGUFSelector.choose(files, selector: "Q5_K_M", repo: "r") }
        #expect(expected.description == "no GGUF file in r matches ':Q5_K_M'; available quantizations: F16, Q4_0, Q4_K_M, Q4_K_S, Q8_0")
    }

    @Test func defaultChoice() throws {
        #expect(try GGUFSelector.choose(files, selector: nil, repo: "r") == "LFM2-350M-Q4_K_M.gguf")
        #expect(try GGUFSelector.choose(["a-Q8_0.gguf", "a-Q4_0.gguf"], selector: nil, repo: "r") == "a-Q4_0.gguf")
        #expect(try GGUFSelector.choose(["only-Q2_K.gguf"], selector: nil, repo: "r") == "only-Q2_K.gguf")
        #expect(try GGUFSelector.choose(["b-Q3_K.gguf", "a-Q2_K.gguf"], selector: nil, repo: "r") == "b-Q3_K.gguf")
        #expect(throws: HubError.self) { try GGUFSelector.choose([], selector: nil, repo: "r") }
    }
}
