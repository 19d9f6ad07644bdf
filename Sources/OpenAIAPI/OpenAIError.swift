import HTTPServer
import LFMRuntime
import OrderedJSON

/// An error in the OpenAI shape: `{"error": {"message", "type", "param", "code"}}` with the
/// HTTP status that goes with it (OpenAI API reference, "Error codes").
public struct OpenAIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?

    public init(status: Int, message: String, type: String, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    /// The body of the errors the HTTP server and its middleware produce themselves (parse
    /// errors, timeouts, 404, 405, 401, 415) in the OpenAI shape
    /// `{"error":{"message":…,"type":…,"param":null,"code":null}}`: `type` is
    /// `invalid_request_error` for 4xx, `authentication_error` for 401 and `server_error`
    /// for 5xx. lfm-serve sets it as `HTTPServer.Configuration.errorBody`.
    public static let httpErrorBody: HTTPErrorBody.Builder = { status, message in
        let type = status == 401 ? "authentication_error" : status >= 500 ? "server_error" : "invalid_request_error"
        return #"{"error":{"message":"# + HTTPErrorBody.jsonString(message) + #","type":""# + type + #"","param":null,"code":null}}"#
    }

    /// The message of a 401 in OpenAI's wording; `presented` tells whether a key was sent.
    public static let unauthorizedMessage: @Sendable (Bool) -> String = { presented in
        presented ? "Incorrect API key provided."
            : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
    }

    /// 500 for a generation the engine could not finish (503 when the server is shutting down).
    public static func generationFailed(_ message: String) -> OpenAIError {
        if message == InferenceEngine.shutdownMessage { return .unavailable(message) }
        return .server("generation failed: \(message)")
    }

    /// 400: the request is malformed or a field is invalid.
    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> OpenAIError {
        OpenAIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// 404: unknown model or resource.
    public static func notFound(_ message: String, param: String? = nil, code: String? = "model_not_found") -> OpenAIError {
        OpenAIError(status: 404, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// 429: the waiting queue is full.
    public static func rateLimited(_ message: String) -> OpenAIError {
        OpenAIError(status: 429, message: message, type: "rate_limit_error", code: "rate_limit_exceeded")
    }

    /// 503: loading or draining.
    public static func unavailable(_ message: String) -> OpenAIError {
        OpenAIError(status: 503, message: message, type: "server_error", code: "service_unavailable")
    }

    /// 500: a bug.
    public static func server(_ message: String) -> OpenAIError {
        OpenAIError(status: 500, message: message, type: "server_error")
    }

    /// The JSON body.
    public var json: JSONValue {
        ["error": ["message": .string(message), "type": .string(type), "param": param.map { .string($0) } ?? .null,
                   "code": code.map { .string($0) } ?? .null]]
    }

    public var description: String { "\(status) \(type): \(message)" }
}
