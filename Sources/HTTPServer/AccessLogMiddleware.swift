import HTTP1
import Logging

/// One access-log line per request at `info`, when it ends: method, path, status, bytes,
/// duration, request id, what handlers added (``HTTPResponder/addLogMetadata(_:_:)``) and,
/// for a request cut short, its `outcome`. Put it first, so requests answered by later
/// middleware (preflights, 401s) are logged too.
public struct AccessLogMiddleware: HTTPMiddleware {
    let logger: Logger

    /// Logs to `logger` (nothing when its level is above `info`).
    public init(logger: Logger) { self.logger = logger }

    public func handle(_ request: HTTPRequest, _ responder: HTTPResponder, next: Router.Handler) {
        if logger.logLevel <= .info {
            let (logger, head, context) = (logger, request.head, responder.context)
            responder.onFinish { outcome in
                let (message, metadata) = Self.line(head: head, outcome: outcome, requestID: context.requestID,
                                                    extra: context.logMetadata)
                logger.info("\(message)", metadata: metadata)
            }
        }
        next(request, responder)
    }

    /// The message and metadata of the line for a request that ended with `outcome`.
    static func line(head: HTTPRequestHead, outcome: RequestOutcome, requestID: String,
                     extra: [(String, String)]) -> (String, Logger.Metadata) {
        let ms = Double(outcome.durationNanos) / 1e6
        var metadata: Logger.Metadata = [
            "status": "\(outcome.status)",
            "bytes": "\(outcome.bytes)",
            "duration_ms": "\((ms * 100).rounded() / 100)",
            "request_id": "\(requestID)",
        ]
        for (k, v) in extra { metadata[k] = "\(v)" }
        if !outcome.completed { metadata["outcome"] = "\(outcome.reason ?? "server_closed")" }
        return ("\(head.method) \(head.rawPath) \(outcome.status)", metadata)
    }
}
