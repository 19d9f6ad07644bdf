import Testing
@testable import LFMHub

@Suite struct ProxySettingsTests {
    @Test func readsTheVariablesLowerCaseFirst() {
        let p = ProxySettings(environment: ["HTTPS_PROXY": "http://upper:1", "https_proxy": "http://proxy.corp:3128",
                                            "HTTP_PROXY": "proxy.corp", "NO_PROXY": " localhost, .internal ,10.0.0.1:8080,"])
        #expect(p.https == .init(host: "proxy.corp", port: 3128, credentials: nil))
        #expect(p.http == .init(host: "proxy.corp", port: 80, credentials: nil))
        #expect(p.noProxy == ["localhost", ".internal", "10.0.0.1:8080"])
        #expect(ProxySettings(environment: ["HTTPS_PROXY": ""]).https == nil)
    }

    @Test func parsesCredentialsPortsAndIPv6() {
        #expect(ProxySettings.parse("http://user:p%40ss@[::1]:8080/") == .init(host: "::1", port: 8080, credentials: "user:p@ss"))
        #expect(ProxySettings.parse("https://secure.proxy") == .init(host: "secure.proxy", port: 443, credentials: nil))
        #expect(ProxySettings.parse("http://host:notaport") == nil)
        #expect(ProxySettings.parse("http://host:0") == nil)
    }

    @Test func noProxyMatchesHostsSuffixesPortsAndStar() {
        let base = ProxySettings(https: .init(host: "p", port: 1, credentials: nil), http: .init(host: "p", port: 1, credentials: nil))
        func via(_ noProxy: [String], _ url: String) -> Bool {
            var s = base
            s.noProxy = noProxy
            return s.proxy(for: HubURL(string: url)!) != nil
        }
        #expect(via([], "https://huggingface.co/api"))
        #expect(!via(["huggingface.co"], "https://huggingface.co/api"))
        #expect(!via(["huggingface.co"], "https://cdn-lfs.huggingface.co/x"))
        #expect(via(["huggingface.co"], "https://nothuggingface.co/x"))
        #expect(!via([".internal"], "http://hub.internal/x"))
        #expect(!via(["10.0.0.1:8080"], "http://10.0.0.1:8080/x"))
        #expect(via(["10.0.0.1:8080"], "http://10.0.0.1:9090/x"))
        #expect(!via(["*"], "https://huggingface.co/"))
        // Only the scheme's own proxy applies.
        #expect(ProxySettings(http: .init(host: "p", port: 1, credentials: nil)).proxy(for: HubURL(string: "https://a/")!) == nil)
    }

    @Test func basicCredentialsAndAbsoluteFormRequests() {
        #expect(ProxySettings.Proxy(host: "p", port: 1, credentials: "Aladdin:open sesame").authorization
                == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        #expect(ProxySettings.Proxy.base64(Array("ab".utf8)) == "YWI=" && ProxySettings.Proxy.base64(Array("a".utf8)) == "YQ==")
        let r = HTTPClientRequest(method: "GET", url: HubURL(string: "http://mirror.local:8000/api/models/a/b")!)
        let text = String(decoding: r.serialized(userAgent: "t", absoluteForm: true, proxyAuthorization: "Basic eA=="), as: UTF8.self)
        #expect(text.hasPrefix("GET http://mirror.local:8000/api/models/a/b HTTP/1.1\r\nHost: mirror.local:8000\r\n"))
        #expect(text.contains("Proxy-Authorization: Basic eA==\r\n"))
    }
}
