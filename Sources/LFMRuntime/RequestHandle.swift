import Synchronization

/// A submitted request: lets the caller cancel it from any thread. The engine notices at
/// the next step boundary, frees its pages and sends `.finished(reason: .cancelled, …)`.
public final class RequestHandle: Sendable {
    public let id: String
    private let cancelled = Atomic<Bool>(false)
    private let wake: @Sendable () -> Void

    init(id: String, wake: @escaping @Sendable () -> Void) {
        self.id = id
        self.wake = wake
    }

    /// Requests cancellation (idempotent).
    public func cancel() {
        if !cancelled.exchange(true, ordering: .acquiringAndReleasing) { wake() }
    }

    /// Whether `cancel()` was called.
    public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }
}
