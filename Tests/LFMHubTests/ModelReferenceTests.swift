import Testing
@testable import LFMHub

@Suite struct ModelReferenceTests {
    let nothingExists: (String) -> Bool = { _ in false }

    func hub(_ text: String) throws -> HubModelReference {
        guard case .hub(let r) = try ModelReference.parse(text, fileExists: nothingExists) else {
            Issue.record("\(text) parsed as a local path")
            return HubModelReference(repoID: "x/x")
        }
        return r
    }

    @Test func plainRepositoryID() throws {
        let r = try hub("LiquidAI/LFM2-350M")
        #expect(r == HubModelReference(repoID: "LiquidAI/LFM2-350M", revision: "main", quantization: nil))
        #expect(r.owner == "LiquidAI" && r.name == "LFM2-350M")
        #expect(!r.revisionIsCommit)
        #expect(r.description == "LiquidAI/LFM2-350M")
    }

    @Test func revisionAndQuantizationInEitherOrder() throws {
        #expect(try hub("LiquidAI/LFM2-350M@v1.0") == HubModelReference(repoID: "LiquidAI/LFM2-350M", revision: "v1.0"))
        #expect(try hub("LiquidAI/LFM2-350M-GGUF:Q4_K_M") == HubModelReference(repoID: "LiquidAI/LFM2-350M-GGUF", quantization: "Q4_K_M"))
        let both = HubModelReference(repoID: "a/b", revision: "refs/pr/1", quantization: "Q8_0")
        #expect(try hub("a/b@refs/pr/1:Q8_0") == both)
        #expect(try hub("a/b:Q8_0@refs/pr/1") == both)
        #expect(both.description == "a/b@refs/pr/1:Q8_0")
    }

    @Test func commitRevision() throws {
        let sha = String(repeating: "0123456789abcdef", count: 3).prefix(40).description
        let r = try hub("a/b@\(sha)")
        #expect(r.revisionIsCommit)
        #expect(!HubModelReference.isCommitHash(sha.uppercased()))
        #expect(!HubModelReference.isCommitHash(String(sha.dropLast())))
    }

    @Test func existingLocalPathWins() throws {
        #expect(try ModelReference.parse("LiquidAI/LFM2-350M", fileExists: { _ in true }) == .local(path: "LiquidAI/LFM2-350M"))
        #expect(try ModelReference.parse("/models/x.gguf", fileExists: { $0 == "/models/x.gguf" }) == .local(path: "/models/x.gguf"))
    }

    @Test func missingPathsAreNotRepositoryIDs() {
        for text in ["/no/such/dir", "./model", "../model", "~/models/x", "models/a/b", "model.gguf", "dir/model-Q4_0.gguf", "."] {
            #expect(throws: HubError.localPathNotFound(text)) { try ModelReference.parse(text, fileExists: nothingExists) }
        }
    }

    @Test(arguments: [
        ("LFM2-350M", "needs an owner"),
        ("a/", "must not be empty"),
        ("/b", "no such file"),
        ("a b/c", "may only contain"),
        ("Liquid--AI/x", "'--'"),
        ("a/b..c", "'..'"),
        ("-a/b", "must not start or end"),
        ("a/b.", "must not start or end"),
        ("a/b@", "followed by a revision"),
        ("a/b:", "followed by a quantization"),
        ("a/b@x@y", "more than one '@revision'"),
        ("a/b:Q4:Q8", "more than one ':QUANT'"),
        ("a/b@../x", "not a valid revision"),
        ("a/b:Q4 K", "may only contain"),
        ("", "it is empty"),
    ])
    func invalidReferencesExplainWhy(text: String, fragment: String) {
        do {
            _ = try ModelReference.parse(text, fileExists: nothingExists)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.description.contains(fragment), "\(text): \(error.description)")
        }
    }

    @Test func nameLengthLimit() {
        #expect(throws: HubError.self) { try HubModelReference(parsing: "a/" + String(repeating: "x", count: 97)) }
        #expect(throws: Never.self) { try HubModelReference(parsing: "a/" + String(repeating: "x", count: 96)) }
    }
}
