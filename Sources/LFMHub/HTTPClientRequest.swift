/// An HTTP request as the Hub client sends it.
package struct HTTPClientRequest: Sendable {
    /// `GET` or `HEAD`.
    package var method: String
    package var url: HubURL
    /// Extra header fields (Host, User-Agent, Connection are added by the client).
    package var headers: [(name: String, value: String)]

    package init(method: String, url: HubURL, headers: [(name: String, value: String)] = []) {
        self.method = method
        self.url = url
        self.headers = headers
    }

    /// The first value of header `name` (case-insensitive).
    package subscript(name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The request without header `name`.
    package func removingHeader(_ name: String) -> HTTPClientRequest {
        var r = self
        r.headers.removeAll { $0.name.lowercased() == name.lowercased() }
        return r
    }
}

extension HTTPClientRequest {
    /// The request head on the wire (RFC 9112 §3): request line, `Host`, `User-Agent`,
    /// `Accept-Encoding: identity` (sizes and hashes are of the stored bytes), `Connection: close`,
    /// then the request's own fields.
    package func serialized(userAgent: String, absoluteForm: Bool = false, proxyAuthorization: String? = nil) -> [UInt8] {
        // Through an HTTP proxy the target is the absolute URL (RFC 9112 §3.2.2).
        let target = absoluteForm ? url.absoluteString : url.target
        var text = "\(method) \(target) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nUser-Agent: \(userAgent)\r\n"
        if let proxyAuthorization { text += "Proxy-Authorization: \(proxyAuthorization)\r\n" }
        if self["Accept-Encoding"] == nil { text += "Accept-Encoding: identity\r\n" }
        text += "Connection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }
}
