import HTTP1

extension HTTPServer {
    /// API-key authentication as middleware (RFC 6750 bearer tokens, and the `x-api-key`
    /// header the Anthropic SDK sends), decided on the RESOLVED route
    /// (``HTTPRequest/routing``), never on the path text: every route needs a key unless it
    /// was registered public or its pattern is exempt, and an unknown path needs one too
    /// (so 401 comes before 404 and reveals no routes). A refused request gets 401 with
    /// `WWW-Authenticate: Bearer` and ``message``.
    public struct BearerAuth: HTTPMiddleware {
        /// Accepted keys. Compared in constant time; never logged.
        public var tokens: Set<String> {
            get { Set(keys.map { String(decoding: $0, as: UTF8.self) }) }
            set { keys = newValue.map { Array($0.utf8) } }
        }
        private var keys: [[UInt8]] = []
        /// Route patterns starting with this need a key. Default `/` (every route).
        public var pathPrefix = "/"
        /// Route patterns that never need a key, besides routes registered public
        /// (``Router/add(_:_:isPublic:_:)``). Default none.
        public var exemptPaths: Set<String> = []
        /// The message of a 401; `presented` tells whether a key was sent at all. An API
        /// layer sets its own wording (lfm-serve: `OpenAIError.unauthorizedMessage`).
        public var message: @Sendable (_ presented: Bool) -> String = { presented in
            presented ? "Invalid API key." : "Missing API key."
        }
        /// Error-body builders of routes whose API has its own error shape, by route pattern
        /// (e.g. Anthropic's on `/v1/messages`); other routes use the server's error body.
        public var routeErrorBodies: [String: HTTPErrorBody.Builder] = [:]
        /// A policy accepting `tokens`.
        public init(tokens: Set<String>, pathPrefix: String = "/", exemptPaths: Set<String> = []) {
            self.tokens = tokens
            self.pathPrefix = pathPrefix
            self.exemptPaths = exemptPaths
        }

        /// Whether the route (`nil`: no route matched) is open without a key.
        func isOpen(_ route: Router.Resolution?) -> Bool {
            guard let route else { return false }
            return route.isPublic || exemptPaths.contains(route.pattern) || !route.pattern.hasPrefix(pathPrefix)
        }

        /// The key a request presents: `Authorization: Bearer <key>`, else `x-api-key`.
        static func presentedKey(_ headers: HTTPHeaders) -> String? {
            var malformed = false
            if let auth = headers["authorization"], !auth.trimmingASCIIWhitespace().isEmpty {
                let parts = auth.split(separator: " ", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == "bearer" { return parts[1].trimmingASCIIWhitespace() }
                malformed = true
            }
            if let key = headers["x-api-key"]?.trimmingASCIIWhitespace(), !key.isEmpty { return key }
            return malformed ? "" : nil
        }

        /// Whether `key` is one of the accepted keys. Every key is compared in full, so the
        /// time taken does not depend on where (or whether) the key differs.
        func accepts(_ key: String) -> Bool {
            let k = Array(key.utf8)
            var found: UInt8 = 0
            for candidate in keys { found |= Self.constantTimeEqual(candidate, k) }
            return found != 0
        }

        /// 1 when equal, 0 otherwise; time depends only on the longer length.
        static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> UInt8 {
            var diff: UInt8 = a.count == b.count ? 0 : 1
            for i in 0..<max(a.count, b.count) {
                diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
            }
            return diff == 0 ? 1 : 0
        }

        /// Whether a request for `route` with these headers may pass.
        func permits(route: Router.Resolution?, headers: HTTPHeaders) -> Bool {
            if isOpen(route) { return true }
            guard let key = Self.presentedKey(headers), !key.isEmpty else { return false }
            return accepts(key)
        }

        public func handle(_ request: HTTPRequest, _ responder: HTTPResponder, next: Router.Handler) {
            if permits(route: try? request.routing?.get(), headers: request.headers) {
                next(request, responder)
                return
            }
            let presented = request.headers.contains("authorization") || request.headers.contains("x-api-key")
            if let pattern = (try? request.routing?.get())?.pattern, let body = routeErrorBodies[pattern] {
                responder.respond(HTTPResponse.json(body(401, message(presented)), status: 401, headers: ["WWW-Authenticate": "Bearer"]))
            } else {
                responder.respondError(status: 401, message: message(presented), headers: ["WWW-Authenticate": "Bearer"])
            }
        }
    }
}
