#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a lock: the state shared between threads (the event loop and handlers,
/// the engine thread and the API, mask workers) is read and changed only inside
/// ``withLock(_:)``.
///
/// Built on a `pthread_mutex_t` rather than the standard library's `Synchronization.Mutex`:
/// on Linux that `Mutex` waits with raw `futex` system calls, which ThreadSanitizer does not
/// see, so every access it orders would be reported as a data race and the suites could not
/// run clean under `--sanitize=thread` (docs/reliability.md, "ThreadSanitizer"). Uncontended,
/// both cost one atomic exchange to lock and one to unlock.
public final class Locked<Value>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline var value: Value

    /// A lock guarding `value`.
    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value while holding the lock; `body` must not call back into
    /// this lock (the mutex is not recursive). Inlinable, so callers in other modules get it
    /// specialized to their value and closure.
    @inlinable public func withLock<Result, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
