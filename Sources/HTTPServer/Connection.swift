import HTTP1
#if canImport(Glibc)
import Glibc
#endif
import CEpoll

/// The I/O side of one client connection, confined to its loop thread. It moves bytes
/// between the socket and the pure ``ConnectionStateMachine`` and performs the actions
/// the machine returns. Output is a queue of chunks; stream chunks carry their
/// ``RequestContext`` so its unsent count drops only when the kernel took the bytes.
/// It knows the server only through its ``Environment``.
package final class Connection: EventLoopHandler {
    /// What a connection needs from the server that accepted it: the settings, the
    /// request pipeline, and a callback for its end. No reference back to ``HTTPServer``.
    package struct Environment: Sendable {
        /// Limits, timeouts, stream and gzip settings, the error-body builder.
        package var configuration: HTTPServer.Configuration
        /// Where complete requests go.
        package var pipeline: RequestPipeline
        /// Called once when the connection has closed.
        package var closed: @Sendable () -> Void

        package init(configuration: HTTPServer.Configuration, pipeline: RequestPipeline, closed: @escaping @Sendable () -> Void) {
            self.configuration = configuration
            self.pipeline = pipeline
            self.closed = closed
        }
    }

    struct OutChunk {
        var bytes: [UInt8]
        var offset = 0
        var context: RequestContext?
        var payload = 0
    }

    /// The request being answered.
    struct Current {
        let context: RequestContext
        let head: HTTPRequestHead
        let start: UInt64
        var status = 0
        var bytesOut = 0
        var stream: Stream?
    }

    struct Stream {
        var chunked: Bool
        var keepAlive: Bool
        var headOnly: Bool
    }

    let fd: Int32
    private(set) var generation: UInt32 = 0
    unowned let loop: EventLoop
    let environment: Environment
    let transport: any Transport
    let remoteAddress: String
    var machine: ConnectionStateMachine
    var output: [OutChunk] = []
    var outputHead = 0
    private var interest: UInt32 = 0
    private var readingPaused = false
    /// The client half-closed: nothing more to read, the request in hand is still answered.
    private var inputEnded = false
    private var tlsReadWantsWrite = false
    private var closeWhenFlushed = false
    private var lingering = false
    private(set) var closed = false
    private var machineTimer: UInt64?
    private var stallTimer: UInt64?
    private var lingerTimer: UInt64?
    var pingTimer: UInt64?
    private var lastWriteProgress: UInt64 = 0
    /// Why the connection is being closed, for the access line of a request cut short.
    private var closeReason = "server_closed"
    var current: Current?
    private var serial = 0

    init(fd: Int32, remoteAddress: String, loop: EventLoop, environment: Environment, transport: any Transport) {
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.loop = loop
        self.environment = environment
        self.transport = transport
        machine = ConnectionStateMachine(limits: environment.configuration.limits)
    }

    /// Registers with the loop and arms the first timer.
    func start() throws(SyscallError) {
        interest = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        generation = try loop.register(fd: fd, events: interest, handler: self)
        perform(machine.start())
    }

    // MARK: Events

    package func handle(events: UInt32) {
        if inputEnded && !lingering {
            // Half-closed: only a failure of the socket (HUP/ERR) or a failed write says the client is gone.
            if events & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { peerGone(hard: true); return }
        } else if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            if readingPaused && !lingering && events & EPOLLIN.rawValue == 0 {
                peerGone()  // RDHUP/HUP/ERR while we are not reading: the client left.
            } else {
                readAvailable()
            }
        }
        if !closed && events & EPOLLOUT.rawValue != 0 {
            if tlsReadWantsWrite { readAvailable() }
            flush()
        }
    }

    private func readAvailable() {
        for _ in 0..<32 {
            guard !closed, !readingPaused || lingering else { return }
            switch transport.read(into: loop.readBuffer) {
            case .bytes(let n):
                if tlsReadWantsWrite { tlsReadWantsWrite = false; updateInterest() }
                if lingering { continue }
                perform(machine.received(UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<n])))
            case .wouldBlock(let wantWrite):
                if wantWrite != tlsReadWantsWrite { tlsReadWantsWrite = wantWrite; updateInterest() }
                return
            case .eof:
                peerGone()
                return
            case .failed:
                peerGone(hard: true)
                return
            }
        }
        // Still data after 32 reads (fairness cap): come back after other connections.
        let (fd, gen, loop) = (fd, generation, loop)
        loop.execute { (loop.handler(fd: fd, generation: gen) as? Connection)?.readAvailable() }
    }

    /// The client closed its side (`hard`: the socket failed, so it is gone, not half-closed).
    private func peerGone(hard: Bool = false) {
        if lingering { close(); return }
        closeReason = "client_closed"
        var actions = machine.peerClosed()
        if hard && actions == [.inputEnded] { actions = machine.peerClosed() }
        if actions.isEmpty { close() } else { perform(actions) }
    }

    // MARK: Actions

    private func perform(_ actions: [ConnectionStateMachine.Action]) {
        for action in actions {
            if closed { return }
            switch action {
            case .dispatch(let head, let body, let trailers):
                dispatch(head: head, body: body, trailers: trailers)
            case .sendContinue:
                enqueue(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                flush()
            case .sendError(let status, let message):
                writeServerError(status: status, message: message)
            case .setTimer(let kind):
                if let t = machineTimer { loop.cancelTimer(t); machineTimer = nil }
                if let kind { armMachineTimer(kind) }
            case .pauseReading:
                readingPaused = true
                updateInterest()
            case .resumeReading:
                readingPaused = false
                updateInterest()
                if transport.pendingReadBytes > 0 { readAvailable() }
            case .inputEnded:
                inputEnded = true
                closeReason = "server_closed"
                updateInterest()
            case .cancelRequest:
                closeReason = "client_closed"
                current?.context.cancel()
            case .closeAfterFlush:
                closeWhenFlushed = true
                flush()
            case .closeNow:
                close()
            }
        }
    }

    private func armMachineTimer(_ kind: ConnectionStateMachine.Timer) {
        let c = environment.configuration
        let d: Duration = switch kind {
        case .header: c.headerTimeout
        case .body: c.bodyTimeout
        case .idle: c.idleTimeout
        }
        machineTimer = loop.scheduleTimer(afterNanos: d.nanoseconds) { [unowned self] in
            machineTimer = nil
            perform(machine.timerFired(kind))
        }
    }

    private func dispatch(head: HTTPRequestHead, body: [UInt8], trailers: HTTPHeaders) {
        serial += 1
        let requestID = RequestID.make(from: head.headers)
        let c = environment.configuration
        let context = RequestContext(sink: ConnectionSink(loop: loop, fd: fd, generation: generation), serial: serial,
                                     requestID: requestID, highWater: c.streamHighWaterBytes, hardLimit: c.maxStreamBufferBytes,
                                     errorBody: c.errorBody)
        current = Current(context: context, head: head, start: Syscall.now())
        let request = HTTPRequest(head: head, body: body, trailers: trailers, remoteAddress: remoteAddress, requestID: requestID)
        environment.pipeline.handle(request, HTTPResponder(context: context, method: head.method))
    }

    // MARK: Responses (called through ConnectionSink on the loop thread)

    /// Writes a complete (already decorated) response for request `serial`.
    func sendResponse(serial: Int, _ response: HTTPResponse) {
        guard !closed, var cur = current, cur.context.serial == serial, cur.stream == nil else { return }
        var headers = response.headers
        var body = response.body
        let bodyless = HTTPResponse.bodyless(status: response.status, method: cur.head.method)
        if !bodyless, let threshold = environment.configuration.gzipMinBytes, body.count >= threshold,
           !headers.contains("content-encoding") {
            headers.add(name: "Vary", value: "Accept-Encoding")
            if Gzip.accepts(cur.head.headers.values(for: "accept-encoding")), let z = Gzip.compress(body), z.count < body.count {
                body = z
                headers.add(name: "Content-Encoding", value: "gzip")
            }
        }
        headers.replaceOrAdd(name: "Content-Length", value: response.status == 204 || response.status < 200 ? nil : String(body.count))
        headers.remove(name: "Transfer-Encoding")
        let keepAlive = finishHeaders(&headers, head: cur.head)
        var bytes = HTTPResponse.encodeHead(status: response.status, headers: headers)
        if !bodyless { bytes += body }
        cur.status = response.status
        cur.bytesOut = bytes.count
        enqueue(bytes)
        complete(cur, keepAlive: keepAlive)
    }

    /// Sets `Connection` and `Date`; returns whether the connection stays open.
    func finishHeaders(_ headers: inout HTTPHeaders, head: HTTPRequestHead) -> Bool {
        let keepAlive = machine.responseKeepsAlive(responseSaysClose: headers.tokens(for: "connection").contains("close"))
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if head.version == .http1_0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        if !headers.contains("date") { headers.add(name: "Date", value: loop.httpDate()) }
        return keepAlive
    }

    func complete(_ cur: Current, keepAlive: Bool) {
        if let t = pingTimer { loop.cancelTimer(t); pingTimer = nil }
        cur.context.finished(RequestOutcome(status: cur.status, completed: true, reason: nil, bytes: cur.bytesOut,
                                            durationNanos: Syscall.now() &- cur.start))
        current = nil
        flush()
        perform(machine.responseCompleted(keptAlive: keepAlive))
    }

    /// Answers a protocol error or timeout found by the state machine (no handler ran).
    private func writeServerError(status: Int, message: String) {
        let body = Array(environment.configuration.errorBody(status, message).utf8)
        var headers: HTTPHeaders = ["Content-Type": "application/json", "Content-Length": String(body.count),
                                    "Connection": "close"]
        headers.add(name: "Date", value: loop.httpDate())
        enqueue(HTTPResponse.encodeHead(status: status, headers: headers) + body)
        loop.logger.info("rejected request from \(remoteAddress): \(status) \(message)")
    }

    // MARK: Output

    func enqueue(_ bytes: [UInt8]) {
        output.append(OutChunk(bytes: bytes))
    }

    func flush() {
        while !closed && outputHead < output.count {
            let result = output[outputHead].bytes.withUnsafeBytes { p in
                transport.write(UnsafeRawBufferPointer(rebasing: p[output[outputHead].offset...]))
            }
            switch result {
            case .bytes(let n):
                lastWriteProgress = Syscall.now()
                output[outputHead].offset += n
                if output[outputHead].offset == output[outputHead].bytes.count {
                    let done = output[outputHead]
                    output[outputHead] = OutChunk(bytes: [])
                    outputHead += 1
                    if let ctx = done.context { ctx.subtractUnsent(done.payload) }
                }
            case .wouldBlock:
                updateInterest()
                armStallTimer()
                return
            case .eof, .failed:
                peerGone(hard: true)
                return
            }
        }
        if closed { return }
        output.removeAll(keepingCapacity: output.count < 64)
        outputHead = 0
        if let t = stallTimer { loop.cancelTimer(t); stallTimer = nil }
        updateInterest()
        if closeWhenFlushed && !lingering { beginLingeringClose() }
    }

    private func armStallTimer() {
        guard stallTimer == nil else { return }
        let limit = environment.configuration.writeTimeout.nanoseconds
        stallTimer = loop.scheduleTimer(afterNanos: limit) { [unowned self] in
            stallTimer = nil
            guard !closed, outputHead < output.count else { return }
            if Syscall.now() &- lastWriteProgress >= limit {
                loop.logger.warning("closing \(remoteAddress): no write progress for \(environment.configuration.writeTimeout)")
                closeReason = "write_timeout"
                close()
            } else {
                armStallTimer()
            }
        }
    }

    private func updateInterest() {
        var ev: UInt32 = inputEnded && !lingering ? 0 : EPOLLRDHUP.rawValue
        if (!readingPaused && !inputEnded) || lingering { ev |= EPOLLIN.rawValue }
        if outputHead < output.count || tlsReadWantsWrite { ev |= EPOLLOUT.rawValue }
        if ev != interest && !closed {
            interest = ev
            loop.modify(fd: fd, events: ev)
        }
    }

    // MARK: Closing

    /// Half-closes after the last response and reads until the client closes (or a
    /// short timeout), so unread request bytes do not turn our FIN into a RST that
    /// could destroy the response in flight (RFC 9112 §9.6).
    private func beginLingeringClose() {
        lingering = true
        if let t = machineTimer { loop.cancelTimer(t); machineTimer = nil }
        transport.shutdownOutput()
        updateInterest()
        lingerTimer = loop.scheduleTimer(afterNanos: 2_000_000_000) { [unowned self] in
            lingerTimer = nil
            close()
        }
    }

    /// Graceful shutdown request from the server.
    func drain() {
        guard !closed else { return }
        perform(machine.drain())
    }

    /// Closes now: cancels the running request, releases timers, fd and TLS session.
    func close() {
        guard !closed else { return }
        closed = true
        for t in [machineTimer, stallTimer, lingerTimer, pingTimer].compactMap({ $0 }) { loop.cancelTimer(t) }
        machineTimer = nil; stallTimer = nil; lingerTimer = nil; pingTimer = nil
        let cur = current
        current = nil
        output = []
        if let cur {
            // The request never completed: still exactly one outcome (and access-log line).
            let status = cur.status != 0 ? cur.status : 499
            cur.context.finished(RequestOutcome(status: status, completed: false, reason: closeReason, bytes: cur.bytesOut,
                                                durationNanos: Syscall.now() &- cur.start))
        }
        loop.deregister(fd: fd)
        transport.release()
        Syscall.close(fd)
        cur?.context.cancel()
        environment.closed()
    }
}

extension Duration {
    /// The duration in whole nanoseconds (negative clamps to zero).
    package var nanoseconds: UInt64 {
        let (s, a) = components
        return s < 0 ? 0 : UInt64(s) &* 1_000_000_000 &+ UInt64(a / 1_000_000_000)
    }
}
