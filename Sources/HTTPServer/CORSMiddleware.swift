import HTTP1

extension HTTPServer {
    /// Cross-origin resource sharing (Fetch standard, CORS protocol) as middleware: a
    /// preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered
    /// 204 here and never routed; every response to an allowed origin gets
    /// `Access-Control-Allow-Origin` (and `Vary: Origin` unless any origin is allowed).
    public struct CORS: HTTPMiddleware {
        /// Allowed origins; `*` allows any. Default `["*"]`.
        public var allowedOrigins: [String] = ["*"]
        /// Methods announced in preflight answers.
        public var allowedMethods = ["GET", "POST", "OPTIONS"]
        /// Request headers announced in preflight answers.
        public var allowedHeaders = ["Authorization", "Content-Type", "X-Request-Id"]
        /// Preflight cache lifetime in seconds. Default 600.
        public var maxAge = 600
        /// Default policy.
        public init(allowedOrigins: [String] = ["*"]) { self.allowedOrigins = allowedOrigins }

        /// The value of `Access-Control-Allow-Origin` for `origin`, or nil if refused.
        func allowOrigin(_ origin: String) -> String? {
            if allowedOrigins.contains("*") { return "*" }
            return allowedOrigins.contains(origin) ? origin : nil
        }

        public func handle(_ request: HTTPRequest, _ responder: HTTPResponder, next: Router.Handler) {
            if let origin = request.headers["origin"], let allow = allowOrigin(origin) {
                responder.decorateResponse { Self.addAllowOrigin(allow, to: &$0) }
            }
            if let preflight = preflightResponse(request) {
                responder.respond(preflight)
                return
            }
            next(request, responder)
        }

        /// The 204 answer to a preflight request (Fetch standard §3.2.2), nil for any other request.
        func preflightResponse(_ request: HTTPRequest) -> HTTPResponse? {
            guard request.method == "OPTIONS", request.headers.contains("origin"),
                  request.headers.contains("access-control-request-method") else { return nil }
            var h = HTTPHeaders()
            h.add(name: "Access-Control-Allow-Methods", value: allowedMethods.joined(separator: ", "))
            let requested = request.headers["access-control-request-headers"]
            h.add(name: "Access-Control-Allow-Headers", value: requested ?? allowedHeaders.joined(separator: ", "))
            h.add(name: "Access-Control-Max-Age", value: String(maxAge))
            return HTTPResponse(status: 204, headers: h)
        }

        /// The response headers for an allowed origin (`allow` is `*` or the origin).
        static func addAllowOrigin(_ allow: String, to headers: inout HTTPHeaders) {
            headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: allow)
            headers.replaceOrAdd(name: "Access-Control-Expose-Headers", value: "X-Request-Id")
            if allow != "*" { headers.add(name: "Vary", value: "Origin") }
        }
    }
}
