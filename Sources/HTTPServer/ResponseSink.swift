import HTTP1

/// Where a request's response goes once a handler (or middleware) answers: the
/// connection, reached on its loop thread, or a recorder in tests. Every method may be
/// called from any thread; `serial` names the request on its connection.
package protocol ResponseSink: Sendable {
    /// A complete response, already decorated.
    func send(serial: Int, _ response: HTTPResponse)
    /// The head of a streamed response, already decorated.
    func startStream(serial: Int, status: Int, headers: HTTPHeaders, sse: Bool)
    /// Producer bytes of a streamed body.
    func streamWrite(serial: Int, _ bytes: [UInt8])
    /// The end of a streamed body.
    func streamFinish(serial: Int)
    /// The producer passed the hard buffer limit: disconnect the client.
    func abortSlowClient(serial: Int)
}

/// The sink of a ``Connection``: hops to its loop and finds it by fd and registration
/// generation, so a response for a connection that has since closed (and whose fd was
/// reused) is dropped.
struct ConnectionSink: ResponseSink {
    let loop: EventLoop
    let fd: Int32
    let generation: UInt32

    private func withConnection(_ task: @escaping @Sendable (Connection) -> Void) {
        let (loop, fd, generation) = (loop, fd, generation)
        loop.execute {
            if let c = loop.handler(fd: fd, generation: generation) as? Connection { task(c) }
        }
    }

    func send(serial: Int, _ response: HTTPResponse) { withConnection { $0.sendResponse(serial: serial, response) } }

    func startStream(serial: Int, status: Int, headers: HTTPHeaders, sse: Bool) {
        withConnection { $0.startStream(serial: serial, status: status, headers: headers, sse: sse) }
    }

    func streamWrite(serial: Int, _ bytes: [UInt8]) { withConnection { $0.streamWrite(serial: serial, bytes) } }

    func streamFinish(serial: Int) { withConnection { $0.streamFinish(serial: serial) } }

    func abortSlowClient(serial: Int) { withConnection { $0.abortSlowClient(serial: serial) } }
}
