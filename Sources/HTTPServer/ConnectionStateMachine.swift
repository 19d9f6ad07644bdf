import HTTP1
/// The lifecycle of one HTTP/1.1 connection as a pure state machine: bytes, timeouts,
/// response completion and peer close go in; actions for the I/O layer come out.
/// No sockets and no clock, so every path is unit-testable (model: Hummingbird's
/// `HTTPConnectionStateHandler`).
///
/// One request is handled at a time. Pipelined requests (RFC 9112 §9.3.2) stay in the
/// parser's buffer until the current response completes, so responses leave in order.
public struct ConnectionStateMachine: Sendable {
    /// The timeouts the I/O layer arms; at most one is armed at a time.
    public enum Timer: Sendable, Equatable {
        /// From the first byte of a request head to its end (slowloris guard).
        case header
        /// From the end of the head to the end of the body.
        case body
        /// Keep-alive idle time between requests.
        case idle
    }

    /// What the I/O layer must do, in order.
    public enum Action: Sendable, Equatable {
        /// Run the handler for a complete request.
        case dispatch(HTTPRequestHead, body: [UInt8], trailers: HTTPHeaders)
        /// Write the interim `100 Continue` (RFC 9110 §10.1.1).
        case sendContinue
        /// Write an error response with `Connection: close`, then close.
        case sendError(status: Int, message: String)
        /// Arm this timer (replacing any other), or disarm all with nil.
        case setTimer(Timer?)
        /// Stop reading: too much pipelined input is buffered.
        case pauseReading
        /// Start reading again.
        case resumeReading
        /// The client half-closed (no more input will come): stop watching for input, but
        /// keep the connection to answer the request in hand.
        case inputEnded
        /// Tell the running handler its client is gone.
        case cancelRequest
        /// Close once queued output is flushed.
        case closeAfterFlush
        /// Close now, discarding queued output.
        case closeNow
    }

    private enum State: Sendable, Equatable {
        /// Waiting for or reading a request.
        case reading
        /// A request is with the handler.
        case handling(keepAlive: Bool)
        /// Closing; no more input is processed.
        case closed
    }

    private var parser: HTTPParser
    private var state: State = .reading
    private var timer: Timer?
    private var readingPaused = false
    private var draining = false
    private var inputEnded = false
    private var currentHead: HTTPRequestHead?
    /// Requests dispatched on this connection.
    public private(set) var requestCount = 0

    /// A machine whose parser applies `limits`.
    public init(limits: HTTPParser.Limits = .init()) {
        parser = HTTPParser(limits: limits)
    }

    /// True while a request is with the handler.
    public var isHandling: Bool {
        if case .handling = state { return true }
        return false
    }

    /// True once the connection is closing.
    public var isClosed: Bool { state == .closed }

    /// True when waiting between requests with nothing buffered (safe to close).
    public var isIdle: Bool { state == .reading && parser.isIdle }

    /// The timer currently armed.
    public var armedTimer: Timer? { timer }

    /// The first call on a new connection: arms the header timer (a client that
    /// connects and sends nothing is treated like a slow head).
    public mutating func start() -> [Action] {
        timer = .header
        return [.setTimer(.header)]
    }

    /// Input bytes from the socket.
    public mutating func received<C: Collection>(_ bytes: C) -> [Action] where C.Element == UInt8 {
        guard state != .closed else { return [] }
        parser.feed(bytes)
        switch state {
        case .reading:
            return pump()
        case .handling:
            if !readingPaused && parser.bufferedByteCount > parser.limits.maxHeaderBytes {
                readingPaused = true
                return [.pauseReading]
            }
            return []
        case .closed:
            return []
        }
    }

    /// Decides whether the response now being written keeps the connection open
    /// (RFC 9112 §9.3 and §9.6): not if the request or the response says `close`, not
    /// for HTTP/1.0 without keep-alive, not while draining. Call before writing its head.
    public func responseKeepsAlive(responseSaysClose: Bool) -> Bool {
        guard case .handling(let keepAlive) = state else { return false }
        return keepAlive && !responseSaysClose && !draining
    }

    /// The response to the current request has been fully queued.
    public mutating func responseCompleted(keptAlive: Bool) -> [Action] {
        guard case .handling = state else { return [] }
        currentHead = nil
        if !keptAlive {
            state = .closed
            return [.setTimer(nil), .closeAfterFlush]
        }
        state = .reading
        if inputEnded {
            // Answer what the client sent before its half-close, then close.
            let actions = pump()
            if actions.contains(where: { if case .dispatch = $0 { return true } else { return false } }) { return actions }
            state = .closed
            return [.setTimer(nil), .closeAfterFlush]
        }
        var actions: [Action] = []
        if readingPaused {
            readingPaused = false
            actions.append(.resumeReading)
        }
        return actions + pump()
    }

    /// The peer closed its side (read of 0, `EPOLLRDHUP`) or the socket failed.
    ///
    /// The first end of input while a request is with the handler is a half-close, which
    /// RFC 9112 §9.6 allows after a request: the request is answered, then the connection
    /// closes. A second report (the socket failed while writing) means the client is gone.
    public mutating func peerClosed() -> [Action] {
        let wasHandling = isHandling
        guard state != .closed else { return [] }
        if wasHandling && !inputEnded {
            inputEnded = true
            return [.inputEnded]
        }
        state = .closed
        return wasHandling ? [.setTimer(nil), .cancelRequest, .closeNow] : [.setTimer(nil), .closeNow]
    }

    /// A timer armed by `.setTimer` fired. Stale timers (not the armed one) are ignored.
    public mutating func timerFired(_ fired: Timer) -> [Action] {
        guard fired == timer, state == .reading else { return [] }
        state = .closed
        timer = nil
        switch fired {
        case .idle:
            return [.closeNow]
        case .header, .body:
            return [.sendError(status: 408, message: "Timed out reading the request"), .closeAfterFlush]
        }
    }

    /// Graceful shutdown: idle connections close now, a running request finishes with
    /// `Connection: close`, a half-read request is abandoned.
    public mutating func drain() -> [Action] {
        draining = true
        if state == .reading {
            state = .closed
            return [.setTimer(nil), .closeNow]
        }
        return []
    }

    private mutating func setTimer(_ t: Timer?, into actions: inout [Action]) {
        // Header and body timers are absolute: re-arming the same kind is a no-op so a
        // client trickling bytes cannot extend them.
        if t != timer {
            timer = t
            actions.append(.setTimer(t))
        }
    }

    /// Pulls events out of the parser until a request is dispatched, more input is
    /// needed, or an error ends the connection.
    private mutating func pump() -> [Action] {
        var actions: [Action] = []
        while true {
            switch parser.next() {
            case .needMoreData:
                if parser.isReadingBody {
                    setTimer(.body, into: &actions)
                } else if parser.isIdle {
                    setTimer(requestCount == 0 ? .header : .idle, into: &actions)
                } else {
                    setTimer(.header, into: &actions)
                }
                return actions
            case .head(let head):
                currentHead = head
                if head.expectsContinue && parser.isReadingBody && parser.bufferedByteCount == 0 {
                    actions.append(.sendContinue)
                }
            case .end(let body, let trailers):
                guard let head = currentHead else { continue }
                requestCount += 1
                state = .handling(keepAlive: head.keepAlive)
                setTimer(nil, into: &actions)
                actions.append(.dispatch(head, body: body, trailers: trailers))
                if parser.bufferedByteCount > parser.limits.maxHeaderBytes {
                    readingPaused = true
                    actions.append(.pauseReading)
                }
                return actions
            case .error(let e):
                state = .closed
                setTimer(nil, into: &actions)
                actions.append(.sendError(status: e.status, message: e.message))
                actions.append(.closeAfterFlush)
                return actions
            }
        }
    }
}
