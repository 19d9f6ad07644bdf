import HTTP1
/// A complete (non-streaming) response: status, headers and body bytes.
/// `Content-Length`, `Connection` and, when negotiated, `Content-Encoding` are set by
/// the server when the response is written; a handler need not set them.
public struct HTTPResponse: Sendable {
    /// Status code, e.g. 200.
    public var status: Int
    /// Header fields; `Content-Type` is the handler's job.
    public var headers: HTTPHeaders
    /// The body. For HEAD requests it is measured for `Content-Length` but not sent
    /// (RFC 9110 §9.3.2).
    public var body: [UInt8]

    /// A response with the given parts.
    public init(status: Int = 200, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A UTF-8 body with a content type (default `text/plain; charset=utf-8`).
    public init(status: Int = 200, headers: HTTPHeaders = [:], text: String,
                contentType: String = "text/plain; charset=utf-8") {
        var h = headers
        if !h.contains("content-type") { h.add(name: "Content-Type", value: contentType) }
        self.init(status: status, headers: h, body: Array(text.utf8))
    }

    /// An `application/json` response from already-encoded JSON text.
    public static func json(_ json: String, status: Int = 200, headers: HTTPHeaders = [:]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, text: json, contentType: "application/json")
    }

    /// The standard reason phrase for a status code (RFC 9110 §15), or "Unknown".
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 101: "Switching Protocols"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Unknown"
        }
    }

    /// Whether a response with this status to this method carries no body
    /// (RFC 9110 §6.4.1: 1xx, 204, 304, and responses to HEAD).
    package static func bodyless(status: Int, method: String) -> Bool {
        method == "HEAD" || status < 200 || status == 204 || status == 304
    }

    /// Serialises a status line and headers, ending with the empty line (RFC 9112 §4).
    package static func encodeHead(status: Int, headers: HTTPHeaders) -> [UInt8] {
        var s = "HTTP/1.1 \(status) \(reasonPhrase(status))\r\n"
        for (name, value) in headers {
            s += name
            s += ": "
            s += value
            s += "\r\n"
        }
        s += "\r\n"
        return Array(s.utf8)
    }
}

/// Builds the JSON bodies of error responses the server and its middleware produce
/// themselves (parse errors, timeouts, 404, 405, 401, 415). The server's default is
/// ``plain``; an API layer sets its own shape in ``HTTPServer/Configuration/errorBody``
/// (lfm-serve: OpenAIAPI's `OpenAIError.httpErrorBody`).
public enum HTTPErrorBody {
    /// The signature of an error body builder: status and message in, JSON text out.
    public typealias Builder = @Sendable (_ status: Int, _ message: String) -> String

    /// `{"error":{"message":…,"status":…}}`.
    public static let plain: Builder = { status, message in
        #"{"error":{"message":"# + jsonString(message) + #","status":"# + String(status) + "}}"
    }

    /// Quotes and escapes a string as a JSON string literal (RFC 8259 §7).
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
