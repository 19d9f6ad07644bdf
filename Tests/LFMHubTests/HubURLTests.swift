import Testing
@testable import LFMHub

@Suite struct HubURLTests {
    @Test func parsing() throws {
        let u = try #require(HubURL(string: "https://HuggingFace.co/api/models/a/b?x=1#frag"))
        #expect(u.scheme == "https" && u.host == "huggingface.co" && u.port == 443 && u.target == "/api/models/a/b?x=1")
        #expect(u.hostHeader == "huggingface.co" && u.origin == "https://huggingface.co:443")
        #expect(u.description == "https://huggingface.co/api/models/a/b")  // no query: signatures stay out of logs
        #expect(u.absoluteString == "https://huggingface.co/api/models/a/b?x=1")
        let p = try #require(HubURL(string: "http://127.0.0.1:8080"))
        #expect(p.port == 8080 && p.target == "/" && p.hostHeader == "127.0.0.1:8080")
        let v6 = try #require(HubURL(string: "http://[::1]:9/x"))
        #expect(v6.host == "::1" && v6.hostHeader == "[::1]:9" && v6.origin == "http://[::1]:9")
        #expect(HubURL(string: "http://h?q=1")?.target == "/?q=1")
        for bad in ["ftp://h/x", "huggingface.co", "http://", "http://h:0/", "http://h:99999/", "http://[::1/"] {
            #expect(HubURL(string: bad) == nil, "\(bad)")
        }
    }

    @Test func resolvingLocations() throws {
        let base = try #require(HubURL(string: "https://hub.test/a/b/resolve/main/c.json?x=1"))
        #expect(base.resolving("https://cdn.test/blob?sig=2")?.absoluteString == "https://cdn.test/blob?sig=2")
        #expect(base.resolving("//cdn.test/p")?.absoluteString == "https://cdn.test/p")
        #expect(base.resolving("/api/resolve-cache/x")?.absoluteString == "https://hub.test/api/resolve-cache/x")
        #expect(base.resolving("d.json")?.absoluteString == "https://hub.test/a/b/resolve/main/d.json")
        #expect(base.resolving("../other/e")?.absoluteString == "https://hub.test/a/b/resolve/other/e")
        #expect(base.resolving("./f?y=2")?.absoluteString == "https://hub.test/a/b/resolve/main/f?y=2")
        #expect(base.resolving("?z=3")?.absoluteString == "https://hub.test/a/b/resolve/main/c.json?z=3")
        #expect(base.resolving("/../../x")?.absoluteString == "https://hub.test/x")
    }

    @Test func percentEncoding() {
        #expect(HubURL.percentEncode("refs/pr/1", keepSlash: false) == "refs%2Fpr%2F1")
        #expect(HubURL.percentEncode("onnx/model a+b.onnx", keepSlash: true) == "onnx/model%20a%2Bb.onnx")
        #expect(HubURL.percentEncode("é~_.-", keepSlash: true) == "%C3%A9~_.-")
    }
}
