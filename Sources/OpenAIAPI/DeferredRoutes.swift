import HTTPServer
import OrderedJSON
import Synchronization

/// Lets the HTTP server start before the model is loaded: every API route answers 503
/// (`/health` with `{"status": "loading"}`) until `install(_:)` provides the real routes.
public final class DeferredRoutes: Sendable {
    private let inner = Mutex<Router?>(nil)
    private let health: HealthState

    /// The (method, path) pairs `OpenAIService.register(on:)` serves.
    public static let endpoints: [(String, String)] = {
        var list: [(String, String)] = [("GET", "/health"), ("GET", "/metrics"), ("GET", "/version"), ("POST", "/tokenize"),
                                        ("POST", "/detokenize")]
        for p in ["/v1", ""] {
            list.append(("POST", p + "/chat/completions"))
            list.append(("POST", p + "/completions"))
            list.append(("GET", p + "/models"))
            list.append(("GET", p + "/models/{id}"))
            list.append(("GET", p + "/models/{owner}/{name}"))
        }
        return list
    }()

    public init(health: HealthState) { self.health = health }

    /// A router for the server: forwards to the installed routes, or answers 503.
    public func makeRouter() -> Router {
        var router = Router()
        router.get(Self.livenessPath) { _, res in res.respond(Self.livenessResponse) }
        for (method, path) in Self.endpoints {
            router.add(method, path) { [self] req, res in
                if let r = inner.withLock({ $0 }), case .found(let handler, let params) = r.match(method: req.method, path: req.path) {
                    var forwarded = req
                    forwarded.pathParameters = params
                    handler(forwarded, res)
                    return
                }
                let reason = health.unavailableReason ?? "loading model"
                let body: JSONValue = req.path == "/health" ? ["status": "unavailable", "reason": .string(reason)]
                    : OpenAIError.unavailable("the server is \(reason)").json
                res.respond(HTTPResponse(status: 503, headers: ["Content-Type": "application/json", "Retry-After": "5"],
                                         body: body.serializedBytes()))
            }
        }
        return router
    }

    /// Installs the real routes (once the model is loaded).
    public func install(_ router: Router) { inner.withLock { $0 = router } }
}
