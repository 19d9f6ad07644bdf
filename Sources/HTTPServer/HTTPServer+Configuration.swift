extension HTTPServer {
    /// Everything the server can be told, with defaults suited to an LLM API server.
    public struct Configuration: Sendable {
        /// Address to bind: an IPv4/IPv6 literal or `localhost`. Default `127.0.0.1`.
        public var host = "127.0.0.1"
        /// TCP port; 0 picks a free one (see ``HTTPServer/port``). Default 8080.
        public var port = 8080
        /// Event-loop threads. Default 1: the server only moves bytes; CPU belongs to
        /// the engine. More loops share one listening socket via `EPOLLEXCLUSIVE`.
        public var loopThreads = 1
        /// `listen(2)` backlog. Default 1024.
        public var backlog: Int32 = 1024
        /// Parser limits: URI (414), header bytes and count (431), body (413).
        public var limits = HTTPParser.Limits()
        /// Time allowed from a connection's (or request's) first byte to the end of the
        /// head; a slowloris client is answered 408 and closed. Default 10 s.
        public var headerTimeout: Duration = .seconds(10)
        /// Time allowed to receive a body after its head. Default 60 s.
        public var bodyTimeout: Duration = .seconds(60)
        /// Keep-alive idle time between requests. Default 30 s.
        public var idleTimeout: Duration = .seconds(30)
        /// A connection with queued output and no write progress for this long is
        /// closed (client stopped reading). Default 30 s.
        public var writeTimeout: Duration = .seconds(30)
        /// Unsent stream bytes above which ``HTTPBodyStream/isWritable`` is false.
        /// Default 256 KiB.
        public var streamHighWaterBytes = 256 * 1024
        /// Unsent stream bytes above which the client is disconnected. Default 4 MiB.
        public var maxStreamBufferBytes = 4 * 1024 * 1024
        /// PEM certificate chain; TLS is on when this and ``tlsKeyPath`` are set.
        public var tlsCertificatePath: String?
        /// PEM private key for ``tlsCertificatePath``.
        public var tlsKeyPath: String?
        /// Bodies at least this large are gzip-compressed when the client accepts gzip;
        /// nil disables compression. Streams are never compressed. Default 1024 bytes.
        public var gzipMinBytes: Int? = 1024
        /// Interval of `: ping` comments on idle SSE streams; nil disables. Default 15 s.
        public var ssePingInterval: Duration? = .seconds(15)
        /// The comment text of SSE pings. Default `ping`.
        public var ssePingText = "ping"
        /// CORS policy; nil sends no CORS headers. Default nil.
        public var cors: CORS?
        /// Bearer-token authentication; nil disables it. Default nil.
        public var auth: BearerAuth?
        /// Log one line per response (method, path, status, bytes, duration, request
        /// id) at `info`. Default true.
        public var accessLog = true
        /// Builds the JSON body of server-generated errors. Default OpenAI shape.
        public var errorBody: HTTPErrorBody.Builder = HTTPErrorBody.openAI
        /// Error-body builders of routes whose API has its own error shape, by route pattern
        /// (used for the 401 of a resolved route). Default none.
        public var routeErrorBodies: [String: HTTPErrorBody.Builder] = [:]

        /// The defaults above.
        public init() {}
    }

    /// Cross-origin resource sharing (Fetch standard, CORS protocol).
    public struct CORS: Sendable {
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
    }

    /// API-key authentication (RFC 6750 bearer tokens, and the `x-api-key` header the
    /// Anthropic SDK sends), decided on the RESOLVED route, never on the path text: every
    /// route needs a key unless it was registered public or its pattern is exempt, and an
    /// unknown path needs one too (so 401 comes before 404 and reveals no routes).
    public struct BearerAuth: Sendable {
        /// Accepted keys. Compared in constant time; never logged.
        public var tokens: Set<String> {
            get { Set(keys.map { String(decoding: $0, as: UTF8.self) }) }
            set { keys = newValue.map { Array($0.utf8) } }
        }
        private var keys: [[UInt8]] = []
        /// Route patterns starting with this need a key. Default `/` (every route).
        public var pathPrefix = "/"
        /// Route patterns that never need a key. Default `/health`, `/metrics`.
        public var exemptPaths: Set<String> = ["/health", "/metrics"]
        /// The message of a 401; `presented` tells whether a key was sent at all.
        public var message: @Sendable (_ presented: Bool) -> String = { presented in
            presented ? "Incorrect API key provided." : "No API key provided."
        }
        /// A policy accepting `tokens`.
        public init(tokens: Set<String>, pathPrefix: String = "/", exemptPaths: Set<String> = ["/health", "/metrics"]) {
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
    }
}
