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

    private let paused = Atomic<Bool>(false)

    /// Holds the sequence out of steps (its KV pages are kept) until ``resume()``: the
    /// consumer cannot take more output now (a client that does not read its stream).
    public func pause() { paused.store(true, ordering: .releasing) }

    /// Lets a paused sequence take part in steps again.
    public func resume() {
        if paused.exchange(false, ordering: .acquiringAndReleasing) { wake() }
    }

    /// Whether the sequence is held out of steps.
    public var isPaused: Bool { paused.load(ordering: .acquiring) }
}
