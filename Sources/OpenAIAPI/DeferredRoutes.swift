import HTTPServer
import Locking
import OrderedJSON

/// Lets the HTTP server start before the model is loaded: until `install(_:)` provides the
/// real routes, the liveness route answers as usual and every other route answers 503 with
/// `Retry-After: 5` (`/health` with `{"status":"unavailable","reason":"loading model"}`, or
/// the reason ``HealthState`` gives; the others with an OpenAI error body).
public final class DeferredRoutes: Sendable {
    private let inner = Locked<Router?>(nil)
    private let health: HealthState

    public init(health: HealthState) { self.health = health }

    /// A router for the server: forwards to the installed routes, or answers 503.
    public func makeRouter(metricsRequireKey: Bool = false) -> Router {
        var router = Router()
        for route in OpenAIService.routes {
            router.add(route.method, route.pattern, isPublic: route.isPublic(metricsRequireKey: metricsRequireKey)) { [self] req, res in
                if route.endpoint == .liveness { res.respond(Self.livenessResponse); return }   // alive while loading too
                if let r = inner.withLock({ $0 }), case .found(let handler, let params) = r.match(method: req.method, path: req.path) {
                    var forwarded = req
                    forwarded.pathParameters = params
                    handler(forwarded, res)
                    return
                }
                let reason = health.unavailableReason ?? "loading model"
                let body: JSONValue = route.endpoint == .health ? ["status": "unavailable", "reason": .string(reason)]
                    : route.errorBody(.unavailable("the server is \(reason)"))
                res.respond(HTTPResponse(status: 503, headers: ["Content-Type": "application/json", "Retry-After": "5"],
                                         body: body.serializedBytes()))
            }
        }
        return router
    }

    /// Installs the real routes (once the model is loaded).
    public func install(_ router: Router) { inner.withLock { $0 = router } }
}
