import Testing
@testable import HTTP1

@Suite struct HTTPResponseHeadTests {
    func head(_ text: String) throws -> HTTPResponseHead {
        let bytes = Array(text.utf8)
        let end = try #require(HTTPResponseHead.endOfHead(in: bytes))
        return try HTTPResponseHead.parse(bytes[..<end])
    }

    @Test func statusLineAndHeaders() throws {
        let h = try head("HTTP/1.1 302 Found\r\nX-Linked-Etag: \"abc\"\r\nlocation:  https://cdn/x?sig=1 \r\nSet-Cookie: a\r\nset-cookie: b\r\n\r\nBODY")
        #expect(h.version == "HTTP/1.1" && h.status == 302 && h.reason == "Found")
        #expect(h["x-linked-etag"] == "\"abc\"")
        #expect(h["Location"] == "https://cdn/x?sig=1")
        #expect(h.values("SET-COOKIE") == ["a", "b"])
        #expect(h.redirectLocation == "https://cdn/x?sig=1")
        #expect(h["Missing"] == nil)
    }

    @Test func endOfHeadWithCRLFOrBareLF() {
        #expect(HTTPResponseHead.endOfHead(in: Array("HTTP/1.1 200 OK\r\nA: b\r\n\r\nrest".utf8)) == 25)
        #expect(HTTPResponseHead.endOfHead(in: Array("HTTP/1.1 200 OK\nA: b\n\nrest".utf8)) == 22)
        #expect(HTTPResponseHead.endOfHead(in: Array("HTTP/1.1 200 OK\r\nA: b\r\n".utf8)) == nil)
        #expect(HTTPResponseHead.endOfHead(in: []) == nil)
    }

    @Test func reasonPhraseIsOptional() throws {
        #expect(try head("HTTP/1.0 204\r\n\r\n").status == 204)
    }

    @Test(arguments: ["HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "garbage\r\n\r\n",
                      "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "HTTP/1.1 200 OK\r\n folded\r\n\r\n", "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
                      "HTTP/1.1 200 OK\r\n: empty\r\n\r\n"])
    func malformedHeadsAreErrors(text: String) {
        #expect(throws: HTTPResponseError.self) { try head(text) }
    }

    @Test func bodyFramingFollowsRFC9112() throws {
        let ok = { (extra: String) in try head("HTTP/1.1 200 OK\r\n\(extra)\r\n") }
        #expect(try ok("Content-Length: 12\r\n").bodyFraming(requestMethod: "GET") == .length(12))
        #expect(try ok("Content-Length: 12\r\n").bodyFraming(requestMethod: "HEAD") == HTTPResponseHead.BodyFraming.none)
        #expect(try ok("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n").bodyFraming(requestMethod: "GET") == .chunked)
        #expect(try ok("Transfer-Encoding: gzip, Chunked\r\n").bodyFraming(requestMethod: "GET") == .chunked)
        #expect(try ok("").bodyFraming(requestMethod: "GET") == .untilClose)
        #expect(try ok("Content-Length: 7\r\nContent-Length: 7\r\n").bodyFraming(requestMethod: "GET") == .length(7))
        #expect(throws: HTTPResponseError.self) { try ok("Content-Length: 7\r\nContent-Length: 8\r\n").bodyFraming(requestMethod: "GET") }
        #expect(throws: HTTPResponseError.self) { try ok("Content-Length: -1\r\n").bodyFraming(requestMethod: "GET") }
        #expect(throws: HTTPResponseError.self) { try ok("Transfer-Encoding: gzip\r\n").bodyFraming(requestMethod: "GET") }
        for status in ["204 No Content", "304 Not Modified", "100 Continue"] {
            #expect(try head("HTTP/1.1 \(status)\r\nContent-Length: 9\r\n\r\n").bodyFraming(requestMethod: "GET") == HTTPResponseHead.BodyFraming.none)
        }
    }

    @Test func onlyRedirectStatusesHaveALocation() throws {
        #expect(try head("HTTP/1.1 200 OK\r\nLocation: /x\r\n\r\n").redirectLocation == nil)
        #expect(try head("HTTP/1.1 307 Temporary Redirect\r\nLocation: /x\r\n\r\n").redirectLocation == "/x")
        #expect(try head("HTTP/1.1 302 Found\r\n\r\n").redirectLocation == nil)
    }
}
