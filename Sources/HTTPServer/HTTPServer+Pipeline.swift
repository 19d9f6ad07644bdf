import Logging

/// The hooks every request passes through on the loop thread, in order: request id,
/// CORS preflight, bearer auth, routing (404/405), handler; and the headers every
/// response gets (request id, CORS), plus the access log line.
extension HTTPServer {
    /// Runs the pipeline for a complete request.
    package func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        let path = request.path
        if let cors = configuration.cors, request.method == "OPTIONS",
           request.headers.contains("origin"), request.headers.contains("access-control-request-method") {
            // A CORS preflight (Fetch standard §3.2.2): answered here, never routed.
            var h = HTTPHeaders()
            h.add(name: "Access-Control-Allow-Methods", value: cors.allowedMethods.joined(separator: ", "))
            let requested = request.headers["access-control-request-headers"]
            h.add(name: "Access-Control-Allow-Headers", value: requested ?? cors.allowedHeaders.joined(separator: ", "))
            h.add(name: "Access-Control-Max-Age", value: String(cors.maxAge))
            responder.respond(HTTPResponse(status: 204, headers: h))
            return
        }
        if let auth = configuration.auth, !auth.permits(path: path, headers: request.headers) {
            let message = request.headers.contains("authorization")
                ? "Incorrect API key provided."
                : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            responder.respondError(status: 401, message: message, headers: ["WWW-Authenticate": "Bearer"])
            return
        }
        switch router.match(method: request.method, path: path) {
        case .notFound:
            responder.respondError(status: 404, message: "Not found: \(request.method) \(path)")
        case .methodNotAllowed(let allow):
            responder.respondError(status: 405, message: "Method \(request.method) not allowed for \(path)",
                                   headers: ["Allow": allow.joined(separator: ", ")])
        case .found(let handler, let parameters):
            var request = request
            request.pathParameters = parameters
            handler(request, responder)
        }
    }

    /// Adds `X-Request-Id` and CORS response headers.
    package func decorate(_ headers: inout HTTPHeaders, request: HTTPRequestHead, requestID: String) {
        headers.replaceOrAdd(name: "X-Request-Id", value: requestID)
        if let cors = configuration.cors, let origin = request.headers["origin"], let allow = cors.allowOrigin(origin) {
            headers.replaceOrAdd(name: "Access-Control-Allow-Origin", value: allow)
            headers.replaceOrAdd(name: "Access-Control-Expose-Headers", value: "X-Request-Id")
            if allow != "*" { headers.add(name: "Vary", value: "Origin") }
        }
    }

    /// The client's `X-Request-Id` if it is 1–128 visible ASCII characters, else a new
    /// random 32-hex-digit id.
    package func makeRequestID(_ headers: HTTPHeaders) -> String {
        if let id = headers["x-request-id"], (1...128).contains(id.utf8.count),
           id.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) {
            return id
        }
        var rng = SystemRandomNumberGenerator()
        let a = rng.next() as UInt64, b = rng.next() as UInt64
        return Self.hex16(a) + Self.hex16(b)
    }

    private static func hex16(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// Logs one access line at `info`.
    package func logAccess(head: HTTPRequestHead, status: Int, bytes: Int, nanos: UInt64, requestID: String,
                           extra: [(String, String)] = []) {
        guard configuration.accessLog, logger.logLevel <= .info else { return }
        let ms = Double(nanos) / 1e6
        var metadata: Logger.Metadata = [
            "status": "\(status)",
            "bytes": "\(bytes)",
            "duration_ms": "\((ms * 100).rounded() / 100)",
            "request_id": "\(requestID)",
        ]
        for (k, v) in extra { metadata[k] = "\(v)" }
        logger.info("\(head.method) \(head.rawPath) \(status)", metadata: metadata)
    }
}
