import Testing
import HTTP1
@testable import HTTPServer

@Suite struct HTTPRequestTests {
    @Test func queryAndPathDecoding() {
        let req = HTTPRequest(head: HTTPRequestHead(method: "GET", target: "/v1/models/a%20b?x=1+2&y=%2F&z"))
        #expect(req.path == "/v1/models/a b")
        #expect(req.query("x") == "1 2")
        #expect(req.query("y") == "/")
        #expect(req.query("z") == "")
        #expect(req.query("w") == nil)
    }
}
