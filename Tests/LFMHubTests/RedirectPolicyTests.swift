import Testing
@testable import LFMHub

@Suite struct RedirectPolicyTests {
    let hub = HubURL(string: "https://hub.test/a/b/resolve/main/model.safetensors")!
    var request: HTTPClientRequest { HTTPClientRequest(method: "HEAD", url: hub, headers: [("Authorization", "Bearer t"), ("X-Other", "1")]) }

    func policy(_ mode: RedirectPolicy.Mode) -> RedirectPolicy { RedirectPolicy(mode: mode, trustedOrigins: [hub.origin]) }

    @Test func sameOriginRelativeRedirectKeepsCredentials() throws {
        guard case .follow(let next) = policy(.withinTrusted).next(after: request, status: 307, location: "/api/resolve-cache/x") else {
            Issue.record("not followed"); return
        }
        #expect(next.url.absoluteString == "https://hub.test/api/resolve-cache/x")
        #expect(next["Authorization"] == "Bearer t" && next.method == "HEAD")
    }

    @Test func crossOriginRedirectStopsForMetadata() {
        guard case .stop = policy(.withinTrusted).next(after: request, status: 302, location: "https://cdn.test/blob?sig=1") else {
            Issue.record("followed off the Hub"); return
        }
    }

    @Test func downloadsFollowToTheCDNWithoutCredentials() throws {
        var get = request
        get.method = "GET"
        guard case .follow(let next) = policy(.always).next(after: get, status: 302, location: "https://cdn.test/blob?sig=1") else {
            Issue.record("not followed"); return
        }
        #expect(next.url.host == "cdn.test" && next["Authorization"] == nil && next["X-Other"] == "1")
        // A redirect back to the Hub does not bring the token back.
        guard case .follow(let back) = policy(.always).next(after: next, status: 302, location: "https://hub.test/x") else {
            Issue.record("not followed"); return
        }
        #expect(back["Authorization"] == nil)
    }

    @Test func otherPortOrSchemeIsAnotherOrigin() throws {
        var get = request
        get.method = "GET"
        for loc in ["https://hub.test:8443/x", "http://hub.test/x"] {
            guard case .follow(let next) = policy(.always).next(after: get, status: 301, location: loc) else { Issue.record("\(loc) not followed"); continue }
            #expect(next["Authorization"] == nil, "\(loc)")
        }
    }

    @Test func seeOtherBecomesGETAndNeverMeansStop() {
        var post = request
        post.method = "POST"
        guard case .follow(let next) = policy(.always).next(after: post, status: 303, location: "/y") else { Issue.record("303"); return }
        #expect(next.method == "GET")
        guard case .stop = policy(.never).next(after: request, status: 302, location: "/z") else { Issue.record("never"); return }
        guard case .invalid = policy(.always).next(after: request, status: 302, location: "ftp://x/y") else { Issue.record("ftp"); return }
    }
}
