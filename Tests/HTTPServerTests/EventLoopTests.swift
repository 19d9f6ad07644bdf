import Foundation
import Synchronization
import Testing
import CEpoll
@testable import HTTPServer

/// Records readiness events delivered by the loop.
private final class RecordingHandler: EventLoopHandler, @unchecked Sendable {
    // @unchecked Sendable: `count` is atomic; the handler is otherwise immutable.
    let count = Atomic<Int>(0)
    let fd: Int32
    init(fd: Int32) { self.fd = fd }
    func handle(events: UInt32) {
        var buf = [UInt8](repeating: 0, count: 64)
        _ = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        count.add(1, ordering: .relaxed)
    }
}

@Suite struct EventLoopTests {
    private func socketPair() -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        _ = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue), 0, &fds)
        return (fds[0], fds[1])
    }

    @Test func deliversEventsTasksAndTimersOnTheLoopThread() throws {
        let loop = try EventLoop(index: 0, logger: makeTestLogger())
        loop.start()
        let (a, b) = socketPair()
        let handler = RecordingHandler(fd: a)
        let registered = Atomic<UInt32>(0)
        loop.execute {
            registered.store((try? loop.register(fd: a, events: EPOLLIN.rawValue, handler: handler)) ?? 0, ordering: .relaxed)
        }
        #expect(eventually { registered.load(ordering: .relaxed) != 0 })
        _ = write(b, "x", 1)
        #expect(eventually { handler.count.load(ordering: .relaxed) == 1 })
        let inLoop = Atomic<Bool>(false)
        let timerFired = Atomic<Bool>(false)
        loop.execute {
            inLoop.store(loop.inLoop, ordering: .relaxed)
            _ = loop.scheduleTimer(afterNanos: 20_000_000) { timerFired.store(true, ordering: .relaxed) }
        }
        #expect(eventually { timerFired.load(ordering: .relaxed) })
        let ranInLoop = inLoop.load(ordering: .relaxed)
        #expect(ranInLoop)
        #expect(!loop.inLoop)
        loop.stop()
        loop.join()
        close(a); close(b)
    }

    @Test func aReusedFDGetsANewGeneration() throws {
        let loop = try EventLoop(index: 0, logger: makeTestLogger())
        let (a, b) = socketPair()
        let h = RecordingHandler(fd: a)
        // Not started: the test thread plays the loop thread.
        let g1 = try loop.register(fd: a, events: EPOLLIN.rawValue, handler: h)
        loop.deregister(fd: a)
        close(a)
        let (c, d) = socketPair()            // likely reuses a's number
        let g2 = try loop.register(fd: c, events: EPOLLIN.rawValue, handler: h)
        #expect(g1 != g2)
        if c == a { #expect(loop.handler(fd: c, generation: g1) == nil) }
        #expect(loop.handler(fd: c, generation: g2) != nil)
        loop.deregister(fd: c)
        close(b); close(c); close(d)
    }
}
