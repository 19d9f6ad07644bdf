/// How a request ended, as its access-log line reports it: exactly one per request.
public struct RequestOutcome: Sendable, Equatable {
    /// The status sent (or 499 when the connection closed before any response started).
    public var status: Int
    /// True when the whole response was queued; false when the connection closed first.
    public var completed: Bool
    /// Why it was cut short: `client_closed`, `server_closed` or `write_timeout`; nil when completed.
    public var reason: String?
    /// Response bytes queued (head and body as framed on the wire).
    public var bytes: Int
    /// Time from the complete request head to the end, in nanoseconds.
    public var durationNanos: UInt64

    /// An outcome.
    public init(status: Int, completed: Bool, reason: String?, bytes: Int = 0, durationNanos: UInt64 = 0) {
        self.status = status
        self.completed = completed
        self.reason = reason
        self.bytes = bytes
        self.durationNanos = durationNanos
    }
}
