import LFMGrammar
import LFMTestSupport
import LFMTokenizer
import Testing
@testable import OpenAIAPI

@Suite("structured outputs prepare")
struct StructuredOutputsPrepareTests {
    @Test func prepareBuildsTheCompilerAndCachesTheJSONObjectGrammar() throws {
        let tok = try Tokenizer.load(directory: Fixtures.url("models/tiny-chat"))
        let s = StructuredOutputs(tokenizer: tok, endIDs: [0])
        #expect(!s.isCompilerBuilt)
        s.prepare()
        #expect(s.isCompilerBuilt)
        // The json_object grammar compiled by prepare() is the one a request gets (cached by content).
        let a = try s.compile(.jsonObject, param: "response_format")
        let b = try s.compile(.jsonObject, param: "response_format")
        #expect(a === b)
    }
}
