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
