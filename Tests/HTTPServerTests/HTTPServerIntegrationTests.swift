import Foundation
import Locking
import Logging
import SocketIO
import Testing
@testable import HTTPServer

/// End-to-end tests over loopback with real clients. Serialized: the fd-count test
/// needs a quiet process, and a loaded 2-core machine needs no more contention.
@Suite(.serialized) struct IntegrationTests {}

extension IntegrationTests {
    @Test func curlKeepAliveReusesTheConnection() async throws {
        let t = try TestServer(router: makeTestRouter())
        let r = try run(["curl", "-sv", "\(t.url)/json", "\(t.url)/v1/models/lfm2"])
        #expect(r.status == 0)
        #expect(r.out == #"{"ok":true}{"id":"lfm2"}"#)
        #expect(r.err.contains("Re-using existing connection"))
        #expect(r.err.contains("X-Request-Id:"))
        await t.stop()
    }

    @Test func curlChunkedUploadHeadAndCompressed() async throws {
        let t = try TestServer(router: makeTestRouter())
        let payload = String(repeating: "0123456789", count: 5000)
        let up = try run(["curl", "-s", "-H", "Transfer-Encoding: chunked", "-H", "Content-Type: text/plain",
                          "--data-binary", "@-", "\(t.url)/echo"], stdin: payload)
        #expect(up.out == payload)
        let head = try run(["curl", "-sI", "\(t.url)/json"])
        #expect(head.out.hasPrefix("HTTP/1.1 200 OK"))
        #expect(head.out.contains("Content-Length: 11"))
        let z = try run(["curl", "-s", "--compressed", "-D", "/dev/stderr", "\(t.url)/big"])
        #expect(z.err.contains("Content-Encoding: gzip"))
        #expect(z.err.contains("Vary: Accept-Encoding"))
        #expect(z.out.hasPrefix("[{\"token\"") && z.out.hasSuffix("}]"))
        let plain = try run(["curl", "-s", "-D", "/dev/stderr", "\(t.url)/big"])
        #expect(!plain.err.contains("Content-Encoding"))
        #expect(plain.out == z.out)
        await t.stop()
    }

    @Test func pythonHTTPClient() async throws {
        let t = try TestServer(router: makeTestRouter())
        let script = """
        import http.client, json
        c = http.client.HTTPConnection("127.0.0.1", \(t.port), timeout=20)
        out = []
        for i in range(3):
            c.request("POST", "/echo", body=json.dumps({"i": i}), headers={"Content-Type": "application/json"})
            r = c.getresponse(); out.append((r.status, r.read().decode()))
        c.request("GET", "/nope"); r = c.getresponse(); out.append((r.status, json.loads(r.read())["error"]["type"]))
        c.request("GET", "/slow"); r = c.getresponse(); out.append((r.status, r.read().decode()))
        c.request("GET", "/stream?n=2"); r = c.getresponse(); out.append((r.status, r.read().decode()))
        print(json.dumps(out))
        """
        let r = try run(["python3", "-c", script])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.trimmingCharacters(in: .whitespacesAndNewlines) ==
                #"[[200, "{\"i\": 0}"], [200, "{\"i\": 1}"], [200, "{\"i\": 2}"], [404, "invalid_request_error"], [200, "{\"slow\":true}"], [200, "line 0\nline 1\n"]]"#)
        await t.stop()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let t = try TestServer(router: makeTestRouter())
        let c = try RawClient(port: t.port)
        c.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /v1/models/b HTTP/1.1\r\nHost: a\r\n\r\nPOST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyzGET /json HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        let all = c.readToEnd()
        let slow = all.range(of: #"{"slow":true}"#)?.lowerBound
        let b = all.range(of: #"{"id":"b"}"#)?.lowerBound
        let xyz = all.range(of: "xyz")?.lowerBound
        let ok = all.range(of: #"{"ok":true}"#)?.lowerBound
        #expect(slow != nil && b != nil && xyz != nil && ok != nil)
        if let slow, let b, let xyz, let ok { #expect(slow < b && b < xyz && xyz < ok) }
        #expect(all.components(separatedBy: "HTTP/1.1 200 OK").count == 5)
        #expect(all.contains("Connection: close"))
        await t.stop()
    }

    @Test func errorsHaveTheRightStatusShapeAndConnectionState() async throws {
        let t = try TestServer(router: makeTestRouter()) {
            $0.limits.maxURILength = 200
            $0.limits.maxHeaderBytes = 1024
            $0.limits.maxHeaderCount = 20
            $0.limits.maxBodyBytes = 100
        }
        let cases: [(String, Int)] = [
            ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
            ("GARBAGE\r\n\r\n", 400),
            ("GET /\(String(repeating: "a", count: 300)) HTTP/1.1\r\nHost: a\r\n\r\n", 414),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "v", count: 2000))\r\n\r\n", 431),
            ("GET / HTTP/1.1\r\nHost: a\r\n" + (0..<30).map { "X-\($0): v\r\n" }.joined() + "\r\n", 431),
            ("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n", 413),
            ("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
            ("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
        ]
        for (request, status) in cases {
            let c = try RawClient(port: t.port)
            c.send(request)
            let response = c.readToEnd()   // the server closes after a framing error
            #expect(response.hasPrefix("HTTP/1.1 \(status) "), "\(status): \(response.prefix(80))")
            #expect(response.contains("Connection: close"))
            #expect(response.contains(#"{"error":{"message":"#) && response.contains(#""type":"invalid_request_error","param":null,"code":null}}"#)
                    || status >= 500)
        }
        // 404 and 405 keep the connection open.
        let c = try RawClient(port: t.port)
        c.send("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n")
        let r404 = c.read(until: "}}")
        #expect(r404.hasPrefix("HTTP/1.1 404 "))
        c.send("DELETE /json HTTP/1.1\r\nHost: a\r\n\r\n")
        let r405 = c.read(until: "}}")
        #expect(r405.hasPrefix("HTTP/1.1 405 "))
        #expect(r405.contains("Allow: GET, HEAD"))
        c.send("GET /json HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(c.read(until: "{\"ok\":true}").hasPrefix("HTTP/1.1 200 OK"))
        await t.stop()
    }

    @Test func http10AndExpectContinue() async throws {
        let t = try TestServer(router: makeTestRouter())
        let c = try RawClient(port: t.port)
        c.send("GET /json HTTP/1.0\r\n\r\n")
        let r = c.readToEnd()
        #expect(r.hasPrefix("HTTP/1.1 200 OK"))
        #expect(r.contains("Connection: close"))
        let s = try RawClient(port: t.port)
        s.send("GET /stream?n=2 HTTP/1.0\r\n\r\n")
        let sr = s.readToEnd()
        #expect(!sr.contains("chunked") && sr.hasSuffix("line 0\nline 1\n"))
        let e = try RawClient(port: t.port)
        e.send("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        #expect(e.read(until: "\r\n\r\n").hasPrefix("HTTP/1.1 100 Continue\r\n\r\n"))
        e.send("hello")
        #expect(e.read(until: "hello").contains("HTTP/1.1 200 OK"))
        await t.stop()
    }

    @Test func slowlorisIsCutOffWhileOthersAreServed() async throws {
        let t = try TestServer(router: makeTestRouter()) {
            $0.headerTimeout = .milliseconds(600)
            $0.idleTimeout = .milliseconds(600)
        }
        let slow = try RawClient(port: t.port)
        let start = Date()
        var closed = false
        // Trickle one byte every 100 ms; the absolute header timeout must still fire.
        for b in "GET / HTTP/1.1\r\nHost: a\r\nX-Long: ".utf8 {
            slow.send([b])
            usleep(100_000)
            if Date().timeIntervalSince(start) > 1.5 { break }
            // Meanwhile a normal client is served.
            let ok = try run(["curl", "-s", "-m", "5", "\(t.url)/json"])
            #expect(ok.out == #"{"ok":true}"#)
        }
        let answer = slow.readToEnd()
        closed = true
        #expect(answer.hasPrefix("HTTP/1.1 408 "))
        #expect(closed)
        // An idle keep-alive connection is closed after the idle timeout.
        let idle = try RawClient(port: t.port)
        idle.send("GET /json HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = idle.read(until: "{\"ok\":true}")
        #expect(idle.isClosedByPeer())
        // A connection that never sends anything is closed too.
        let silent = try RawClient(port: t.port)
        #expect(silent.isClosedByPeer())
        await t.stop()
    }

    @Test func requestIDAuthAndCORS() async throws {
        let t = try TestServer(router: makeTestRouter()) {
            $0.auth = .init(tokens: ["sk-test"], pathPrefix: "/v1")
            $0.cors = .init(allowedOrigins: ["https://app.example"])
        }
        let c = try RawClient(port: t.port)
        c.send("GET /v1/models/x HTTP/1.1\r\nHost: a\r\nX-Request-Id: abc-123\r\n\r\n")
        let unauth = c.read(until: "}}")
        #expect(unauth.hasPrefix("HTTP/1.1 401 "))
        #expect(unauth.contains("WWW-Authenticate: Bearer"))
        #expect(unauth.contains("X-Request-Id: abc-123"))
        #expect(unauth.contains(#""type":"authentication_error""#))
        c.send("GET /v1/models/x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer sk-test\r\nOrigin: https://app.example\r\n\r\n")
        let ok = c.read(until: "\"x\"}")
        #expect(ok.hasPrefix("HTTP/1.1 200 "))
        #expect(ok.contains("Access-Control-Allow-Origin: https://app.example"))
        c.send("GET /health HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(c.read(until: "ok\"}").hasPrefix("HTTP/1.1 200 "))
        c.send("OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: POST\r\n\r\n")
        let pre = c.read(until: "\r\n\r\n")
        #expect(pre.hasPrefix("HTTP/1.1 204 "))
        #expect(pre.contains("Access-Control-Allow-Methods: GET, POST, OPTIONS"))
        await t.stop()
    }

    @Test func tlsWithSelfSignedCertificate() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gen = try run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/key.pem",
                           "-out", "\(dir)/cert.pem", "-days", "1", "-subj", "/CN=localhost"])
        #expect(gen.status == 0)
        let t = try TestServer(router: makeTestRouter()) {
            $0.tlsCertificatePath = "\(dir)/cert.pem"
            $0.tlsKeyPath = "\(dir)/key.pem"
        }
        let url = "https://127.0.0.1:\(t.port)"
        let r = try run(["curl", "-sk", "-v", "\(url)/json", "\(url)/v1/models/tls"])
        #expect(r.out == #"{"ok":true}{"id":"tls"}"#, "\(r.err)")
        #expect(r.err.contains("Re-using existing connection"))
        let big = try run(["curl", "-sk", "-H", "Transfer-Encoding: chunked", "--data-binary", "@-", "\(url)/echo"],
                          stdin: String(repeating: "x", count: 300_000))
        #expect(big.out.count == 300_000)
        await t.stop()
        // A bad path is a clear startup error.
        var bad = HTTPServer.Configuration()
        bad.port = 0
        bad.tlsCertificatePath = "\(dir)/missing.pem"
        bad.tlsKeyPath = "\(dir)/key.pem"
        let s = HTTPServer(configuration: bad, router: Router(), logger: makeTestLogger())
        #expect { try s.start() } throws: { ($0 as? TLSError)?.description.contains("missing.pem") == true }
    }

    @Test func gracefulShutdownFinishesInFlightResponses() async throws {
        let t = try TestServer(router: makeTestRouter())
        let c = try RawClient(port: t.port)
        c.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
        usleep(10_000)
        let idle = try RawClient(port: t.port)
        _ = idle
        usleep(10_000)
        t.server.shutdown(gracePeriod: .seconds(5))
        let r = c.readToEnd()
        #expect(r.hasPrefix("HTTP/1.1 200 OK"))
        #expect(r.contains("Connection: close"))
        #expect(r.hasSuffix(#"{"slow":true}"#))
        await t.server.waitUntilDrained()
        #expect(t.server.connectionCount == 0)
        #expect(throws: (any Error).self) { _ = try RawClient(port: t.port) }
    }
}

/// Captures log messages for assertions.
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    // @unchecked Sendable: the only mutable state is behind `lines`' lock; logLevel and
    // metadata are set before the server starts.
    let lines = Locked<[String]>([])
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        let meta = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.withLock { $0.append("\(event.message) \(meta)") }
    }
}

extension IntegrationTests {
    @Test func accessLogLines() async throws {
        let handler = CapturingLogHandler()
        var c = HTTPServer.Configuration()
        c.port = 0
        let server = HTTPServer(configuration: c, router: makeTestRouter(), logger: Logger(label: "t", factory: { _ in handler }))
        let port = try server.start()
        let client = try RawClient(port: port)
        client.send("GET /v1/models/abc HTTP/1.1\r\nHost: a\r\nX-Request-Id: rid-1\r\n\r\n")
        _ = client.read(until: "abc\"}")
        #expect(eventually { handler.lines.withLock { $0.contains { $0.hasPrefix("GET /v1/models/abc 200") } } })
        let line = handler.lines.withLock { $0.first { $0.hasPrefix("GET /v1/models/abc 200") } } ?? ""
        #expect(line.contains("request_id=rid-1") && line.contains("bytes=") && line.contains("duration_ms="))
        server.shutdown(gracePeriod: .seconds(1))
        await server.waitUntilDrained()
    }
}
