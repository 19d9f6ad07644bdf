import HTTP1
import Locking
import Synchronization

/// State shared between the loop thread and whichever threads hold a request's
/// ``HTTPResponder`` or ``HTTPBodyStream``: whether it was answered, whether it was
/// cancelled, cancel, finish and writability callbacks, the response-head decorators
/// middleware added, and the stream's unsent byte count. Responses leave through its
/// ``ResponseSink`` (the connection, or a recorder in tests).
package final class RequestContext: Sendable {
    private struct State {
        var responded = false
        var cancelCallbacks: [@Sendable () -> Void] = []
        var writableCallbacks: [@Sendable () -> Void] = []
        var unsent = 0
        var logMetadata: [(String, String)] = []
        var finishCallbacks: [@Sendable (RequestOutcome) -> Void] = []
        var outcome: RequestOutcome?
        var decorators: [@Sendable (inout HTTPHeaders) -> Void] = []
    }

    /// Where the response goes.
    package let sink: any ResponseSink
    /// Builds the JSON body of ``HTTPResponder/respondError(status:message:headers:)``.
    package let errorBody: HTTPErrorBody.Builder
    /// Which request on the connection this is (1-based).
    package let serial: Int
    /// The request id, for logs.
    package let requestID: String
    /// Above this many unsent stream bytes ``isWritable`` is false.
    package let highWater: Int
    /// Above this many unsent stream bytes the client is too slow and is disconnected.
    package let hardLimit: Int
    private let state = Locked(State())
    private let cancelledFlag = Atomic<Bool>(false)

    package init(sink: any ResponseSink, serial: Int, requestID: String, highWater: Int, hardLimit: Int,
                 errorBody: @escaping HTTPErrorBody.Builder) {
        self.sink = sink
        self.errorBody = errorBody
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

    /// Adds a change to the response head (e.g. a header every response gets); runs in
    /// order of addition when the response starts.
    package func addResponseDecorator(_ decorate: @escaping @Sendable (inout HTTPHeaders) -> Void) {
        state.withLock { $0.decorators.append(decorate) }
    }

    /// Applies the decorators to a response's headers.
    package func decorate(_ headers: inout HTTPHeaders) {
        for d in state.withLock({ $0.decorators }) { d(&headers) }
    }
}
