import HTTP1
/// Routes requests by method and path pattern. Patterns are `/`-separated segments,
/// each a literal or a `{name}` parameter matching one non-empty segment
/// (e.g. `/v1/models/{id}`). Literal segments win over parameters, then registration
/// order. An unknown path is 404; a known path with another method is 405 with an
/// `Allow` header (RFC 9110 §15.5.6).
public struct Router: Sendable {
    /// A request handler. Called on the loop thread: it must not block. Answer through
    /// the responder, now or later, from any thread.
    public typealias Handler = @Sendable (HTTPRequest, HTTPResponder) -> Void

    private enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private struct Route: Sendable {
        var method: String
        var pattern: String
        var segments: [Segment]
        var isPublic: Bool
        var handler: Handler
    }

    /// A matched route with what middleware needs to know about it: the pattern it was
    /// registered with (not the request's path text) and whether it is public.
    public struct Resolution: Sendable {
        /// The handler to run.
        public var handler: Handler
        /// Captured `{name}` parameters.
        public var parameters: [String: String]
        /// The pattern the route was registered with, e.g. `/v1/models/{id}`.
        public var pattern: String
        /// Whether the route is served without credentials (e.g. `/health`).
        public var isPublic: Bool
    }

    /// The result of matching a request.
    public enum Match: Sendable {
        /// A route matched; parameters were captured.
        case found(Handler, parameters: [String: String])
        /// The path exists but not for this method; `allow` lists the methods that do.
        case methodNotAllowed(allow: [String])
        /// No route has this path.
        case notFound
    }

    /// Why no route matched: wraps `.notFound` or `.methodNotAllowed` (an `Error` for `Result`).
    public struct MatchFailure: Error, Sendable {
        /// `.notFound` or `.methodNotAllowed(allow:)`.
        public var match: Match
        init(_ match: Match) { self.match = match }
    }

    private var routes: [Route] = []

    /// An empty router.
    public init() {}

    /// Registers `handler` for `method` (e.g. `GET`) and `pattern`. A route is protected by
    /// authentication middleware unless `isPublic` is true.
    public mutating func add(_ method: String, _ pattern: String, isPublic: Bool = false, _ handler: @escaping Handler) {
        let segments = Self.split(pattern).map { s -> Segment in
            if s.hasPrefix("{") && s.hasSuffix("}") && s.count > 2 {
                return .parameter(String(s.dropFirst().dropLast()))
            }
            return .literal(s)
        }
        routes.append(Route(method: method, pattern: pattern, segments: segments, isPublic: isPublic, handler: handler))
    }

    /// Registers a `GET` route (HEAD requests are served by it too, RFC 9110 §9.3.2).
    public mutating func get(_ pattern: String, isPublic: Bool = false, _ handler: @escaping Handler) {
        add("GET", pattern, isPublic: isPublic, handler)
    }
    /// Registers a `POST` route.
    public mutating func post(_ pattern: String, isPublic: Bool = false, _ handler: @escaping Handler) {
        add("POST", pattern, isPublic: isPublic, handler)
    }
    /// Registers a `DELETE` route.
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add("DELETE", pattern, handler) }

    /// Finds the handler for `method` and the decoded `path`.
    public func match(method: String, path: String) -> Match {
        switch resolve(method: method, path: path) {
        case .success(let r): return .found(r.handler, parameters: r.parameters)
        case .failure(let m): return m.match
        }
    }

    /// Like ``match(method:path:)``, with the matched route's pattern and visibility;
    /// the failure is `.notFound` or `.methodNotAllowed`.
    public func resolve(method: String, path: String) -> Result<Resolution, MatchFailure> {
        let parts = Self.split(path)
        var best: (route: Route, params: [String: String], literals: Int)?
        var allowed: [String] = []
        for route in routes {
            guard let (params, literals) = Self.match(route.segments, parts) else { continue }
            let methodMatches = route.method == method || (method == "HEAD" && route.method == "GET")
            if !allowed.contains(route.method) { allowed.append(route.method) }
            if methodMatches, best == nil || literals > best!.literals {
                best = (route, params, literals)
            }
        }
        if let best {
            return .success(Resolution(handler: best.route.handler, parameters: best.params, pattern: best.route.pattern,
                                       isPublic: best.route.isPublic))
        }
        if allowed.isEmpty { return .failure(MatchFailure(.notFound)) }
        if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
        return .failure(MatchFailure(.methodNotAllowed(allow: allowed)))
    }

    private static func match(_ segments: [Segment], _ parts: [String]) -> ([String: String], Int)? {
        guard segments.count == parts.count else { return nil }
        var params: [String: String] = [:]
        var literals = 0
        for (seg, part) in zip(segments, parts) {
            switch seg {
            case .literal(let l):
                guard l == part else { return nil }
                literals += 1
            case .parameter(let name):
                guard !part.isEmpty else { return nil }
                params[name] = part
            }
        }
        return (params, literals)
    }

    private static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }
}
