import Logging

/// The hooks every request passes through on the loop thread, in order: request id,
/// CORS preflight, routing, API-key auth on the resolved route, 404/405, handler; and the headers every
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
        let resolved = router.resolve(method: request.method, path: path)
        let route = try? resolved.get()
        if let auth = configuration.auth, !auth.permits(route: route, headers: request.headers) {
            let presented = request.headers.contains("authorization") || request.headers.contains("x-api-key")
            if let pattern = route?.pattern, let body = configuration.routeErrorBodies[pattern] {
                responder.respond(HTTPResponse.json(body(401, auth.message(presented)), status: 401, headers: ["WWW-Authenticate": "Bearer"]))
            } else {
                responder.respondError(status: 401, message: auth.message(presented), headers: ["WWW-Authenticate": "Bearer"])
            }
            return
        }
        switch resolved {
        case .failure(let failure):
            switch failure.match {
            case .methodNotAllowed(let allow):
                responder.respondError(status: 405, message: "Method \(Self.printable(request.method)) not allowed for \(path)",
                                       headers: ["Allow": allow.joined(separator: ", ")])
            default:
                responder.respondError(status: 404, message: "Not found: \(Self.printable(request.method)) \(path)")
            }
        case .success(let r):
            var request = request
            request.pathParameters = r.parameters
            guard decodeBody(&request, responder) else { return }
            r.handler(request, responder)
        }
    }

    /// Undoes a `Content-Encoding` of the request body (RFC 9110 §8.4): gzip is inflated up
    /// to the body limit (413 past it, 400 when corrupt), identity passes, anything else is
    /// 415 with `Accept-Encoding` naming what is understood. False when already answered.
    func decodeBody(_ request: inout HTTPRequest, _ responder: HTTPResponder) -> Bool {
        let codings = request.headers.tokens(for: "content-encoding").filter { $0 != "identity" }
        if codings.isEmpty { return true }
        guard codings.count == 1, codings[0] == "gzip" || codings[0] == "x-gzip" else {
            responder.respondError(status: 415, message: "Unsupported Content-Encoding '\(codings.joined(separator: ", "))' (gzip is supported)",
                                   headers: ["Accept-Encoding": "gzip"])
            return false
        }
        switch Gzip.decompress(request.body, limit: configuration.limits.maxBodyBytes) {
        case .success(let body):
            request.body = body
            return true
        case .failure(.tooLarge):
            responder.respondError(status: 413, message: "The decompressed request body exceeds \(configuration.limits.maxBodyBytes) bytes")
        case .failure(.corrupt):
            responder.respondError(status: 400, message: "The request body is not valid gzip data")
        }
        return false
    }

    /// A method token as it may appear in a message: at most 32 characters (a 9 KB
    /// token is not echoed back).
    static func printable(_ method: String) -> String {
        method.count <= 32 ? method : String(method.prefix(32)) + "…"
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
