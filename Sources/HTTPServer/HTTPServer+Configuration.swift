import HTTP1
import Logging
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
        /// The request pipeline, in order (``HTTPMiddleware``). Nil: the standard one built
        /// from ``accessLog``, ``cors`` and ``auth`` (``HTTPServer/standardMiddleware(_:logger:)``).
        /// Default nil.
        public var middleware: [any HTTPMiddleware]?
        /// CORS policy of the standard pipeline; nil sends no CORS headers. Default nil.
        public var cors: CORS?
        /// Bearer-token authentication of the standard pipeline; nil disables it. Default nil.
        public var auth: BearerAuth?
        /// Whether the standard pipeline logs one line per response (method, path, status,
        /// bytes, duration, request id) at `info`. Default true.
        public var accessLog = true
        /// Builds the JSON body of the errors the server and middleware produce themselves
        /// (parse errors, timeouts, 404, 405, 401, 415). Default ``HTTPErrorBody/plain``.
        public var errorBody: HTTPErrorBody.Builder = HTTPErrorBody.plain

        /// The defaults above.
        public init() {}
    }
}

extension HTTPServer {
    /// The pipeline used when ``Configuration/middleware`` is nil: access log (if
    /// ``Configuration/accessLog``), request id, CORS (if ``Configuration/cors``), API-key
    /// auth (if ``Configuration/auth``), request decompression.
    public static func standardMiddleware(_ configuration: Configuration, logger: Logger) -> [any HTTPMiddleware] {
        var list: [any HTTPMiddleware] = []
        if configuration.accessLog { list.append(AccessLogMiddleware(logger: logger)) }
        list.append(RequestIDMiddleware())
        if let cors = configuration.cors { list.append(cors) }
        if let auth = configuration.auth { list.append(auth) }
        list.append(RequestDecompressionMiddleware(maxBodyBytes: configuration.limits.maxBodyBytes))
        return list
    }
}
