import HTTP1

/// Undoes a `Content-Encoding` of the request body (RFC 9110 §8.4) for requests that
/// matched a route (others go on to their 404 / 405): gzip is inflated up to the body
/// limit (413 past it, 400 when corrupt), identity passes, anything else is 415 with
/// `Accept-Encoding` naming what is understood.
public struct RequestDecompressionMiddleware: HTTPMiddleware {
    /// Largest inflated body.
    public let maxBodyBytes: Int

    /// Inflates bodies up to `maxBodyBytes`.
    public init(maxBodyBytes: Int) { self.maxBodyBytes = maxBodyBytes }

    /// What to do with a request.
    enum Decision: Equatable {
        case pass(body: [UInt8]?)
        case refuse(status: Int, message: String, headers: HTTPHeaders)
    }

    public func handle(_ request: HTTPRequest, _ responder: HTTPResponder, next: Router.Handler) {
        switch decide(request) {
        case .pass(nil):
            next(request, responder)
        case .pass(let body?):
            var request = request
            request.body = body
            next(request, responder)
        case .refuse(let status, let message, let headers):
            responder.respondError(status: status, message: message, headers: headers)
        }
    }

    /// The decision for `request`, without answering: pass (with the inflated body when it
    /// was encoded) or refuse.
    func decide(_ request: HTTPRequest) -> Decision {
        guard case .success = request.routing else { return .pass(body: nil) }
        let codings = request.headers.tokens(for: "content-encoding").filter { $0 != "identity" }
        if codings.isEmpty { return .pass(body: nil) }
        guard codings.count == 1, codings[0] == "gzip" || codings[0] == "x-gzip" else {
            return .refuse(status: 415, message: "Unsupported Content-Encoding '\(codings.joined(separator: ", "))' (gzip is supported)",
                           headers: ["Accept-Encoding": "gzip"])
        }
        switch Gzip.decompress(request.body, limit: maxBodyBytes) {
        case .success(let body): return .pass(body: body)
        case .failure(.tooLarge): return .refuse(status: 413, message: "The decompressed request body exceeds \(maxBodyBytes) bytes", headers: [:])
        case .failure(.corrupt): return .refuse(status: 400, message: "The request body is not valid gzip data", headers: [:])
        }
    }
}
