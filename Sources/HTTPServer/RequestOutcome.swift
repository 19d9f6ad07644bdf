/// How a request ended, as its access-log line reports it: exactly one per request.
public struct RequestOutcome: Sendable, Equatable {
    /// The status sent (or 499 when the connection closed before any response started).
    public var status: Int
    /// True when the whole response was queued; false when the connection closed first.
    public var completed: Bool
    /// Why it was cut short: `client_closed`, `server_closed` or `write_timeout`; nil when completed.
    public var reason: String?

    /// An outcome.
    public init(status: Int, completed: Bool, reason: String?) {
        self.status = status
        self.completed = completed
        self.reason = reason
    }
}
