/// Why a request could not be parsed, each mapped to the status RFC 9110/9112 asks for.
/// After any of these the message framing is unknown, so the connection closes after
/// the error response (RFC 9112 §9.6 allows closing at any time).
public enum HTTPParserError: Error, Equatable, Sendable {
    /// Syntax error in the request line, a header field or the chunked framing (400).
    case malformed(String)
    /// The request-target exceeds `maxURILength` (414, RFC 9110 §15.5.15).
    case uriTooLong
    /// The header section exceeds `maxHeaderBytes` or `maxHeaderCount`
    /// (431, RFC 6585 §5).
    case headerFieldsTooLarge
    /// The body exceeds `maxBodyBytes` (413, RFC 9110 §15.5.14).
    case bodyTooLarge
    /// A transfer coding other than `chunked` (501, RFC 9112 §6.1).
    case unsupportedTransferCoding(String)
    /// A major version other than 1 (505, RFC 9110 §15.6.6).
    case versionNotSupported

    /// The response status code for this error.
    public var status: Int {
        switch self {
        case .malformed: 400
        case .uriTooLong: 414
        case .headerFieldsTooLarge: 431
        case .bodyTooLarge: 413
        case .unsupportedTransferCoding: 501
        case .versionNotSupported: 505
        }
    }

    /// A short message for the error body.
    public var message: String {
        switch self {
        case .malformed(let why): "Malformed HTTP request: \(why)"
        case .uriTooLong: "Request URI too long"
        case .headerFieldsTooLarge: "Request header fields too large"
        case .bodyTooLarge: "Request body too large"
        case .unsupportedTransferCoding(let c): "Unsupported transfer coding: \(c)"
        case .versionNotSupported: "HTTP version not supported"
        }
    }
}
