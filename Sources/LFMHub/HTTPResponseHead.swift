/// The status line and header fields of an HTTP/1.1 response (RFC 9112 §4, §5), parsed
/// without I/O so the rules are tested on bytes alone.
package struct HTTPResponseHead: Sendable, Equatable {
    /// `HTTP/1.1` or `HTTP/1.0`.
    package var version: String
    /// The three-digit status code.
    package var status: Int
    /// The reason phrase (informational only).
    package var reason: String
    /// Header fields in arrival order, names as sent.
    package var headers: [(name: String, value: String)]

    package init(version: String = "HTTP/1.1", status: Int, reason: String = "", headers: [(name: String, value: String)] = []) {
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
    }

    package static func == (a: HTTPResponseHead, b: HTTPResponseHead) -> Bool {
        a.version == b.version && a.status == b.status && a.reason == b.reason
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }

    /// The first value of header `name` (case-insensitive), nil when absent.
    package subscript(name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// All values of header `name` (case-insensitive).
    package func values(_ name: String) -> [String] {
        let lower = name.lowercased()
        return headers.filter { $0.name.lowercased() == lower }.map(\.value)
    }

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
    /// - Throws: `HubError.protocolError` for a malformed status line or header field.
    package static func parse(_ bytes: ArraySlice<UInt8>) throws(HubError) -> HTTPResponseHead {
        // Split on bytes: as Characters, "\r\n" is one grapheme and would not split on "\n".
        var lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map { line -> Substring in
            let trimmed = line.last == 13 ? line.dropLast() : line
            return Substring(String(decoding: trimmed, as: UTF8.self))
        }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        guard let statusLine = lines.first else { throw .protocolError("empty HTTP response") }
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]), status >= 100 else {
            throw .protocolError("malformed HTTP status line: \(statusLine.prefix(80))")
        }
        var head = HTTPResponseHead(version: String(parts[0]), status: status, reason: parts.count > 2 ? String(parts[2]) : "")
        for line in lines.dropFirst() {
            if line.first == " " || line.first == "\t" {
                throw .protocolError("obsolete folded header line in HTTP response")  // RFC 9112 §5.2
            }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw .protocolError("malformed HTTP header line: \(line.prefix(80))")
            }
            let name = line[..<colon]
            guard !name.contains(where: { $0 == " " || $0 == "\t" }) else { throw .protocolError("malformed HTTP header name: \(name.prefix(80))") }
            head.headers.append((String(name), String(line[line.index(after: colon)...]).trimmingWhitespace))
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
    /// Content-Length (several differing values are an error); otherwise until close.
    package func bodyFraming(requestMethod: String) throws(HubError) -> BodyFraming {
        if requestMethod == "HEAD" || (100..<200).contains(status) || status == 204 || status == 304 { return .none }
        let te = values("Transfer-Encoding").flatMap { Self.commaList($0) }.map { $0.lowercased() }
        if let last = te.last {
            guard last == "chunked" else { throw .protocolError("unsupported Transfer-Encoding '\(te.joined(separator: ", "))'") }
            return .chunked
        }
        let lengths = Set(values("Content-Length").flatMap { Self.commaList($0) })
        if lengths.isEmpty { return .untilClose }
        guard lengths.count == 1, let text = lengths.first, let n = Int(text), n >= 0, text.allSatisfy({ $0.isASCII }) else {
            throw .protocolError("invalid Content-Length in HTTP response")
        }
        return .length(n)
    }

    /// The trimmed, non-empty elements of a comma-separated field value (RFC 9110 §5.6.1).
    static func commaList(_ value: String) -> [String] {
        value.split(separator: ",").map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }
    }

    /// The redirect target of a 301/302/303/307/308 response, nil otherwise.
    package var redirectLocation: String? {
        guard [301, 302, 303, 307, 308].contains(status), let loc = self["Location"], !loc.isEmpty else { return nil }
        return loc
    }
}
