import HTTPServer
import OrderedJSON

/// One entry of the API's route table: the single list of what the server answers, used
/// both for the real routes (``OpenAIService/register(on:metricsRequireKey:)``) and for the
/// routes that answer 503 while the model loads (``DeferredRoutes``).
public struct APIRoute: Sendable, Equatable {
    /// What a route does.
    public enum Endpoint: String, Sendable, CaseIterable {
        case chatCompletions, completions, models, model, ownedModel, health, liveness, metrics, version, tokenize, detokenize
        /// Anthropic Messages API (`/v1/messages`, `/v1/messages/count_tokens`).
        case messages, countTokens
        /// OpenAI Responses API (`/v1/responses`).
        case responses
    }

    /// Whether errors on this route take Anthropic's shape (`{"type": "error", "error": …}`).
    public var anthropicErrors: Bool { endpoint == .messages || endpoint == .countTokens }

    /// The body of error `e` on this route, in its API's shape.
    public func errorBody(_ e: OpenAIError) -> JSONValue {
        anthropicErrors ? AnthropicMessagesFormatter.error(e) : e.json
    }

    /// HTTP method.
    public var method: String
    /// Router pattern, e.g. `/v1/models/{id}`.
    public var pattern: String
    /// The endpoint it serves.
    public var endpoint: Endpoint

    /// Whether the route is served without an API key: `/health` and `/livez` always, `/metrics`
    /// unless `--metrics-require-key`. Everything else is protected (issue: keys are
    /// checked on the resolved route, so aliases and `//v1/...` are protected too).
    public func isPublic(metricsRequireKey: Bool) -> Bool {
        switch endpoint {
        case .health, .liveness: return true
        case .metrics: return !metricsRequireKey
        default: return false
        }
    }
}

extension OpenAIService {
    /// Every route. The OpenAI routes are also served without the `/v1` prefix, as
    /// llama-server does, for clients configured with a bare base URL.
    public static let routes: [APIRoute] = {
        var list: [APIRoute] = []
        for prefix in ["/v1", ""] {
            list.append(APIRoute(method: "POST", pattern: prefix + "/chat/completions", endpoint: .chatCompletions))
            list.append(APIRoute(method: "POST", pattern: prefix + "/completions", endpoint: .completions))
            list.append(APIRoute(method: "GET", pattern: prefix + "/models", endpoint: .models))
            list.append(APIRoute(method: "GET", pattern: prefix + "/models/{id}", endpoint: .model))
            list.append(APIRoute(method: "GET", pattern: prefix + "/models/{owner}/{name}", endpoint: .ownedModel))
            list.append(APIRoute(method: "POST", pattern: prefix + "/messages", endpoint: .messages))
            list.append(APIRoute(method: "POST", pattern: prefix + "/messages/count_tokens", endpoint: .countTokens))
            list.append(APIRoute(method: "POST", pattern: prefix + "/responses", endpoint: .responses))
        }
        list.append(APIRoute(method: "GET", pattern: "/health", endpoint: .health))
        list.append(APIRoute(method: "GET", pattern: DeferredRoutes.livenessPath, endpoint: .liveness))
        list.append(APIRoute(method: "GET", pattern: "/metrics", endpoint: .metrics))
        list.append(APIRoute(method: "GET", pattern: "/version", endpoint: .version))
        list.append(APIRoute(method: "POST", pattern: "/tokenize", endpoint: .tokenize))
        list.append(APIRoute(method: "POST", pattern: "/detokenize", endpoint: .detokenize))
        return list
    }()
}

extension OpenAIService {
    /// The server-generated error bodies (e.g. the 401 of a missing key) of routes whose API
    /// has its own error shape, by route pattern (``HTTPServer/Configuration/routeErrorBodies``).
    public static let routeErrorBodies: [String: HTTPErrorBody.Builder] = {
        var bodies: [String: HTTPErrorBody.Builder] = [:]
        for route in routes where route.anthropicErrors {
            bodies[route.pattern] = { status, message in
                let e = OpenAIError(status: status, message: message, type: "")
                return AnthropicMessagesFormatter.error(e).serialized()
            }
        }
        return bodies
    }()
}
