/// An absolute `http`/`https` URL, split into what an HTTP/1.1 client needs, with
/// RFC 3986 reference resolution for `Location` headers.
///
/// Its `description` leaves out the query: the Hub's CDN redirects carry signatures there,
/// which must not end up in logs or error messages.
package struct HubURL: Sendable, Equatable, CustomStringConvertible {
    /// `http` or `https`, lowercase.
    package var scheme: String
    /// Host name or IP address, lowercase, without IPv6 brackets.
    package var host: String
    /// Port, the scheme's default when the URL has none.
    package var port: Int
    /// Path and query, starting with `/` (the HTTP request target).
    package var target: String

    package init(scheme: String, host: String, port: Int, target: String) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.target = target
    }

    /// Parses an absolute `http://` or `https://` URL; nil for anything else. A fragment is dropped.
    package init?(string: String) {
        guard let sep = string.range(of: "://") else { return nil }
        let scheme = string[..<sep.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        var rest = Substring(string[sep.upperBound...])
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.hasPrefix("?") || target.isEmpty { target = "/" + target }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }  // user:pass@ is not used
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { return nil }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { return nil }
        var port = scheme == "https" ? 443 : 80
        if let portText, !portText.isEmpty {
            guard let p = Int(portText), (1...65535).contains(p) else { return nil }
            port = p
        }
        self.init(scheme: scheme, host: host.lowercased(), port: port, target: target)
    }

    /// True for the scheme's default port (then `Host` carries no port).
    package var hasDefaultPort: Bool { port == (scheme == "https" ? 443 : 80) }

    /// The `Host` header value (RFC 9110 §7.2).
    package var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return hasDefaultPort ? h : "\(h):\(port)"
    }

    /// `scheme://host:port`: two URLs with the same origin may share credentials.
    package var origin: String { "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// The path without the query.
    package var path: String { String(target.prefix { $0 != "?" }) }

    /// The full URL, query included (for requests, never for messages).
    package var absoluteString: String { "\(scheme)://\(hostHeader)\(target)" }

    /// The URL without its query string, safe to print.
    package var description: String { "\(scheme)://\(hostHeader)\(path)" }

    /// Resolves a `Location` value against this URL (RFC 3986 §5.2): absolute URLs,
    /// scheme-relative `//host/p`, absolute paths `/p`, query-only `?q` and relative paths.
    package func resolving(_ reference: String) -> HubURL? {
        let ref = reference.trimmingWhitespace
        if let colon = ref.firstIndex(of: ":"), Self.isScheme(ref[..<colon]) {
            return HubURL(string: ref)  // absolute: only http(s) is usable
        }
        if ref.hasPrefix("//") { return HubURL(string: scheme + ":" + ref) }
        var r = ref
        if let hash = r.firstIndex(of: "#") { r = String(r[..<hash]) }
        var copy = self
        if r.isEmpty { return copy }
        if r.hasPrefix("/") {
            copy.target = Self.withDotSegmentsRemoved(r)
        } else if r.hasPrefix("?") {
            copy.target = path + r
        } else {
            let base = path
            let dir = base[...(base.lastIndex(of: "/") ?? base.startIndex)]
            copy.target = Self.withDotSegmentsRemoved(String(dir) + r)
        }
        return copy
    }

    /// RFC 3986 §3.1: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
    static func isScheme(_ s: Substring) -> Bool {
        guard let first = s.first, first.isASCII, first.isLetter else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }
    }

    /// RFC 3986 §5.2.4 on the path part of `target` (the query is kept as is).
    static func withDotSegmentsRemoved(_ target: String) -> String {
        let q = target.firstIndex(of: "?") ?? target.endIndex
        let path = target[..<q]
        var out: [Substring] = []
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        for (i, part) in parts.enumerated() {
            let last = i == parts.count - 1
            if part == "." {
                if last { out.append("") }
            } else if part == ".." {
                if out.count > 1 { out.removeLast() }
                if last { out.append("") }
            } else {
                out.append(part)
            }
        }
        var joined = out.joined(separator: "/")
        if !joined.hasPrefix("/") { joined = "/" + joined }
        return joined + target[q...]
    }

    /// Percent-encodes `text` for a URL path: unreserved characters (RFC 3986 §2.3) stay,
    /// `/` stays when `keepSlash`, every other UTF-8 byte becomes `%XX`.
    package static func percentEncode(_ text: String, keepSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in text.utf8 {
            let unreserved = (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
                || b == 45 || b == 46 || b == 95 || b == 126 || (keepSlash && b == 47)
            if unreserved { out.append(b) } else { out += [37, hex[Int(b >> 4)], hex[Int(b & 15)]] }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
