/// Which redirects the client follows, and what credentials travel with them.
///
/// The Hub answers `resolve/<rev>/<file>` for large files with a redirect to a CDN host and a
/// signed URL. The access token must never reach that host (huggingface_hub:
/// `_httpx2_follow_hub_redirects_with_backoff`, `_is_same_or_hub_host`), so
/// `Authorization` is dropped as soon as a redirect leaves the trusted origins.
package struct RedirectPolicy: Sendable, Equatable {
    package enum Mode: Sendable, Equatable {
        /// Return every 3xx response to the caller.
        case never
        /// Follow redirects that stay on a trusted origin; return the first that leaves
        /// (HEAD on `resolve`: the file metadata is on that response).
        case withinTrusted
        /// Follow every redirect (downloads), dropping credentials off the trusted origins.
        case always
    }

    package var mode: Mode
    /// Origins (`HubURL.origin`) that may receive the `Authorization` header: the Hub endpoint.
    package var trustedOrigins: Set<String>
    /// Most redirects followed for one request.
    package var maxRedirects: Int

    package init(mode: Mode, trustedOrigins: Set<String>, maxRedirects: Int = 10) {
        self.mode = mode
        self.trustedOrigins = trustedOrigins
        self.maxRedirects = maxRedirects
    }

    /// What to do after `request` got a 3xx with `location` (raw header value).
    package enum Decision: Sendable {
        /// Send this request next.
        case follow(HTTPClientRequest)
        /// Hand the redirect response itself to the caller.
        case stop
        /// The Location cannot be used.
        case invalid(String)
    }

    /// Decides the next step (RFC 9110 §15.4: 303 turns into GET; the other codes keep the method).
    package func next(after request: HTTPClientRequest, status: Int, location: String) -> Decision {
        guard mode != .never else { return .stop }
        guard let target = request.url.resolving(location) else { return .invalid("unusable redirect Location") }
        let trusted = trustedOrigins.contains(target.origin)
        if mode == .withinTrusted && !trusted && target.origin != request.url.origin { return .stop }
        var next = trusted ? request : request.removingHeader("Authorization")
        next.url = target
        if status == 303 && request.method != "HEAD" { next.method = "GET" }
        return .follow(next)
    }
}
