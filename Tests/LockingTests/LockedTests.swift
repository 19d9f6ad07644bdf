import Foundation
import Locking
import Testing

@Suite struct LockedTests {
    /// Two threads incrementing through the lock lose no update; errors thrown inside pass through.
    @Test func incrementsFromTwoThreadsAreAllKept() throws {
        let counter = Locked(0)
        let done = DispatchSemaphore(value: 0)
        Thread { for _ in 0..<50_000 { counter.withLock { $0 += 1 } }; done.signal() }.start()
        for _ in 0..<50_000 { counter.withLock { $0 += 1 } }
        done.wait()
        #expect(counter.withLock { $0 } == 100_000)
        struct Boom: Error {}
        #expect(throws: Boom.self) { try counter.withLock { (_: inout Int) throws(Boom) in throw Boom() } }
    }
}
