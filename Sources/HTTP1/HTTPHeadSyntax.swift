/// The grammar pieces of RFC 9110/9112, pure functions over bytes: tokens, field lines and
/// `Content-Length` (shared by ``HTTPParser`` for requests and ``HTTPResponseHead`` for
/// responses), the request line, request body framing and chunk-size lines
/// (``ChunkedDecoder``).
package enum HTTPHeadSyntax {
    /// Longest method token accepted (the IANA method registry's longest is 17 characters).
    package static let maxMethodLength = 32

    /// How the body of a request is delimited (RFC 9112 §6.3).
    package enum Framing: Equatable, Sendable {
        case none
        case length(Int)
        case chunked
    }

    /// `tchar` from RFC 9110 §5.6.2.
    @inline(__always)
    package static func isTokenChar(_ c: UInt8) -> Bool {
        switch c {
        case 48...57, 65...90, 97...122: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }

    /// Parses a complete head: request line, fields, final empty line, all CRLF-ended.
    package static func parseHead(_ bytes: ArraySlice<UInt8>, limits: HTTPParser.Limits) -> Result<HTTPRequestHead, HTTPParserError> {
        guard let lf = bytes.firstIndex(of: 10) else { return .failure(.malformed("no request line")) }
        let line = bytes[bytes.startIndex..<(lf - 1)]
        // request-line = method SP request-target SP HTTP-version (RFC 9112 §3)
        guard let sp1 = line.firstIndex(of: 32) else { return .failure(.malformed("invalid request line")) }
        let method = line[line.startIndex..<sp1]
        guard !method.isEmpty, method.allSatisfy(isTokenChar) else { return .failure(.malformed("invalid method")) }
        // No registered method is longer than 20 characters; a longer token is malformed
        // rather than an unknown method to be echoed in a 405.
        guard method.count <= Self.maxMethodLength else { return .failure(.malformed("method token too long")) }
        let rest = line[(sp1 + 1)...]
        guard let sp2 = rest.firstIndex(of: 32) else { return .failure(.malformed("invalid request line")) }
        let target = rest[rest.startIndex..<sp2]
        let versionBytes = rest[(sp2 + 1)...]
        if target.count > limits.maxURILength { return .failure(.uriTooLong) }
        // request-target: visible ASCII only (RFC 3986 characters; no SP, no CTL).
        guard !target.isEmpty, target.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            return .failure(.malformed("invalid request target"))
        }
        guard target.first == UInt8(ascii: "/") || target.elementsEqual("*".utf8)
            || target.starts(with: "http://".utf8) || target.starts(with: "https://".utf8) else {
            return .failure(.malformed("invalid request target"))
        }
        let version: HTTPVersion
        switch parseVersion(versionBytes) {
        case .failure(let e): return .failure(e)
        case .success(let v): version = v
        }
        let fieldsEnd = bytes.endIndex - 2   // drop the final empty line's CRLF
        let headers: HTTPHeaders
        switch parseFields(bytes[(lf + 1)..<max(lf + 1, fieldsEnd)], limits: limits) {
        case .failure(let e): return .failure(e)
        case .success(let h): headers = h
        }
        let head = HTTPRequestHead(method: String(decoding: method, as: UTF8.self),
                                   target: String(decoding: target, as: UTF8.self),
                                   version: version, headers: headers)
        // A server MUST respond 400 to an HTTP/1.1 request lacking Host or with more
        // than one (RFC 9112 §3.2).
        if version == .http1_1 && head.headers.values(for: "host").count != 1 {
            return .failure(.malformed("missing or repeated Host header"))
        }
        return .success(head)
    }

    /// `HTTP-version = "HTTP/" DIGIT "." DIGIT` (RFC 9112 §2.3). Minor versions above 1
    /// are served as 1.1; other majors are 505.
    private static func parseVersion(_ v: ArraySlice<UInt8>) -> Result<HTTPVersion, HTTPParserError> {
        guard v.count == 8, v.starts(with: "HTTP/".utf8) else { return .failure(.malformed("invalid HTTP version")) }
        let a = v[v.startIndex + 5], dot = v[v.startIndex + 6], b = v[v.startIndex + 7]
        guard (48...57).contains(a), dot == UInt8(ascii: "."), (48...57).contains(b) else {
            return .failure(.malformed("invalid HTTP version"))
        }
        guard a == 49 else { return .failure(.versionNotSupported) }
        return .success(HTTPVersion(major: 1, minor: b == 48 ? 0 : 1))
    }

    /// Parses CRLF-terminated `field-name ":" OWS field-value OWS` lines (RFC 9112 §5).
    package static func parseFields(_ bytes: ArraySlice<UInt8>, limits: HTTPParser.Limits) -> Result<HTTPHeaders, HTTPParserError> {
        var headers = HTTPHeaders()
        var i = bytes.startIndex
        while i < bytes.endIndex {
            guard let lf = bytes[i...].firstIndex(of: 10) else { return .failure(.malformed("unterminated field")) }
            let line = bytes[i..<(lf - 1)]
            i = lf + 1
            if line.isEmpty { continue }
            if headers.count >= limits.maxHeaderCount { return .failure(.headerFieldsTooLarge) }
            switch fieldLine(line) {
            case .field(let name, let value): headers.add(name: name, value: value)
            case .invalid(let why): return .failure(.malformed(why))
            }
        }
        return .success(headers)
    }

    /// One field line, parsed.
    package enum FieldLine: Equatable, Sendable {
        /// A valid `name: value`, the value without surrounding whitespace.
        case field(name: String, value: String)
        /// Why the line is not a field line.
        case invalid(String)
    }

    /// Parses one `field-name ":" OWS field-value OWS` line without its line end
    /// (RFC 9112 §5): no obsolete folding (§5.2), a token name with no whitespace before
    /// the colon (§5.1), a value of field-vchar / obs-text / SP / HTAB only.
    package static func fieldLine(_ line: ArraySlice<UInt8>) -> FieldLine {
        if line.first == 32 || line.first == 9 { return .invalid("obsolete line folding") }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return .invalid("field without colon") }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenChar) else { return .invalid("invalid field name") }
        var value = line[(colon + 1)...]
        while let f = value.first, f == 32 || f == 9 { value = value.dropFirst() }
        while let l = value.last, l == 32 || l == 9 { value = value.dropLast() }
        // field-vchar / obs-text / SP / HTAB only; CR, LF, NUL and other CTLs are invalid.
        guard value.allSatisfy({ $0 >= 32 && $0 != 127 || $0 == 9 }) else {
            return .invalid("invalid character in field value")
        }
        return .field(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
    }

    /// What the `Content-Length` fields of a message say (RFC 9110 §8.6, RFC 9112 §6.3).
    package enum ContentLength: Equatable, Sendable {
        /// No `Content-Length` field.
        case absent
        /// Every list element is this same length.
        case length(Int)
        /// An element is not `1*DIGIT`.
        case invalid
        /// Elements differ.
        case conflicting
        /// More than 18 digits: larger than any body we accept.
        case tooLarge
    }

    /// Reads the `Content-Length` field values: each comma-separated element must be
    /// `1*DIGIT`, and all must be equal (a repeated equal value is allowed).
    package static func contentLength(_ values: [String]) -> ContentLength {
        var length: Int?
        for field in values {
            for part in field.split(separator: ",", omittingEmptySubsequences: false) {
                let t = part.trimmingASCIIWhitespace()
                guard !t.isEmpty, t.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return .invalid }
                guard t.utf8.count <= 18, let n = Int(t) else { return .tooLarge }
                if let length, length != n { return .conflicting }
                length = n
            }
        }
        return length.map { .length($0) } ?? .absent
    }

    /// Decides body framing for a request (RFC 9112 §6.3): chunked if
    /// `Transfer-Encoding` ends in chunked; else `Content-Length`; else no body.
    package static func bodyFraming(_ head: HTTPRequestHead, limits: HTTPParser.Limits) -> Result<Framing, HTTPParserError> {
        let te = head.headers.tokens(for: "transfer-encoding")
        let cl = head.headers.values(for: "content-length")
        if head.headers.contains("transfer-encoding") {
            if !cl.isEmpty { return .failure(.malformed("both Content-Length and Transfer-Encoding")) }
            if head.version == .http1_0 { return .failure(.malformed("Transfer-Encoding in HTTP/1.0")) }
            if let unknown = te.first(where: { $0 != "chunked" }) { return .failure(.unsupportedTransferCoding(unknown)) }
            if te.count != 1 { return .failure(.malformed("chunked applied more than once")) }
            return .success(.chunked)
        }
        let n: Int
        switch contentLength(cl) {
        case .absent: return .success(.none)
        case .length(let length): n = length
        case .invalid: return .failure(.malformed("invalid Content-Length"))
        case .conflicting: return .failure(.malformed("conflicting Content-Length"))
        case .tooLarge: return .failure(.bodyTooLarge)
        }
        if n > limits.maxBodyBytes { return .failure(.bodyTooLarge) }
        return .success(n == 0 ? .none : .length(n))
    }

    /// Parses `chunk-size [ chunk-ext ]` (RFC 9112 §7.1.1); extensions are ignored.
    package static func parseChunkSize(_ line: ArraySlice<UInt8>) -> Int? {
        var size = 0
        var digits = 0
        var i = line.startIndex
        while i < line.endIndex, let d = PercentDecoding.hex(line[i]) {
            guard digits < 15 else { return nil }
            size = size << 4 | Int(d)
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        while i < line.endIndex, line[i] == 32 || line[i] == 9 { i += 1 }
        if i == line.endIndex { return size }
        guard line[i] == UInt8(ascii: ";") else { return nil }
        guard line[i...].allSatisfy({ $0 >= 32 && $0 != 127 || $0 == 9 }) else { return nil }
        return size
    }
}
