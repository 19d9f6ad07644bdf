import HTTP1
import Synchronization

/// A response body produced piece by piece, from any thread (e.g. the engine thread).
///
/// Backpressure: bytes not yet accepted by the kernel are counted per stream.
/// ``isWritable`` turns false above the high-water mark
/// (``HTTPServer/Configuration/streamHighWaterBytes``); a producer that keeps writing
/// past the hard limit (``HTTPServer/Configuration/maxStreamBufferBytes``) gets the
/// client disconnected and the stream cancelled — output is never buffered without
/// bound. A producer can poll ``isWritable``, register ``onWritable(_:)`` or
/// `await` ``waitUntilWritable()``.
public final class HTTPBodyStream: Sendable {
    private let context: RequestContext
    private let finished = Atomic<Bool>(false)

    package init(context: RequestContext) {
        self.context = context
    }

    package func markFinished() { finished.store(true, ordering: .releasing) }

    /// True once the client is gone, the server closed the connection, or the stream
    /// overflowed. Check it once per produced item (e.g. per engine step).
    public var isCancelled: Bool { context.isCancelled }

    /// Adds a key/value to this request's access-log line (call before ``finish()``).
    public func addLogMetadata(_ key: String, _ value: String) { context.addLogMetadata(key, value) }

    /// Registers a callback for cancellation (runs on the loop thread; at once if
    /// already cancelled).
    public func onCancel(_ callback: @escaping @Sendable () -> Void) {
        context.onCancel(callback)
    }

    /// True when the unsent backlog is below the high-water mark and not cancelled.
    public var isWritable: Bool { context.isWritable }

    /// Stream bytes written by the producer but not yet accepted by the kernel.
    public var unsentBytes: Int { context.unsentBytes }

    /// Runs `callback` once the stream is writable again or cancelled.
    public func onWritable(_ callback: @escaping @Sendable () -> Void) {
        context.onWritable(callback)
    }

    /// Suspends until the stream is writable; returns false if it was cancelled.
    public func waitUntilWritable() async -> Bool {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            context.onWritable { c.resume() }
        }
        return !context.isCancelled
    }

    /// Queues `bytes` for the client. Returns false (and drops them) if the stream is
    /// cancelled or finished. Crossing the hard buffer limit disconnects the client.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        guard !context.isCancelled, !finished.load(ordering: .acquiring) else { return false }
        if bytes.isEmpty { return true }
        let serial = context.serial
        guard context.addUnsent(bytes.count) else {
            context.sink.abortSlowClient(serial: serial)
            return false
        }
        context.sink.streamWrite(serial: serial, bytes)
        return true
    }

    /// Queues a UTF-8 string.
    @discardableResult
    public func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    /// Queues one Server-Sent Event; it is flushed on its own, not batched behind a timer.
    @discardableResult
    public func send(_ event: SSEEvent) -> Bool { write(event.encoded()) }

    /// Ends the body (the last chunk, RFC 9112 §7.1). Further writes are ignored.
    public func finish() {
        guard !finished.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let serial = context.serial
        context.sink.streamFinish(serial: serial)
    }
}
