import Testing
@testable import HTTPServer

@Suite struct TimerWheelTests {
    @Test func firesInDeadlineOrderAndHonoursCancel() {
        let ms: UInt64 = 1_000_000
        var w = TimerWheel(tickNanos: 10 * ms, slotCount: 8, now: 0)
        let a = w.schedule(at: 25 * ms)
        let b = w.schedule(at: 15 * ms)
        let c = w.schedule(at: 500 * ms)    // more than one revolution away
        let d = w.schedule(at: 30 * ms)
        w.cancel(d)
        #expect(w.advance(to: 10 * ms) == [])
        #expect(w.advance(to: 30 * ms) == [b, a])
        #expect(w.count == 1)
        #expect(w.nanosUntilNextTick(now: 30 * ms).map { $0 > 0 } == true)
        #expect(w.advance(to: 499 * ms) == [])
        #expect(w.advance(to: 2000 * ms) == [c])
        #expect(w.nanosUntilNextTick(now: 2000 * ms) == nil)
    }
}

@Suite struct RouterTests {
    @Test func matchesMethodsPathsAndParameters() {
        var r = Router()
        r.get("/v1/models") { _, _ in }
        r.get("/v1/models/{id}") { _, _ in }
        r.get("/v1/models/special") { _, _ in }
        r.post("/v1/chat/completions") { _, _ in }
        guard case .found(_, let p) = r.match(method: "GET", path: "/v1/models/lfm2-350m") else { Issue.record(); return }
        #expect(p == ["id": "lfm2-350m"])
        guard case .found(_, let lit) = r.match(method: "GET", path: "/v1/models/special") else { Issue.record(); return }
        #expect(lit.isEmpty)
        guard case .found = r.match(method: "HEAD", path: "/v1/models") else { Issue.record(); return }
        guard case .methodNotAllowed(let allow) = r.match(method: "GET", path: "/v1/chat/completions") else { Issue.record(); return }
        #expect(allow == ["POST"])
        guard case .methodNotAllowed(let allow2) = r.match(method: "DELETE", path: "/v1/models") else { Issue.record(); return }
        #expect(allow2 == ["GET", "HEAD"])
        guard case .notFound = r.match(method: "GET", path: "/nope") else { Issue.record(); return }
        guard case .notFound = r.match(method: "GET", path: "/v1/models/a/b") else { Issue.record(); return }
    }
}

@Suite struct SSEEventTests {
    @Test func exactFraming() {
        #expect(String(decoding: SSEEvent(data: "hello").encoded(), as: UTF8.self) == "data: hello\n\n")
        #expect(String(decoding: SSEEvent(data: "a\nb\r\nc\rd", event: "delta", id: "7").encoded(), as: UTF8.self)
                == "event: delta\nid: 7\ndata: a\ndata: b\ndata: c\ndata: d\n\n")
        #expect(String(decoding: SSEEvent(data: "", retry: 1000).encoded(), as: UTF8.self) == "retry: 1000\ndata: \n\n")
        #expect(String(decoding: SSEEvent.comment("ping"), as: UTF8.self) == ": ping\n\n")
    }
}

@Suite struct GzipTests {
    @Test func roundTripAndNegotiation() {
        let text = Array(String(repeating: "{\"token\":\"hello\"}", count: 200).utf8)
        let z = Gzip.compress(text)
        #expect(z != nil)
        #expect(z!.count < text.count / 5)
        #expect(Gzip.decompress(z!) == text)
        #expect(Gzip.accepts(["gzip, deflate, br"]))
        #expect(Gzip.accepts(["deflate;q=1, gzip;q=0.5"]))
        #expect(!Gzip.accepts(["gzip;q=0"]))
        #expect(!Gzip.accepts(["identity"]))
        #expect(Gzip.accepts(["*"]))
        #expect(!Gzip.accepts(["*;q=0.5, gzip;q=0"]))
        #expect(!Gzip.accepts([]))
    }

    @Test func plainErrorBodyIsJSON() {
        #expect(HTTPErrorBody.plain(404, "Not \"found\"\n\u{1}") == #"{"error":{"message":"Not \"found\"\n\u0001","status":404}}"#)
    }
}
