import HTTP1
import Locking
import Logging
import Synchronization
import Testing
@testable import HTTPServer

/// Records what a responder sends, instead of writing to a connection.
final class RecordingSink: ResponseSink {
    let responses = Locked<[HTTPResponse]>([])
    let streamHeads = Locked<[HTTPHeaders]>([])

    func send(serial: Int, _ response: HTTPResponse) { responses.withLock { $0.append(response) } }
    func startStream(serial: Int, status: Int, headers: HTTPHeaders, sse: Bool) { streamHeads.withLock { $0.append(headers) } }
    func streamWrite(serial: Int, _ bytes: [UInt8]) {}
    func streamFinish(serial: Int) {}
    func abortSlowClient(serial: Int) {}

    var only: HTTPResponse? { responses.withLock { $0.count == 1 ? $0[0] : nil } }
}

/// A responder over a recording sink; error bodies are `status:message`.
func makeResponder(_ sink: RecordingSink, requestID: String = "rid-1") -> HTTPResponder {
    let context = RequestContext(sink: sink, serial: 1, requestID: requestID, highWater: 1 << 20, hardLimit: 1 << 22,
                                 errorBody: { status, message in "\(status):\(message)" })
    return HTTPResponder(context: context, method: "GET")
}

/// A routed request, as the pipeline hands it to middleware.
func routedRequest(_ method: String, _ target: String, headers: HTTPHeaders = [:], body: [UInt8] = [],
                   router: Router = middlewareTestRouter()) -> HTTPRequest {
    var r = HTTPRequest(head: HTTPRequestHead(method: method, target: target, headers: headers), body: body)
    r.routing = router.resolve(method: method, path: r.path)
    return r
}

func middlewareTestRouter() -> Router {
    var router = Router()
    router.get("/health", isPublic: true) { _, r in r.respond(HTTPResponse(text: "ok")) }
    router.get("/v1/models/{id}") { req, r in r.respond(HTTPResponse(text: req.pathParameters["id"] ?? "")) }
    router.post("/v1/echo") { req, r in r.respond(HTTPResponse(body: req.body)) }
    return router
}

/// A `next` that answers 200 with the body it was given, and counts its calls.
final class Terminal: Sendable {
    let calls = Atomic<Int>(0)
    var handler: Router.Handler {
        { [self] req, r in
            calls.add(1, ordering: .relaxed)
            r.respond(HTTPResponse(body: req.body))
        }
    }
    var count: Int { calls.load(ordering: .relaxed) }
}

@Suite struct MiddlewareTests {
    @Test func requestIDIsEchoedOnEveryResponse() {
        let sink = RecordingSink(), next = Terminal()
        RequestIDMiddleware().handle(routedRequest("GET", "/health"), makeResponder(sink, requestID: "abc"), next: next.handler)
        #expect(next.count == 1)
        #expect(sink.only?.headers["X-Request-Id"] == "abc")
        // Also on a stream head.
        let streamSink = RecordingSink()
        RequestIDMiddleware().handle(routedRequest("GET", "/health"), makeResponder(streamSink, requestID: "s1")) { _, r in
            _ = r.startSSE()
        }
        #expect(streamSink.streamHeads.withLock { $0.first?["X-Request-Id"] } == "s1")
    }

    @Test func requestIDKeepsASaneClientIDElseMakesOne() {
        #expect(RequestID.make(from: ["X-Request-Id": "client-7"]) == "client-7")
        for bad in ["", "has space", String(repeating: "x", count: 129)] {
            let id = RequestID.make(from: ["X-Request-Id": bad])
            #expect(id.count == 32 && id.allSatisfy(\.isHexDigit), "\(bad.debugDescription) → \(id)")
        }
        #expect(RequestID.make(from: [:]) != RequestID.make(from: [:]))
    }

    @Test func corsPreflightIsAnsweredAndNeverRouted() {
        let cors = HTTPServer.CORS(allowedOrigins: ["https://app.example"])
        let sink = RecordingSink(), next = Terminal()
        let pre = routedRequest("OPTIONS", "/v1/echo", headers: ["Origin": "https://app.example",
                                                                  "Access-Control-Request-Method": "POST",
                                                                  "Access-Control-Request-Headers": "X-Custom"])
        cors.handle(pre, makeResponder(sink), next: next.handler)
        #expect(next.count == 0)
        let r = sink.only
        #expect(r?.status == 204)
        #expect(r?.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS")
        #expect(r?.headers["Access-Control-Allow-Headers"] == "X-Custom")
        #expect(r?.headers["Access-Control-Max-Age"] == "600")
        #expect(r?.headers["Access-Control-Allow-Origin"] == "https://app.example")
        #expect(r?.headers.values(for: "Vary") == ["Origin"])
    }

    @Test func corsHeadersOnlyForAllowedOrigins() {
        let cors = HTTPServer.CORS(allowedOrigins: ["https://app.example"])
        func answer(_ origin: String?, _ policy: HTTPServer.CORS) -> HTTPResponse? {
            let sink = RecordingSink()
            let headers: HTTPHeaders = origin.map { ["Origin": $0] } ?? [:]
            policy.handle(routedRequest("GET", "/health", headers: headers), makeResponder(sink), next: Terminal().handler)
            return sink.only
        }
        #expect(answer("https://app.example", cors)?.headers["Access-Control-Expose-Headers"] == "X-Request-Id")
        #expect(answer("https://evil.example", cors)?.headers["Access-Control-Allow-Origin"] == nil)
        #expect(answer(nil, cors)?.headers["Access-Control-Allow-Origin"] == nil)
        let any = answer("https://x.example", HTTPServer.CORS())
        #expect(any?.headers["Access-Control-Allow-Origin"] == "*" && any?.headers["Vary"] == nil)
    }

    @Test func authDecidesOnTheResolvedRoute() {
        var auth = HTTPServer.BearerAuth(tokens: ["sk-1", "sk-2"], exemptPaths: [])
        auth.message = { presented in presented ? "bad key" : "no key" }
        func run(_ target: String, _ headers: HTTPHeaders) -> (passed: Bool, response: HTTPResponse?) {
            let sink = RecordingSink(), next = Terminal()
            auth.handle(routedRequest("GET", target, headers: headers), makeResponder(sink), next: next.handler)
            return (next.count == 1, sink.only)
        }
        #expect(run("/health", [:]).passed)                                  // registered public
        #expect(run("/v1/models/a", ["Authorization": "Bearer sk-2"]).passed)
        #expect(run("/v1/models/a", ["x-api-key": "sk-1"]).passed)
        let missing = run("/v1/models/a", [:])
        #expect(!missing.passed && missing.response?.status == 401)
        #expect(missing.response?.headers["WWW-Authenticate"] == "Bearer")
        #expect(missing.response?.body == Array("401:no key".utf8))
        #expect(run("/v1/models/a", ["Authorization": "Bearer sk-3"]).response?.body == Array("401:bad key".utf8))
        #expect(run("/v1/models/a", ["Authorization": "Basic sk-1"]).response?.status == 401)
        // An unknown path needs a key too: 401 before 404 reveals no routes.
        #expect(run("/nope", [:]).response?.status == 401)
        #expect(run("/nope", ["Authorization": "Bearer sk-1"]).passed)
    }

    @Test func decompressionInflatesGzipForRoutedRequests() throws {
        let m = RequestDecompressionMiddleware(maxBodyBytes: 1000)
        let text = Array(String(repeating: "hello ", count: 50).utf8)
        let gz = try #require(Gzip.compress(text))
        #expect(m.decide(routedRequest("POST", "/v1/echo", headers: ["Content-Encoding": "gzip"], body: gz)) == .pass(body: text))
        #expect(m.decide(routedRequest("POST", "/v1/echo", headers: ["Content-Encoding": "identity"], body: gz)) == .pass(body: nil))
        #expect(m.decide(routedRequest("POST", "/v1/echo", body: gz)) == .pass(body: nil))
        // Unrouted requests go on to their 404 / 405 untouched.
        #expect(m.decide(routedRequest("POST", "/nope", headers: ["Content-Encoding": "br"], body: gz)) == .pass(body: nil))
        guard case .refuse(415, _, let h) = m.decide(routedRequest("POST", "/v1/echo", headers: ["Content-Encoding": "br"])) else {
            Issue.record("br is not refused with 415"); return
        }
        #expect(h["Accept-Encoding"] == "gzip")
        guard case .refuse(400, _, _) = m.decide(routedRequest("POST", "/v1/echo", headers: ["Content-Encoding": "gzip"], body: [1, 2, 3])) else {
            Issue.record("corrupt gzip is not 400"); return
        }
        let small = RequestDecompressionMiddleware(maxBodyBytes: 10)
        guard case .refuse(413, _, _) = small.decide(routedRequest("POST", "/v1/echo", headers: ["Content-Encoding": "gzip"], body: gz)) else {
            Issue.record("a body inflating past the limit is not 413"); return
        }
        // Through handle: the next step sees the inflated body.
        let sink = RecordingSink()
        m.handle(routedRequest("POST", "/v1/echo", headers: ["Content-Encoding": "gzip"], body: gz), makeResponder(sink), next: Terminal().handler)
        #expect(sink.only?.body == text)
    }

    @Test func accessLogWritesOneLinePerOutcome() {
        let handler = CapturingLogHandler()
        let logger = Logger(label: "t", factory: { _ in handler })
        let sink = RecordingSink()
        let responder = makeResponder(sink, requestID: "r-9")
        AccessLogMiddleware(logger: logger).handle(routedRequest("GET", "/v1/models/a?x=1"), responder) { _, r in
            r.addLogMetadata("tokens", "12")
            r.respond(HTTPResponse(text: "a"))
        }
        #expect(handler.lines.withLock { $0.isEmpty })   // nothing until the request ends
        responder.context.finished(RequestOutcome(status: 200, completed: true, reason: nil, bytes: 120, durationNanos: 2_500_000))
        responder.context.finished(RequestOutcome(status: 500, completed: true, reason: nil))   // only the first counts
        let lines = handler.lines.withLock { $0 }
        #expect(lines.count == 1)
        let line = lines.first ?? ""
        #expect(line.hasPrefix("GET /v1/models/a 200 "))
        for part in ["bytes=120", "duration_ms=2.5", "request_id=r-9", "status=200", "tokens=12"] {
            #expect(line.contains(part), "\(part) missing in \(line)")
        }
        #expect(!line.contains("outcome="))
        let (_, cut) = AccessLogMiddleware.line(head: HTTPRequestHead(method: "POST", target: "/x"),
                                                outcome: RequestOutcome(status: 499, completed: false, reason: "client_closed"),
                                                requestID: "r", extra: [])
        #expect(cut["outcome"] == "client_closed")
    }

    @Test func pipelineRunsMiddlewareInOrderThenTheRoute() {
        struct Tag: HTTPMiddleware {
            let name: String
            func handle(_ request: HTTPRequest, _ responder: HTTPResponder, next: Router.Handler) {
                let name = name
                responder.decorateResponse { $0.add(name: "X-Order", value: name) }
                next(request, responder)
            }
        }
        let pipeline = RequestPipeline(router: middlewareTestRouter(), middleware: [Tag(name: "a"), Tag(name: "b")])
        func run(_ method: String, _ target: String) -> HTTPResponse? {
            let sink = RecordingSink()
            pipeline.handle(HTTPRequest(head: HTTPRequestHead(method: method, target: target)), makeResponder(sink))
            return sink.only
        }
        let found = run("GET", "/v1/models/m%201")
        #expect(found?.status == 200 && found?.body == Array("m 1".utf8))
        #expect(found?.headers.values(for: "X-Order") == ["a", "b"])
        let notAllowed = run("DELETE", "/v1/echo")
        #expect(notAllowed?.status == 405 && notAllowed?.headers["Allow"] == "POST")
        #expect(notAllowed?.body == Array("405:Method DELETE not allowed for /v1/echo".utf8))
        #expect(run("GET", "/nope")?.body == Array("404:Not found: GET /nope".utf8))
        #expect(run(String(repeating: "M", count: 40), "/nope")?.body == Array("404:Not found: \(String(repeating: "M", count: 32))… /nope".utf8))
    }
}
