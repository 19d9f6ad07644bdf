import HTTPServer
import OrderedJSON

/// The liveness route: `GET /livez` answers 200 `{"status":"alive"}` whenever the HTTP server
/// runs, also while the model loads and while the server drains, unlike `/health` (readiness:
/// 503 while loading or draining). A Kubernetes liveness probe on `/livez` therefore never
/// kills a pod that is finishing its requests after SIGTERM (docs/deployment.md).
extension DeferredRoutes {
    /// The path of the liveness route.
    public static let livenessPath = "/livez"

    /// The liveness answer (needs no model, no engine and no API key).
    static var livenessResponse: HTTPResponse {
        let body: JSONValue = ["status": "alive"]
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
                            body: body.serializedBytes())
    }
}
