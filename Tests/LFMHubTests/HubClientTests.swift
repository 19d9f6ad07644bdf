import Logging
import Testing
import HTTP1
@testable import LFMHub

@Suite struct HubClientTests {
    let env = HubEnvironment(endpoint: "https://hub.test", token: "hf_secret", offline: false, cacheDirectory: "/c")
    let logger = Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func urls() throws {
        let client = try HubClient(environment: env, http: HubHTTPClient(logger: logger), logger: logger)
        #expect(client.modelInfoURL("a/b", revision: "refs/pr/1")?.absoluteString == "https://hub.test/api/models/a/b/revision/refs%2Fpr%2F1")
        #expect(client.resolveURL("a/b", revision: "main", file: "onnx/m 1.onnx")?.absoluteString == "https://hub.test/a/b/resolve/main/onnx/m%201.onnx")
        #expect(throws: HubError.self) { try HubClient(environment: HubEnvironment(endpoint: "hub.test", cacheDirectory: "/c"), http: HubHTTPClient(logger: logger), logger: logger) }
    }

    @Test func modelInfo() throws {
        let sha = String(repeating: "a", count: 40)
        let info = try HubClient.parseModelInfo(Array(#"{"id":"a/b","sha":"\#(sha)","siblings":[{"rfilename":"config.json"},{"rfilename":"onnx/x"}]}"#.utf8), repo: "a/b")
        #expect(info == HubModelInfo(commit: sha, files: ["config.json", "onnx/x"]))
        #expect(throws: HubError.self) { try HubClient.parseModelInfo(Array(#"{"sha":"main"}"#.utf8), repo: "a/b") }
        #expect(throws: HubError.self) { try HubClient.parseModelInfo(Array("<html>".utf8), repo: "a/b") }
    }

    func head(_ status: Int, _ headers: [(String, String)]) -> HTTPResponseHead {
        HTTPResponseHead(status: status, headers: headers.map { (name: $0.0, value: $0.1) })
    }

    @Test func fileMetadataOfAnLFSRedirect() throws {
        let url = HubURL(string: "https://hub.test/a/b/resolve/c0/model.safetensors")!
        let sha = String(repeating: "b", count: 64)
        let m = try HubClient.parseFileMetadata(head(302, [("X-Repo-Commit", "c0"), ("ETag", "\"pointer\""), ("X-Linked-Etag", "\"\(sha)\""),
                                                           ("X-Linked-Size", "1234"), ("Content-Length", "0"), ("Location", "https://cdn.test/x?sig=1")]),
                                                responseURL: url, repo: "a/b", file: "model.safetensors")
        #expect(m == HubFileMetadata(commit: "c0", etag: sha, size: 1234, downloadURL: HubURL(string: "https://cdn.test/x?sig=1")!))
    }

    @Test func fileMetadataOfARegularFile() throws {
        let url = HubURL(string: "https://hub.test/api/resolve-cache/a/b/c0/config.json")!
        let m = try HubClient.parseFileMetadata(head(200, [("ETag", "W/\"abc123\""), ("Content-Length", "42")]), responseURL: url, repo: "a/b", file: "config.json")
        #expect(m == HubFileMetadata(commit: nil, etag: "abc123", size: 42, downloadURL: url))
        // A redirect's Content-Length is the redirect body's, not the file's.
        let r = try HubClient.parseFileMetadata(head(302, [("ETag", "\"e\""), ("Content-Length", "0"), ("Location", "/x")]), responseURL: url, repo: "a/b", file: "f")
        #expect(r.size == nil && r.downloadURL.absoluteString == "https://hub.test/x")
        #expect(throws: HubError.self) { try HubClient.parseFileMetadata(head(200, []), responseURL: url, repo: "a/b", file: "f") }
        #expect(throws: HubError.self) { try HubClient.parseFileMetadata(head(200, [("ETag", "\"../../x\"")]), responseURL: url, repo: "a/b", file: "f") }
    }

    @Test func statusErrorsNameTheRepositoryAndTheFix() {
        let url = HubURL(string: "https://hub.test/x")!
        func error(_ status: Int, _ code: String? = nil, file: String? = nil, token: Bool = false) -> HubError {
            HubClient.statusError(head(status, code.map { [("X-Error-Code", $0)] } ?? []), repo: "a/b", revision: "v2", file: file,
                                  endpoint: "https://hub.test", tokenSent: token, url: url)
        }
        #expect(error(401) == .accessDenied(repo: "a/b", status: 401, tokenSent: false, gated: false))
        #expect(error(401).description.contains("set HF_TOKEN"))
        #expect(error(403, "GatedRepo", token: true).description.contains("a/b is a gated repository"))
        #expect(error(403, "GatedRepo", token: true).description.contains("does not grant access"))
        #expect(error(404) == .repositoryNotFound(repo: "a/b", revision: "v2", endpoint: "https://hub.test"))
        #expect(error(404).description == "repository a/b not found on https://hub.test (or it has no revision 'v2'): check the name (owner/name, case matters)")
        #expect(error(404, "RevisionNotFound") == .revisionNotFound(repo: "a/b", revision: "v2"))
        #expect(error(404, file: "config.json") == .fileNotFound(repo: "a/b", revision: "v2", file: "config.json"))
        #expect(error(404, "RepoNotFound", file: "config.json") == .repositoryNotFound(repo: "a/b", revision: "v2", endpoint: "https://hub.test"))
        if case .network = error(503) {} else { Issue.record("5xx is not retryable") }
        if case .network = error(429) {} else { Issue.record("429 is not retryable") }
        if case .protocolError = error(418) {} else { Issue.record("418") }
    }

    @Test func headRequestFollowsSameOriginAndStopsAtTheCDN() throws {
        let net = ScriptedNetwork()
        let sha = String(repeating: "c", count: 64)
        net.add("hub.test", "HTTP/1.1 307 Temporary Redirect\r\nLocation: /a/b/resolve/c0/model.safetensors\r\nContent-Length: 0\r\n\r\n")
        net.add("hub.test", "HTTP/1.1 302 Found\r\nX-Repo-Commit: c0\r\nX-Linked-Etag: \"\(sha)\"\r\nX-Linked-Size: 5\r\nLocation: https://cdn.test/blob?sig=s\r\nContent-Length: 0\r\n\r\n")
        let client = try HubClient(environment: env, http: net.client(), logger: logger)
        let m = try client.fileMetadata("a/b", revision: "main", file: "model.safetensors")
        #expect(m.etag == sha && m.size == 5 && m.downloadURL.host == "cdn.test")
        #expect(net.opened.map(\.host) == ["hub.test", "hub.test"])
        for (_, s) in net.opened {
            #expect(s.sentText.hasPrefix("HEAD /a/b/resolve/"))
            #expect(s.sentText.contains("Authorization: Bearer hf_secret\r\n"))
            #expect(s.sentText.contains("Host: hub.test\r\n") && s.sentText.contains("Accept-Encoding: identity\r\n"))
        }
    }

    @Test func downloadFollowsToTheCDNWithoutTheToken() throws {
        let net = ScriptedNetwork()
        net.add("hub.test", "HTTP/1.1 302 Found\r\nLocation: https://cdn.test/blob?sig=s\r\nContent-Length: 0\r\n\r\n")
        net.add("cdn.test", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        let client = try HubClient(environment: env, http: net.client(), logger: logger)
        let url = HubURL(string: "https://hub.test/a/b/resolve/main/x")!
        let r = try client.http.send(HTTPClientRequest(method: "GET", url: url, headers: client.authorization), redirects: client.redirects(.always))
        #expect(try r.readAll() == Array("abcde".utf8))
        #expect(r.url.host == "cdn.test")
        #expect(net.opened[1].stream.sentText.hasPrefix("GET /blob?sig=s HTTP/1.1\r\n"))
        #expect(!net.opened[1].stream.sentText.contains("Authorization"))
    }

    @Test func truncatedBodiesAreNetworkErrors() throws {
        let net = ScriptedNetwork()
        net.add("hub.test", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        net.add("hub.test", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
        net.add("hub.test", "HTTP/1.1 200 OK\r\n\r\nuntil close")
        net.add("hub.test", "")
        let http = net.client()
        let url = HubURL(string: "https://hub.test/x")!
        let policy = RedirectPolicy(mode: .never, trustedOrigins: [])
        for _ in 0..<2 {
            let r = try http.send(HTTPClientRequest(method: "GET", url: url), redirects: policy)
            #expect(throws: HubError.self) { try r.readAll() }
        }
        #expect(try http.send(HTTPClientRequest(method: "GET", url: url), redirects: policy).readAll() == Array("until close".utf8))
        #expect(throws: HubError.network("connection closed by hub.test before any response")) {
            try http.send(HTTPClientRequest(method: "GET", url: url), redirects: policy)
        }
    }

    @Test func interimResponsesAreSkipped() throws {
        let net = ScriptedNetwork()
        net.add("hub.test", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        let r = try net.client().send(HTTPClientRequest(method: "GET", url: HubURL(string: "http://hub.test/")!), redirects: RedirectPolicy(mode: .never, trustedOrigins: []))
        #expect(r.head.status == 200)
        #expect(try r.readAll() == Array("ok".utf8))
    }

    @Test func tooManyRedirects() throws {
        let net = ScriptedNetwork()
        for _ in 0..<12 { net.add("hub.test", "HTTP/1.1 302 Found\r\nLocation: /loop\r\n\r\n") }
        #expect(throws: HubError.self) {
            try net.client().send(HTTPClientRequest(method: "GET", url: HubURL(string: "http://hub.test/")!),
                                  redirects: RedirectPolicy(mode: .always, trustedOrigins: [], maxRedirects: 10))
        }
    }
}
