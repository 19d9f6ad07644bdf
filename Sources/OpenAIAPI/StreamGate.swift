import HTTPServer
import LFMRuntime
import Locking

/// Write backpressure between one SSE stream and the engine sequences feeding it: when the
/// stream's unsent bytes pass the server's high-water mark, the sequences are paused (they
/// keep their KV pages and skip steps) and resumed once the socket drains. A client that
/// never reads is still ended by the server's write timeout.
final class StreamGate: Sendable {
    private struct Armed {
        var stream: HTTPBodyStream
        var handles: [RequestHandle]
        var paused = false
    }
    private let state = Locked<Armed?>(nil)

    /// Starts watching `stream` for the run's `handles`.
    func arm(stream: HTTPBodyStream, handles: [RequestHandle]) {
        state.withLock { $0 = Armed(stream: stream, handles: handles) }
        check()
    }

    /// Called after output was produced: pauses the sequences when the stream is backed up.
    func check() {
        let pausedNow: HTTPBodyStream? = state.withLock { a in
            guard var armed = a, !armed.paused, !armed.stream.isWritable, !armed.stream.isCancelled else { return nil }
            armed.paused = true
            armed.handles.forEach { $0.pause() }
            a = armed
            return armed.stream
        }
        pausedNow?.onWritable { [self] in resume() }
    }

    private func resume() {
        state.withLock { a in
            guard var armed = a, armed.paused else { return }
            armed.paused = false
            armed.handles.forEach { $0.resume() }
            a = armed
        }
    }
}
