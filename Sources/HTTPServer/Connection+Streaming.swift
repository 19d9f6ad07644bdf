import HTTP1
/// Streamed responses (chunked bodies and Server-Sent Events) of a ``Connection``:
/// the head, producer chunks with backpressure accounting, SSE pings, the last chunk.
extension Connection {
    /// Writes the head of a streamed response for request `serial` (headers already
    /// decorated, SSE ones set by the responder).
    func startStream(serial: Int, status: Int, headers: HTTPHeaders, sse: Bool) {
        guard !closed, var cur = current, cur.context.serial == serial, cur.stream == nil else { return }
        var headers = headers
        headers.remove(name: "Content-Length")
        let http10 = cur.head.version == .http1_0
        var keepAlive = finishHeaders(&headers, head: cur.head)
        if http10 && keepAlive {
            // No chunked coding in HTTP/1.0: the body ends when the connection closes.
            keepAlive = false
            headers.replaceOrAdd(name: "Connection", value: "close")
        }
        if !http10 { headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked") }
        let headOnly = HTTPResponse.bodyless(status: status, method: cur.head.method)
        let bytes = HTTPResponse.encodeHead(status: status, headers: headers)
        cur.status = status
        cur.bytesOut = bytes.count
        cur.stream = Stream(chunked: !http10, keepAlive: keepAlive, headOnly: headOnly)
        current = cur
        enqueue(bytes)
        flush()
        if sse && !headOnly, let interval = environment.configuration.ssePingInterval {
            schedulePing(serial: serial, every: interval.nanoseconds)
        }
    }

    func schedulePing(serial: Int, every nanos: UInt64) {
        pingTimer = loop.scheduleTimer(afterNanos: nanos) { [unowned self] in
            pingTimer = nil
            guard !closed, let cur = current, cur.context.serial == serial, cur.stream != nil else { return }
            // Only ping an idle stream: events flowing already keep proxies awake.
            if outputHead == output.count {
                appendStreamBytes(SSEEvent.comment(environment.configuration.ssePingText), context: nil)
                flush()
            }
            schedulePing(serial: serial, every: nanos)
        }
    }

    /// Queues producer bytes of request `serial`.
    func streamWrite(serial: Int, _ bytes: [UInt8]) {
        guard !closed, let cur = current, cur.context.serial == serial, let s = cur.stream else { return }
        if s.headOnly {
            cur.context.subtractUnsent(bytes.count)
            return
        }
        appendStreamBytes(bytes, context: cur.context)
        flush()
    }

    func appendStreamBytes(_ bytes: [UInt8], context: RequestContext?) {
        guard var cur = current, let s = cur.stream else { return }
        var framed: [UInt8]
        if s.chunked {
            framed = Array((String(bytes.count, radix: 16) + "\r\n").utf8)
            framed.reserveCapacity(framed.count + bytes.count + 2)
            framed += bytes
            framed += [13, 10]
        } else {
            framed = bytes
        }
        cur.bytesOut += framed.count
        current = cur
        output.append(OutChunk(bytes: framed, context: context, payload: context == nil ? 0 : bytes.count))
    }

    /// Ends the streamed body of request `serial`.
    func streamFinish(serial: Int) {
        guard !closed, var cur = current, cur.context.serial == serial, let s = cur.stream else { return }
        if s.chunked && !s.headOnly {
            enqueue(Array("0\r\n\r\n".utf8))
            cur.bytesOut += 5
        }
        complete(cur, keepAlive: s.keepAlive && !cur.context.isCancelled)
    }

    /// The producer overran the hard buffer limit: the client is not reading.
    func abortSlowClient(serial: Int) {
        guard !closed, let cur = current, cur.context.serial == serial else { return }
        loop.logger.warning("closing slow client \(remoteAddress): stream backlog over limit",
                            metadata: ["request_id": "\(cur.context.requestID)"])
        close()
    }
}
