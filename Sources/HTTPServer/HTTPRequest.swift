/// An HTTP version, `HTTP/major.minor` (RFC 9112 §2.3).
public struct HTTPVersion: Sendable, Equatable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(major: Int, minor: Int) { self.major = major; self.minor = minor }
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)
    public var description: String { "HTTP/\(major).\(minor)" }
}

/// The parsed request line and header section, before the body (RFC 9112 §3, §5).
public struct HTTPRequestHead: Sendable, Equatable {
    /// The method token, case-sensitive (RFC 9110 §9.1), e.g. `GET`.
    public var method: String
    /// The request-target as sent (origin-form `/p?q`, absolute-form, or `*`).
    public var target: String
    /// The protocol version.
    public var version: HTTPVersion
    /// Header fields in arrival order.
    public var headers: HTTPHeaders

    public init(method: String, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:]) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
    }

    /// Whether the connection may stay open after this request (RFC 9112 §9.3):
    /// `Connection: close` ends it; HTTP/1.1 persists by default; HTTP/1.0 persists only
    /// with `Connection: keep-alive`.
    public var keepAlive: Bool {
        let tokens = headers.tokens(for: "connection")
        if tokens.contains("close") { return false }
        if version == .http1_0 || version.major < 1 { return tokens.contains("keep-alive") }
        return true
    }

    /// Whether the client sent `Expect: 100-continue` (RFC 9110 §10.1.1).
    public var expectsContinue: Bool {
        version != .http1_0 && headers.tokens(for: "expect").contains("100-continue")
    }

    /// The path part of the target, still percent-encoded; absolute-form targets are
    /// reduced to their path (RFC 9112 §3.2.2).
    public var rawPath: String {
        var t = Substring(target)
        if !t.hasPrefix("/"), t.hasPrefix("http://") || t.hasPrefix("https://") {
            t = t.drop { $0 != ":" }.dropFirst(3)   // skip "scheme://"
            t = t.firstIndex(of: "/").map { t[$0...] } ?? "/"
        }
        if let q = t.firstIndex(of: "?") { t = t[..<q] }
        return String(t)
    }

    /// The raw query string after `?`, or empty.
    public var rawQuery: String {
        guard let q = target.firstIndex(of: "?") else { return "" }
        return String(target[target.index(after: q)...])
    }
}

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

/// Percent-decoding of URI components (RFC 3986 §2.1).
package enum PercentDecoding {
    /// Decodes `%XX` escapes; malformed escapes are kept literally.
    package static func decode(_ s: String, plusAsSpace: Bool) -> String {
        guard s.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else { return s }
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            let c = u[i]
            if c == UInt8(ascii: "%"), i + 2 < u.count, let h = hex(u[i + 1]), let l = hex(u[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(plusAsSpace && c == UInt8(ascii: "+") ? UInt8(ascii: " ") : c)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The value of one hex digit, or nil.
    package static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }
}
