/// The status line and header fields of an HTTP/1.1 response (RFC 9112 §4, §5), parsed
/// without I/O so the rules are tested on bytes alone. Field lines follow the same rules
/// as a request's (``HTTPHeadSyntax/fieldLine(_:)``); line ends may be CRLF or, leniently,
/// a bare LF (RFC 9112 §2.2).
package struct HTTPResponseHead: Sendable, Equatable {
    /// `HTTP/1.1` or `HTTP/1.0`.
    package var version: String
    /// The three-digit status code.
    package var status: Int
    /// The reason phrase (informational only).
    package var reason: String
    /// Header fields in arrival order, names as sent.
    package var headers: HTTPHeaders

    package init(version: String = "HTTP/1.1", status: Int, reason: String = "", headers: HTTPHeaders = [:]) {
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
    }

    /// A head with fields given as `(name, value)` pairs in order.
    package init(version: String = "HTTP/1.1", status: Int, reason: String = "", headers: [(name: String, value: String)]) {
        self.init(version: version, status: status, reason: reason, headers: HTTPHeaders(headers.map { ($0.name, $0.value) }))
    }

    /// The first value of header `name` (case-insensitive), nil when absent.
    package subscript(name: String) -> String? { headers[name] }

    /// All values of header `name` (case-insensitive).
    package func values(_ name: String) -> [String] { headers.values(for: name) }

    /// Largest response head accepted; the Hub's are a few KiB.
    package static let maxHeadBytes = 64 * 1024

    /// Where the head ends in `buffer`: the index after the blank line, or nil if not there yet.
    /// Accepts CRLF and, leniently, bare LF line ends (RFC 9112 §2.2).
    package static func endOfHead(in buffer: [UInt8]) -> Int? {
        var i = 0
        while i < buffer.count {
            if buffer[i] == 10 {
                if i + 1 < buffer.count && buffer[i + 1] == 10 { return i + 2 }
                if i + 2 < buffer.count && buffer[i + 1] == 13 && buffer[i + 2] == 10 { return i + 3 }
            }
            i += 1
        }
        return nil
    }

    /// Parses the head (status line through the blank line).
    /// - Throws: ``HTTPResponseError`` for a malformed status line or header field.
    package static func parse(_ bytes: ArraySlice<UInt8>) throws(HTTPResponseError) -> HTTPResponseHead {
        var lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map { $0.last == 13 ? $0.dropLast() : $0 }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let statusBytes = lines.first else { throw HTTPResponseError("empty HTTP response") }
        let statusLine = Substring(String(decoding: statusBytes, as: UTF8.self))
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]), status >= 100 else {
            throw HTTPResponseError("malformed HTTP status line: \(statusLine.prefix(80))")
        }
        var head = HTTPResponseHead(version: String(parts[0]), status: status, reason: parts.count > 2 ? String(parts[2]) : "")
        for line in lines.dropFirst() {
            switch HTTPHeadSyntax.fieldLine(line) {
            case .field(let name, let value):
                head.headers.add(name: name, value: value)
            case .invalid(let why):
                throw HTTPResponseError("malformed HTTP response header (\(why)): \(String(decoding: line.prefix(80), as: UTF8.self))")
            }
        }
        return head
    }

    /// How the body of a response is delimited.
    package enum BodyFraming: Sendable, Equatable {
        /// No body at all.
        case none
        /// Exactly this many bytes.
        case length(Int)
        /// Chunked transfer coding.
        case chunked
        /// Everything until the server closes the connection.
        case untilClose
    }

    /// The body length rules of RFC 9112 §6.3: no body for HEAD, 1xx, 204 and 304; chunked
    /// when the last transfer coding is chunked (Content-Length then ignored); otherwise
    /// Content-Length (``HTTPHeadSyntax/contentLength(_:)``); otherwise until close.
    package func bodyFraming(requestMethod: String) throws(HTTPResponseError) -> BodyFraming {
        if requestMethod == "HEAD" || (100..<200).contains(status) || status == 204 || status == 304 { return .none }
        let te = headers.tokens(for: "transfer-encoding")
        if let last = te.last {
            guard last == "chunked" else { throw HTTPResponseError("unsupported Transfer-Encoding '\(te.joined(separator: ", "))'") }
            return .chunked
        }
        switch HTTPHeadSyntax.contentLength(headers.values(for: "content-length")) {
        case .absent: return .untilClose
        case .length(let n): return .length(n)
        case .invalid, .conflicting, .tooLarge: throw HTTPResponseError("invalid Content-Length in HTTP response")
        }
    }

    /// The redirect target of a 301/302/303/307/308 response, nil otherwise.
    package var redirectLocation: String? {
        guard [301, 302, 303, 307, 308].contains(status), let loc = self["Location"], !loc.isEmpty else { return nil }
        return loc
    }
}

/// A response that cannot be read: a malformed status line, field line or body framing.
package struct HTTPResponseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong, for messages.
    package let description: String

    package init(_ description: String) { self.description = description }
}
