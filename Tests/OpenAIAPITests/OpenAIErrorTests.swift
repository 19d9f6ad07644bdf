import Testing
@testable import OpenAIAPI

@Suite struct OpenAIErrorTests {
    /// The body lfm-serve gives the HTTP server for the errors it answers itself.
    @Test func errorBodyIsOpenAIShaped() {
        #expect(OpenAIError.httpErrorBody(404, "Not \"found\"\n")
                == #"{"error":{"message":"Not \"found\"\n","type":"invalid_request_error","param":null,"code":null}}"#)
        #expect(OpenAIError.httpErrorBody(401, "x").contains(#""type":"authentication_error""#))
        #expect(OpenAIError.httpErrorBody(503, "x").contains(#""type":"server_error""#))
    }
}
