/// HTTP(S) proxies from the environment, as curl and Python's `requests` (hence
/// huggingface_hub) read them: `HTTPS_PROXY` for https URLs (a `CONNECT` tunnel, TLS end to
/// end with the Hub), `HTTP_PROXY` for http URLs (absolute-form requests), lower-case names
/// too, and `NO_PROXY`: comma-separated hosts, domain suffixes (`example.com` also matches
/// `a.example.com`; a leading `.` is allowed), `host:port`, or `*` for everything.
package struct ProxySettings: Sendable, Equatable {
    /// A proxy server.
    package struct Proxy: Sendable, Equatable {
        package var host: String
        package var port: Int
        /// `user:password` from the proxy URL, sent as `Proxy-Authorization: Basic`.
        package var credentials: String?
    }

    package var https: Proxy?
    package var http: Proxy?
    package var noProxy: [String]

    package init(https: Proxy? = nil, http: Proxy? = nil, noProxy: [String] = []) {
        self.https = https
        self.http = http
        self.noProxy = noProxy
    }

    /// Reads `HTTPS_PROXY` / `https_proxy`, `HTTP_PROXY` / `http_proxy`, `NO_PROXY` / `no_proxy`
    /// (lower case first, as curl does).
    package init(environment: [String: String]) {
        func value(_ name: String) -> String? {
            (environment[name.lowercased()] ?? environment[name]).flatMap { $0.isEmpty ? nil : $0 }
        }
        https = value("HTTPS_PROXY").flatMap(Self.parse)
        http = value("HTTP_PROXY").flatMap(Self.parse)
        noProxy = (value("NO_PROXY") ?? "").split(separator: ",").map { String($0).trimmingWhitespace.lowercased() }.filter { !$0.isEmpty }
    }

    /// `http://user:pass@host:port`, `host:port` or `host` (port 80 for http, 443 for https proxy URLs).
    static func parse(_ text: String) -> Proxy? {
        var rest = Substring(text.trimmingWhitespace)
        var defaultPort = 80
        if let sep = rest.range(of: "://") {
            if rest[..<sep.lowerBound].lowercased() == "https" { defaultPort = 443 }
            rest = rest[sep.upperBound...]
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var credentials: String?
        if let at = rest.lastIndex(of: "@") {
            credentials = String(rest[..<at]).removingPercentEscapes
            rest = rest[rest.index(after: at)...]
        }
        var host = rest, port = defaultPort
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { guard let p = Int(after.dropFirst()) else { return nil }; port = p }
        } else if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]) else { return nil }
            host = rest[..<colon]
            port = p
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        return Proxy(host: String(host), port: port, credentials: credentials)
    }

    /// The proxy to use for `url`, or nil for a direct connection.
    package func proxy(for url: HubURL) -> Proxy? {
        guard let p = url.scheme == "https" ? https : http else { return nil }
        let host = url.host.lowercased()
        for entry in noProxy {
            if entry == "*" { return nil }
            var pattern = entry
            var portMatches = true
            if let colon = pattern.lastIndex(of: ":"), !pattern.contains("]"), let port = Int(pattern[pattern.index(after: colon)...]) {
                portMatches = port == url.port
                pattern = String(pattern[..<colon])
            }
            if pattern.hasPrefix(".") { pattern.removeFirst() }
            if portMatches && (host == pattern || host.hasSuffix("." + pattern)) { return nil }
        }
        return p
    }
}

extension String {
    /// `%XX` escapes decoded (proxy credentials); invalid escapes are kept as they are.
    var removingPercentEscapes: String {
        var out: [UInt8] = []
        let bytes = Array(utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
               let v = UInt8(String(decoding: bytes[i + 1...i + 2], as: UTF8.self), radix: 16) {
                out.append(v)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension ProxySettings.Proxy {
    /// The `Proxy-Authorization` value for the URL's credentials (RFC 7617 Basic), if any.
    var authorization: String? { credentials.map { "Basic " + Self.base64(Array($0.utf8)) } }

    static func base64(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var v = UInt32(bytes[i]) << 16
            if n > 1 { v |= UInt32(bytes[i + 1]) << 8 }
            if n > 2 { v |= UInt32(bytes[i + 2]) }
            out.append(table[Int(v >> 18 & 63)])
            out.append(table[Int(v >> 12 & 63)])
            out.append(n > 1 ? table[Int(v >> 6 & 63)] : UInt8(ascii: "="))
            out.append(n > 2 ? table[Int(v & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
