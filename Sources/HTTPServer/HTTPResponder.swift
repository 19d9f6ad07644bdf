import HTTP1
/// The handle a handler uses to answer one request, from any thread, at any time.
///
/// Exactly one of ``respond(_:)``, ``startStream(status:headers:)`` or
/// ``startSSE(headers:)`` takes effect; later calls are ignored. Every method is
/// thread-safe: it enqueues work on the connection's event loop and wakes it through
/// an eventfd, so a handler may answer inline on the loop thread (cheap JSON), after
/// CPU work on another thread (tokenising), or by streaming from the engine thread.
///
/// If the client disconnects first, ``isCancelled`` becomes true and ``onCancel(_:)``
/// callbacks run (on the loop thread, so keep them short: flag the work as cancelled).
public final class HTTPResponder: Sendable {
    package let context: RequestContext
    /// The request method, to decide whether a body is sent (HEAD).
    package let method: String

    package init(context: RequestContext, method: String) {
        self.context = context
        self.method = method
    }

    /// The request id (also echoed as `X-Request-Id`).
    public var requestID: String { context.requestID }

    /// True once the client is gone or the server closed the connection.
    public var isCancelled: Bool { context.isCancelled }

    /// Adds a key/value to this request's access-log line (call before responding).
    public func addLogMetadata(_ key: String, _ value: String) { context.addLogMetadata(key, value) }

    /// Registers a callback for cancellation; runs at once if already cancelled.
    public func onCancel(_ callback: @escaping @Sendable () -> Void) {
        context.onCancel(callback)
    }

    /// Registers a callback for the end of the request: the response fully queued, or the
    /// connection closed first (runs on the loop thread; at once if it already ended).
    public func onFinish(_ callback: @escaping @Sendable (RequestOutcome) -> Void) {
        context.onFinish(callback)
    }

    /// Adds a change every response head of this request gets, whichever way it is answered
    /// (complete, error, stream): how middleware adds `X-Request-Id` or CORS headers.
    /// Decorators run in the order they were added, before the server's own headers.
    public func decorateResponse(_ decorate: @escaping @Sendable (inout HTTPHeaders) -> Void) {
        context.addResponseDecorator(decorate)
    }

    /// Sends a complete response. Middleware decorators run first; the server then adds
    /// `Content-Length`, `Connection`, `Date` and, when negotiated, gzip.
    public func respond(_ response: HTTPResponse) {
        guard context.claimResponse() else { return }
        var response = response
        context.decorate(&response.headers)
        context.sink.send(serial: context.serial, response)
    }

    /// Convenience: a JSON error in the server's error-body shape
    /// (``HTTPServer/Configuration/errorBody``) with extra `headers`.
    public func respondError(status: Int, message: String, headers: HTTPHeaders = [:]) {
        var r = HTTPResponse.json(context.errorBody(status, message), status: status)
        for (n, v) in headers { r.headers.add(name: n, value: v) }
        respond(r)
    }

    /// Starts a streamed body with `Transfer-Encoding: chunked` (RFC 9112 §7.1); for
    /// HTTP/1.0 clients the body is delimited by closing the connection instead.
    public func startStream(status: Int = 200, headers: HTTPHeaders = [:]) -> HTTPBodyStream {
        start(status: status, headers: headers, sse: false)
    }

    /// Starts a Server-Sent Events stream: `Content-Type: text/event-stream`,
    /// `Cache-Control: no-cache`, `X-Accel-Buffering: no`, each event flushed as it is
    /// sent, and `: ping` comments at the configured interval while it is open.
    public func startSSE(headers: HTTPHeaders = [:]) -> HTTPBodyStream {
        start(status: 200, headers: headers, sse: true)
    }

    private func start(status: Int, headers: HTTPHeaders, sse: Bool) -> HTTPBodyStream {
        let stream = HTTPBodyStream(context: context)
        guard context.claimResponse() else {
            stream.markFinished()
            return stream
        }
        var headers = headers
        if sse {
            headers.replaceOrAdd(name: "Content-Type", value: "text/event-stream")
            headers.replaceOrAdd(name: "Cache-Control", value: "no-cache")
            headers.replaceOrAdd(name: "X-Accel-Buffering", value: "no")
        }
        context.decorate(&headers)
        context.sink.startStream(serial: context.serial, status: status, headers: headers, sse: sse)
        return stream
    }
}
