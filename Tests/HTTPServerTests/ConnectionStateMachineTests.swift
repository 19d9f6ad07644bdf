import HTTP1
import Testing
@testable import HTTPServer

private typealias Action = ConnectionStateMachine.Action

private func dispatchedTargets(_ actions: [Action]) -> [String] {
    actions.compactMap { if case .dispatch(let h, _, _) = $0 { return h.target } else { return nil } }
}

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite struct ConnectionStateMachineTests {
    @Test func firstRequestIsDispatchedAndTimersFollowTheLifecycle() {
        var m = ConnectionStateMachine()
        #expect(m.start() == [.setTimer(.header)])
        // A partial head keeps the (absolute) header timer: no re-arm.
        #expect(m.received(bytes("GET / HTTP/1.1\r\n")) == [])
        let a = m.received(bytes("Host: a\r\n\r\n"))
        #expect(a.first == .setTimer(nil))
        #expect(dispatchedTargets(a) == ["/"])
        #expect(m.isHandling)
        #expect(m.responseKeepsAlive(responseSaysClose: false))
        // After the response: idle keep-alive timer.
        #expect(m.responseCompleted(keptAlive: true) == [.setTimer(.idle)])
        #expect(m.isIdle)
        // New bytes switch to the header timer, then the body timer.
        #expect(m.received(bytes("POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n")) == [.setTimer(.header)])
        #expect(m.received(bytes("\r\nab")) == [.setTimer(.body)])
        let b = m.received(bytes("cd"))
        #expect(b.contains(.dispatch(HTTPRequestHead(method: "POST", target: "/b", headers: ["Host": "a", "Content-Length": "4"]),
                                     body: bytes("abcd"), trailers: [:])))
    }

    @Test func pipelinedRequestsWaitForThePreviousResponse() {
        var m = ConnectionStateMachine()
        _ = m.start()
        let a = m.received(bytes("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(dispatchedTargets(a) == ["/1"])
        #expect(dispatchedTargets(m.responseCompleted(keptAlive: true)) == ["/2"])
        #expect(dispatchedTargets(m.received(bytes("GET /4 HTTP/1.1\r\nHost: a\r\n\r\n"))) == [])
        #expect(dispatchedTargets(m.responseCompleted(keptAlive: true)) == ["/3"])
        #expect(dispatchedTargets(m.responseCompleted(keptAlive: true)) == ["/4"])
        #expect(m.responseCompleted(keptAlive: true) == [.setTimer(.idle)])
        #expect(m.requestCount == 4)
    }

    @Test func tooMuchPipelinedInputPausesReading() {
        var limits = HTTPParser.Limits()
        limits.maxHeaderBytes = 64
        var m = ConnectionStateMachine(limits: limits)
        _ = m.start()
        _ = m.received(bytes("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(m.received(bytes(String(repeating: "GET /x HTTP/1.1\r\nHost: a\r\n\r\n", count: 4))) == [.pauseReading])
        let after = m.responseCompleted(keptAlive: true)
        #expect(after.first == .resumeReading)
        #expect(dispatchedTargets(after) == ["/x"])
    }

    @Test func connectionCloseAndHTTP10EndTheConnection() {
        var m = ConnectionStateMachine()
        _ = m.start()
        _ = m.received(bytes("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
        #expect(!m.responseKeepsAlive(responseSaysClose: false))
        #expect(m.responseCompleted(keptAlive: false) == [.setTimer(nil), .closeAfterFlush])
        #expect(m.isClosed)

        var m10 = ConnectionStateMachine()
        _ = m10.start()
        _ = m10.received(bytes("GET / HTTP/1.0\r\n\r\n"))
        #expect(!m10.responseKeepsAlive(responseSaysClose: false))

        var m10ka = ConnectionStateMachine()
        _ = m10ka.start()
        _ = m10ka.received(bytes("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
        #expect(m10ka.responseKeepsAlive(responseSaysClose: false))
        #expect(!m10ka.responseKeepsAlive(responseSaysClose: true))
    }

    @Test func parseErrorSendsErrorAndCloses() {
        var m = ConnectionStateMachine()
        _ = m.start()
        let a = m.received(bytes("GET / HTTP/1.1\r\nHost : a\r\n\r\n"))
        #expect(a.contains(.closeAfterFlush))
        #expect(a.contains { if case .sendError(400, _) = $0 { return true } else { return false } })
        #expect(m.received(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n")) == [])
    }

    @Test func expectContinueIsAnsweredOnlyWhileTheBodyIsMissing() {
        var m = ConnectionStateMachine()
        _ = m.start()
        let a = m.received(bytes("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"))
        #expect(a == [.sendContinue, .setTimer(.body)])
        var m2 = ConnectionStateMachine()
        _ = m2.start()
        let b = m2.received(bytes("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab"))
        #expect(!b.contains(.sendContinue))
        // A too-large body is refused without 100 Continue.
        var limits = HTTPParser.Limits()
        limits.maxBodyBytes = 1
        var m3 = ConnectionStateMachine(limits: limits)
        _ = m3.start()
        let c = m3.received(bytes("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"))
        #expect(!c.contains(.sendContinue))
        #expect(c.contains { if case .sendError(413, _) = $0 { return true } else { return false } })
    }

    @Test func timeouts() {
        var m = ConnectionStateMachine()
        _ = m.start()
        let t = m.timerFired(.header)
        #expect(t.contains { if case .sendError(408, _) = $0 { return true } else { return false } })
        #expect(t.last == .closeAfterFlush)

        var idle = ConnectionStateMachine()
        _ = idle.start()
        _ = idle.received(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        _ = idle.responseCompleted(keptAlive: true)
        #expect(idle.timerFired(.header) == [])        // stale: not the armed timer
        #expect(idle.timerFired(.idle) == [.closeNow])

        var handling = ConnectionStateMachine()
        _ = handling.start()
        _ = handling.received(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(handling.timerFired(.header) == [])    // no read timeout while handling
    }

    /// The first end of input while handling is a half-close (RFC 9112 §9.6): the request
    /// is still answered; a second report (the socket failed) cancels it.
    @Test func peerCloseWhileHandlingCancels() {
        var m = ConnectionStateMachine()
        _ = m.start()
        _ = m.received(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(m.peerClosed() == [.inputEnded])
        #expect(m.peerClosed() == [.setTimer(nil), .cancelRequest, .closeNow])
        #expect(m.peerClosed() == [])
        var idle = ConnectionStateMachine()
        _ = idle.start()
        #expect(idle.peerClosed() == [.setTimer(nil), .closeNow])
    }

    /// A client that sends a request and half-closes gets its answer, then the connection
    /// closes; a pipelined request sent before the half-close is answered too.
    @Test func halfClosedClientIsAnsweredThenClosed() {
        var m = ConnectionStateMachine()
        _ = m.start()
        let first = m.received(bytes("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(first.contains { if case .dispatch(let h, _, _) = $0 { return h.rawPath == "/a" } else { return false } })
        #expect(m.peerClosed() == [.inputEnded])
        #expect(m.responseKeepsAlive(responseSaysClose: false))
        let second = m.responseCompleted(keptAlive: true)
        #expect(second.contains { if case .dispatch(let h, _, _) = $0 { return h.rawPath == "/b" } else { return false } })
        #expect(m.responseCompleted(keptAlive: true) == [.setTimer(nil), .closeAfterFlush])
        #expect(m.isClosed)
    }

    @Test func drainClosesIdleAndFinishesRunningWithClose() {
        var idle = ConnectionStateMachine()
        _ = idle.start()
        #expect(idle.drain() == [.setTimer(nil), .closeNow])
        var busy = ConnectionStateMachine()
        _ = busy.start()
        _ = busy.received(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(busy.drain() == [])
        #expect(!busy.responseKeepsAlive(responseSaysClose: false))
        #expect(busy.responseCompleted(keptAlive: false) == [.setTimer(nil), .closeAfterFlush])
    }
}
