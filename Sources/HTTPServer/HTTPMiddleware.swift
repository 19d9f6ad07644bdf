import HTTP1

/// One step of the server's request pipeline (as in Hummingbird): it sees each request on
/// the loop thread and either answers it through the responder or passes it, maybe
/// changed, to `next`. It may also add response-head decorators
/// (``HTTPResponder/decorateResponse(_:)``) or end-of-request callbacks
/// (``HTTPResponder/onFinish(_:)``) before passing it on.
///
/// The route is resolved before the first middleware runs (``HTTPRequest/routing``), so a
/// middleware can decide on the matched route (authentication does); the router's handler,
/// or a 404 / 405, comes after the last one. ``HTTPServer/Configuration/middleware`` is the
/// ordered list; lfm-serve builds its own.
public protocol HTTPMiddleware: Sendable {
    /// Handles `request`: answer through `responder`, or call `next` (at most once).
    func handle(_ request: HTTPRequest, _ responder: HTTPResponder, next: Router.Handler)
}

/// The ordered middleware a request passes through, then the matched route's handler (or
/// 404 / 405 in the server's error shape). Built once per server; runs on the loop threads.
package struct RequestPipeline: Sendable {
    /// The router whose routes end the pipeline.
    package let router: Router
    /// The middleware, in the order requests meet them.
    package let middleware: [any HTTPMiddleware]
    private let chain: Router.Handler

    package init(router: Router, middleware: [any HTTPMiddleware]) {
        self.router = router
        self.middleware = middleware
        var chain: Router.Handler = Self.dispatch
        for m in middleware.reversed() {
            let next = chain
            chain = { request, responder in m.handle(request, responder, next: next) }
        }
        self.chain = chain
    }

    /// Resolves the route, then runs the chain.
    package func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        var request = request
        request.routing = router.resolve(method: request.method, path: request.path)
        chain(request, responder)
    }

    /// The end of the chain: the matched handler with its path parameters, else 405 with
    /// `Allow` or 404.
    static func dispatch(_ request: HTTPRequest, _ responder: HTTPResponder) {
        switch request.routing ?? .failure(Router.MatchFailure(.notFound)) {
        case .success(let route):
            var request = request
            request.pathParameters = route.parameters
            route.handler(request, responder)
        case .failure(let failure):
            let method = printable(request.method)
            if case .methodNotAllowed(let allow) = failure.match {
                responder.respondError(status: 405, message: "Method \(method) not allowed for \(request.path)",
                                       headers: ["Allow": allow.joined(separator: ", ")])
            } else {
                responder.respondError(status: 404, message: "Not found: \(method) \(request.path)")
            }
        }
    }

    /// A method token as it may appear in a message: at most 32 characters (a 9 KB
    /// token is not echoed back).
    static func printable(_ method: String) -> String {
        method.count <= 32 ? method : String(method.prefix(32)) + "…"
    }
}
