import HTTP1

/// A complete request as seen by a handler: head, whole body, decoded path and query,
/// path parameters from the route, the peer address and the request id.
public struct HTTPRequest: Sendable {
    /// Request line and headers.
    public var head: HTTPRequestHead
    /// The body, already de-chunked; empty if none.
    public var body: [UInt8]
    /// Trailer fields of a chunked body (RFC 9112 §7.1.2), usually empty.
    public var trailers: HTTPHeaders
    /// The peer's `host:port`.
    public var remoteAddress: String
    /// The request id: the client's `X-Request-Id` if it sent a sane one, else generated.
    public var requestID: String
    /// Parameters captured by the route pattern, e.g. `id` for `/v1/models/{id}`.
    public var pathParameters: [String: String] = [:]
    /// The route the request resolved to (or why none did), set before the middleware run;
    /// nil until then.
    public var routing: Result<Router.Resolution, Router.MatchFailure>?

    public init(head: HTTPRequestHead, body: [UInt8] = [], trailers: HTTPHeaders = [:],
                remoteAddress: String = "", requestID: String = "") {
        self.head = head
        self.body = body
        self.trailers = trailers
        self.remoteAddress = remoteAddress
        self.requestID = requestID
    }

    /// The method, e.g. `POST`.
    public var method: String { head.method }
    /// The header fields.
    public var headers: HTTPHeaders { head.headers }
    /// The percent-decoded path, e.g. `/v1/models/a b`.
    public var path: String { PercentDecoding.decode(head.rawPath, plusAsSpace: false) }

    /// Query parameters in order, percent-decoded with `+` as space
    /// (application/x-www-form-urlencoded, as browsers and SDKs send them).
    public var queryItems: [(name: String, value: String)] {
        head.rawQuery.split(separator: "&", omittingEmptySubsequences: true).map { part in
            if let eq = part.firstIndex(of: "=") {
                return (PercentDecoding.decode(String(part[..<eq]), plusAsSpace: true),
                        PercentDecoding.decode(String(part[part.index(after: eq)...]), plusAsSpace: true))
            }
            return (PercentDecoding.decode(String(part), plusAsSpace: true), "")
        }
    }

    /// The first value of query parameter `name`, or nil.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// The body decoded as UTF-8 (invalid sequences repaired).
    public var bodyString: String { String(decoding: body, as: UTF8.self) }
}
