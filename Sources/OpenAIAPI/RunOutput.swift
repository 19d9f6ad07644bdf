import HTTPServer
import LFMRuntime
import OrderedJSON

/// Where a run's output goes, kept inside the run's lock.
///
/// A run is created, its engine requests admitted (or refused with 429/400 before any byte
/// of the response is sent), and only then is the SSE stream started and attached. Events
/// produced in between are held and sent on attach, in order. For a non-streamed run the
/// completion callback is registered before submission, so an early failure can never be
/// lost or turned into a 200 (a failure is answered with its status).
struct RunOutput {
    /// A finished non-streamed answer: JSON body and HTTP status.
    typealias Completion = @Sendable (JSONValue, Int) -> Void

    let streaming: Bool
    private(set) var stream: HTTPBodyStream?
    /// Events produced before the stream was attached, in order.
    private(set) var held: [SSEEvent] = []
    private var heldUsage: JSONValue?
    private var finished = false
    private var completion: Completion?
    private var result: (JSONValue, Int)?

    init(streaming: Bool) { self.streaming = streaming }

    /// Sends an SSE event now, or holds it until ``attach(_:)``.
    mutating func send(_ event: SSEEvent) {
        guard streaming, !finished else { return }
        if let stream { _ = stream.send(event) } else { held.append(event) }
    }

    /// Ends the stream (after its last event), logging `usage` on its access-log line.
    mutating func finishStream(usage: JSONValue?) {
        guard streaming, !finished else { return }
        finished = true
        if let stream {
            if let usage { stream.logUsage(usage) }
            stream.finish()
        } else {
            heldUsage = usage
        }
    }

    /// Attaches the started stream and sends what was held.
    mutating func attach(_ s: HTTPBodyStream) {
        stream = s
        for e in held { _ = s.send(e) }
        held = []
        if finished {
            if let heldUsage { s.logUsage(heldUsage) }
            s.finish()
        }
    }

    /// Registers the completion of a non-streamed run; returns the answer if it is already known.
    mutating func onComplete(_ body: @escaping Completion) -> (JSONValue, Int)? {
        if let result { return result }
        completion = body
        return nil
    }

    /// Ends the run with `e`: an error event and `[DONE]` on a stream, else the error as the
    /// answer with its status. Returns the callback to call (outside the lock).
    mutating func fail(_ e: OpenAIError) -> (Completion, JSONValue, Int)? {
        fail(events: [SSEEvent(data: e.json.serialized()), SSEEvent(data: "[DONE]")], body: e.json, status: e.status)
    }

    /// Ends the run with an error in an API's own shape: `events` on a stream (they end it),
    /// else `body` with `status` as the answer. Returns the callback to call (outside the lock).
    mutating func fail(events: [SSEEvent], body: JSONValue, status: Int) -> (Completion, JSONValue, Int)? {
        events.forEach { send($0) }
        finishStream(usage: nil)
        return complete(body, status: status)
    }

    /// Records the answer of a non-streamed run; returns the callback to call (outside the lock).
    mutating func complete(_ value: JSONValue, status: Int) -> (Completion, JSONValue, Int)? {
        guard !streaming, result == nil else { return nil }
        result = (value, status)
        guard let c = completion else { return nil }
        return (c, value, status)
    }
}

extension OpenAIService {
    /// Admits a run's engine requests as one unit, then starts its response: for a stream,
    /// the SSE response starts only after admission succeeded (so a full queue is a 429
    /// with `Retry-After`, not an SSE error); otherwise the completion answers when ready.
    /// Backpressure: after each event the stream is checked, and a client that does not
    /// read pauses the run's sequences (pages kept) until its socket drains.
    func start(_ requests: [GenerationRequest], promptParam: String, stream: Bool, res: HTTPResponder,
               attach: @escaping @Sendable (HTTPBodyStream) -> Void,
               onComplete: (@escaping RunOutput.Completion) -> Void,
               sink: @escaping @Sendable (Int, GenerationEvent) -> Void) throws(OpenAIError) {
        if !stream {
            onComplete { value, status in
                if status == 200 { res.logUsage(value["usage"]) }
                res.respond(self.json(value, status: status))
            }
        }
        let gate = StreamGate()
        let handles: [RequestHandle]
        do {
            handles = try engine.submit(requests) { i, event in
                sink(i, event)
                gate.check()
            }
        } catch {
            throw submitError(error, param: promptParam)
        }
        if stream {
            let s = res.startSSE()
            gate.arm(stream: s, handles: handles)
            attach(s)
            s.onCancel { handles.forEach { $0.cancel() } }
        } else {
            res.onCancel { handles.forEach { $0.cancel() } }
        }
    }
}
