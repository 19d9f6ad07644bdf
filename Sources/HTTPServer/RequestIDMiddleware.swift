import HTTP1

/// Request ids: the connection gives each request one (``RequestID/make(from:)``) before
/// the pipeline runs, so logs and the access line carry it; this middleware echoes it to
/// the client as `X-Request-Id` on every response.
public struct RequestIDMiddleware: HTTPMiddleware {
    /// The middleware.
    public init() {}

    public func handle(_ request: HTTPRequest, _ responder: HTTPResponder, next: Router.Handler) {
        let id = responder.requestID
        responder.decorateResponse { $0.replaceOrAdd(name: "X-Request-Id", value: id) }
        next(request, responder)
    }
}

/// How a request's id is chosen.
public enum RequestID {
    /// The client's `X-Request-Id` if it is 1–128 visible ASCII characters, else a new
    /// random 32-hex-digit id.
    public static func make(from headers: HTTPHeaders) -> String {
        var rng = SystemRandomNumberGenerator()
        return make(from: headers, using: &rng)
    }

    /// ``make(from:)`` with a given generator (tests).
    public static func make<G: RandomNumberGenerator>(from headers: HTTPHeaders, using rng: inout G) -> String {
        if let id = headers["x-request-id"], (1...128).contains(id.utf8.count),
           id.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) {
            return id
        }
        let a = rng.next() as UInt64, b = rng.next() as UInt64
        return hex16(a) + hex16(b)
    }

    private static func hex16(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
