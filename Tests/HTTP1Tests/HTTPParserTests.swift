import Testing
@testable import HTTP1

/// Feeds `input` and collects events until the parser needs more data or fails.
func parseAll(_ input: String, limits: HTTPParser.Limits = .init()) -> [HTTPParser.Event] {
    var p = HTTPParser(limits: limits)
    p.feed(Array(input.utf8))
    return drain(&p)
}

func drain(_ p: inout HTTPParser) -> [HTTPParser.Event] {
    var events: [HTTPParser.Event] = []
    for _ in 0..<1000 {
        let e = p.next()
        if e == .needMoreData { break }
        events.append(e)
        if case .error = e { break }
    }
    return events
}

/// Feeds `bytes` in two parts, split at `split`, and collects the events.
func parseSplit(_ bytes: [UInt8], at split: Int) -> [HTTPParser.Event] {
    var p = HTTPParser()
    p.feed(bytes[0..<split])
    var ev = drain(&p)
    p.feed(bytes[split...])
    ev += drain(&p)
    return ev
}

func firstError(_ events: [HTTPParser.Event]) -> HTTPParserError? {
    for e in events { if case .error(let err) = e { return err } }
    return nil
}

@Suite struct HTTPParserTests {
    @Test func simpleGet() {
        let ev = parseAll("GET /v1/models?x=1 HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\n\r\n")
        #expect(ev.count == 2)
        guard case .head(let h) = ev[0] else { Issue.record("no head"); return }
        #expect(h.method == "GET")
        #expect(h.target == "/v1/models?x=1")
        #expect(h.rawPath == "/v1/models")
        #expect(h.rawQuery == "x=1")
        #expect(h.version == .http1_1)
        #expect(h.headers["HOST"] == "a")
        #expect(h.headers.values(for: "X-A") == ["1", "2"])
        #expect(ev[1] == .end(body: [], trailers: [:]))
    }

    @Test func contentLengthBody() {
        let ev = parseAll("POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
        #expect(ev.last == .end(body: Array("hello".utf8), trailers: [:]))
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let one = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
        let two = "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
        let three = "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n"
        let ev = parseAll(one + two + three)
        let targets = ev.compactMap { e -> String? in if case .head(let h) = e { return h.target } else { return nil } }
        #expect(targets == ["/1", "/2", "/3"])
        #expect(ev.count == 6)
        #expect(ev[3] == .end(body: Array("abc".utf8), trailers: [:]))
    }

    @Test func chunkedBodyWithTrailersSplitAtEveryByte() {
        let msg = "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n"
            + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n"
        let bytes = Array(msg.utf8)
        let expectedBody = Array("helloabcdefghijklmnopqrstuvwxyz".utf8)
        // Every split point, and also byte-by-byte feeding.
        for split in 0...bytes.count {
            let ev = parseSplit(bytes, at: split)
            #expect(ev.count == 4, "split \(split)")
            #expect(ev[1] == .end(body: expectedBody, trailers: ["X-Trailer": "t"]), "split \(split)")
        }
        var p = HTTPParser()
        var ev: [HTTPParser.Event] = []
        for b in bytes {
            p.feed([b])
            ev += drain(&p)
        }
        #expect(ev.count == 4)
        #expect(ev[1] == .end(body: expectedBody, trailers: ["X-Trailer": "t"]))
    }

    @Test func contentLengthSplitAtEveryByte() {
        let bytes = Array("POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world".utf8)
        for split in 0...bytes.count {
            let ev = parseSplit(bytes, at: split)
            #expect(ev.last == .end(body: Array("hello world".utf8), trailers: [:]), "split \(split)")
        }
    }

    @Test func leadingEmptyLinesAreIgnored() {
        let ev = parseAll("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(ev.count == 2)
    }

    @Test func http10AndKeepAlive() {
        guard case .head(let h10) = parseAll("GET / HTTP/1.0\r\n\r\n").first else { Issue.record(); return }
        #expect(h10.version == .http1_0)
        #expect(!h10.keepAlive)
        guard case .head(let h10ka) = parseAll("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").first else { Issue.record(); return }
        #expect(h10ka.keepAlive)
        guard case .head(let h11c) = parseAll("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").first else { Issue.record(); return }
        #expect(!h11c.keepAlive)
        guard case .head(let h12) = parseAll("GET / HTTP/1.2\r\nHost: a\r\n\r\n").first else { Issue.record(); return }
        #expect(h12.version == .http1_1)
    }

    @Test func expectContinue() {
        guard case .head(let h) = parseAll("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n").first else {
            Issue.record(); return
        }
        #expect(h.expectsContinue)
    }

    @Test func absoluteFormTarget() {
        guard case .head(let h) = parseAll("GET http://example.com/a/b?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n").first else {
            Issue.record(); return
        }
        #expect(h.rawPath == "/a/b")
        #expect(h.rawQuery == "q=1")
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\n\r\n", "missing Host"),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "two Hosts"),
        ("GET / HTTP/1.1\nHost: a\r\n\r\n", "bare LF"),
        ("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", "double space"),
        ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", "trailing space"),
        ("GET/ HTTP/1.1\r\nHost: a\r\n\r\n", "no space"),
        ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", "bad method"),
        ("GET / HTTP/1.x\r\nHost: a\r\n\r\n", "bad version"),
        ("GET / HTTX/1.1\r\nHost: a\r\n\r\n", "bad protocol"),
        ("GET abc HTTP/1.1\r\nHost: a\r\n\r\n", "bad target"),
        ("GET /\u{7f} HTTP/1.1\r\nHost: a\r\n\r\n", "DEL in target"),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", "space before colon"),
        ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", "obs-fold"),
        ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", "no colon"),
        ("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n", "empty name"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{1}b\r\n\r\n", "control char"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", "bare CR"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "conflicting CL"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", "negative CL"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", "junk CL"),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "CL and TE"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", "chunked twice"),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "TE in 1.0"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", "empty chunk size"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", "missing chunk CRLF"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n", "chunk size overflow"),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\n", "junk after size"),
    ] as [(String, String)])
    func malformedIs400(input: String, why: String) {
        let err = firstError(parseAll(input))
        #expect(err?.status == 400, "\(why): \(String(describing: err))")
    }

    @Test func unsupportedTransferCodingIs501() {
        #expect(firstError(parseAll("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"))?.status == 501)
        #expect(firstError(parseAll("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: br\r\n\r\n"))?.status == 501)
    }

    @Test func versionNotSupportedIs505() {
        #expect(firstError(parseAll("GET / HTTP/2.0\r\nHost: a\r\n\r\n"))?.status == 505)
    }

    @Test func uriTooLongIs414() {
        var limits = HTTPParser.Limits()
        limits.maxURILength = 100
        let long = "/" + String(repeating: "a", count: 150)
        #expect(firstError(parseAll("GET \(long) HTTP/1.1\r\nHost: a\r\n\r\n", limits: limits)) == .uriTooLong)
        // Unterminated request line that is already too long: answered without waiting.
        #expect(firstError(parseAll("GET /" + String(repeating: "a", count: 400), limits: limits)) == .uriTooLong)
        #expect(parseAll("GET /\(String(repeating: "a", count: 99)) HTTP/1.1\r\nHost: a\r\n\r\n", limits: limits).count == 2)
    }

    @Test func headerBytesLimitIs431() {
        var limits = HTTPParser.Limits()
        limits.maxHeaderBytes = 200
        let big = "GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "v", count: 300))\r\n\r\n"
        #expect(firstError(parseAll(big, limits: limits)) == .headerFieldsTooLarge)
        // Never terminated: detected as soon as the buffer passes the limit.
        let endless = "GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "v", count: 300))"
        #expect(firstError(parseAll(endless, limits: limits)) == .headerFieldsTooLarge)
    }

    @Test func headerCountLimitIs431() {
        var limits = HTTPParser.Limits()
        limits.maxHeaderCount = 10
        var req = "GET / HTTP/1.1\r\nHost: a\r\n"
        for i in 0..<10 { req += "X-\(i): v\r\n" }
        #expect(firstError(parseAll(req + "\r\n", limits: limits)) == .headerFieldsTooLarge)
        var ok = "GET / HTTP/1.1\r\nHost: a\r\n"
        for i in 0..<9 { ok += "X-\(i): v\r\n" }
        #expect(firstError(parseAll(ok + "\r\n", limits: limits)) == nil)
    }

    @Test func bodyLimitIs413() {
        var limits = HTTPParser.Limits()
        limits.maxBodyBytes = 10
        #expect(firstError(parseAll("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", limits: limits)) == .bodyTooLarge)
        #expect(firstError(parseAll("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", limits: limits)) == .bodyTooLarge)
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n"
        #expect(firstError(parseAll(chunked, limits: limits)) == .bodyTooLarge)
        #expect(firstError(parseAll("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789", limits: limits)) == nil)
    }

    @Test func trailerLimitIs431() {
        var limits = HTTPParser.Limits()
        limits.maxHeaderBytes = 100
        let req = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: \(String(repeating: "x", count: 200))"
        #expect(firstError(parseAll(req, limits: limits)) == .headerFieldsTooLarge)
    }

    @Test func errorIsSticky() {
        var p = HTTPParser()
        p.feed(Array("BAD\r\n\r\n".utf8))
        #expect(firstError([p.next()]) != nil)
        p.feed(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(firstError([p.next()]) != nil)
    }
}
