import HTTP1
import Synchronization

/// State shared between the loop thread and whichever threads hold a request's
/// ``HTTPResponder`` or ``HTTPBodyStream``: whether it was answered, whether it was
/// cancelled, cancel and writability callbacks, and the stream's unsent byte count.
package final class RequestContext: Sendable {
    private struct State {
        var responded = false
        var cancelCallbacks: [@Sendable () -> Void] = []
        var writableCallbacks: [@Sendable () -> Void] = []
        var unsent = 0
        var logMetadata: [(String, String)] = []
        var finishCallbacks: [@Sendable (RequestOutcome) -> Void] = []
        var outcome: RequestOutcome?
    }

    /// The loop owning the connection.
    package let loop: EventLoop
    /// The connection's fd and registration generation (stale-safe lookup).
    package let fd: Int32
    package let generation: UInt32
    /// Which request on the connection this is (1-based).
    package let serial: Int
    /// The request id, for logs.
    package let requestID: String
    /// Above this many unsent stream bytes ``isWritable`` is false.
    package let highWater: Int
    /// Above this many unsent stream bytes the client is too slow and is disconnected.
    package let hardLimit: Int
    private let state = Mutex(State())
    private let cancelledFlag = Atomic<Bool>(false)

    package init(loop: EventLoop, fd: Int32, generation: UInt32, serial: Int, requestID: String,
                 highWater: Int, hardLimit: Int) {
        self.loop = loop
        self.fd = fd
        self.generation = generation
        self.serial = serial
        self.requestID = requestID
        self.highWater = highWater
        self.hardLimit = hardLimit
    }

    /// True once the client went away, the stream overflowed, or the server closed it.
    package var isCancelled: Bool { cancelledFlag.load(ordering: .acquiring) }

    /// Marks the response as started; false if one was already started.
    package func claimResponse() -> Bool {
        state.withLock { s in
            if s.responded { return false }
            s.responded = true
            return true
        }
    }

    /// Cancels once, running cancel callbacks (and waking writability waiters) on the
    /// calling thread, which is the loop thread.
    package func cancel() {
        guard !cancelledFlag.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let (cancels, writables) = state.withLock { s in
            defer { s.cancelCallbacks = []; s.writableCallbacks = [] }
            return (s.cancelCallbacks, s.writableCallbacks)
        }
        for cb in cancels { cb() }
        for cb in writables { cb() }
    }

    /// Records how the request ended (loop thread, once) and runs the finish callbacks.
    package func finished(_ outcome: RequestOutcome) {
        let callbacks = state.withLock { s -> [@Sendable (RequestOutcome) -> Void] in
            guard s.outcome == nil else { return [] }
            s.outcome = outcome
            defer { s.finishCallbacks = [] }
            return s.finishCallbacks
        }
        for cb in callbacks { cb(outcome) }
    }

    /// Adds a callback for the request's end; runs it at once if it already ended.
    package func onFinish(_ cb: @escaping @Sendable (RequestOutcome) -> Void) {
        let done = state.withLock { s -> RequestOutcome? in
            if let o = s.outcome { return o }
            s.finishCallbacks.append(cb)
            return nil
        }
        if let done { cb(done) }
    }

    /// Adds a key/value to the request's access-log line (e.g. token counts).
    package func addLogMetadata(_ key: String, _ value: String) {
        state.withLock { $0.logMetadata.append((key, value)) }
    }

    /// What handlers added with ``addLogMetadata(_:_:)``, in order.
    package var logMetadata: [(String, String)] { state.withLock { $0.logMetadata } }

    /// Adds a cancel callback; runs it at once if already cancelled.
    package func onCancel(_ cb: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s -> Bool in
            if isCancelled { return true }
            s.cancelCallbacks.append(cb)
            return false
        }
        if runNow { cb() }
    }

    /// Accounts `n` bytes handed over by the producer; false if that crosses the hard
    /// limit (the caller then disconnects the client).
    package func addUnsent(_ n: Int) -> Bool {
        state.withLock { s in
            s.unsent += n
            return s.unsent <= hardLimit
        }
    }

    /// Accounts `n` bytes written to the socket (loop thread); wakes writability
    /// waiters when the backlog falls below half the high-water mark.
    package func subtractUnsent(_ n: Int) {
        let wake = state.withLock { s -> [@Sendable () -> Void] in
            s.unsent -= n
            guard s.unsent < highWater / 2, !s.writableCallbacks.isEmpty else { return [] }
            defer { s.writableCallbacks = [] }
            return s.writableCallbacks
        }
        for cb in wake { cb() }
    }

    /// Unsent stream bytes right now.
    package var unsentBytes: Int { state.withLock { $0.unsent } }

    /// Whether the producer should write more now.
    package var isWritable: Bool { !isCancelled && unsentBytes < highWater }

    /// Runs `cb` once the stream is writable or cancelled (at once if it already is).
    package func onWritable(_ cb: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s -> Bool in
            if isCancelled || s.unsent < highWater { return true }
            s.writableCallbacks.append(cb)
            return false
        }
        if runNow { cb() }
    }

    /// Runs `task` on the loop with the connection, if it is still the same one.
    package func withConnection(_ task: @escaping @Sendable (Connection) -> Void) {
        let (loop, fd, generation) = (loop, fd, generation)
        loop.execute {
            if let c = loop.handler(fd: fd, generation: generation) as? Connection { task(c) }
        }
    }
}
