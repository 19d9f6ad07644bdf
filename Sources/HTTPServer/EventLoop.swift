#if canImport(Glibc)
import Glibc
#endif
import CEpoll
import Logging
import Synchronization
import Locking

/// Something registered with an ``EventLoop`` that reacts to epoll readiness.
package protocol EventLoopHandler: AnyObject {
    /// Called on the loop thread with the `EPOLL*` bits that fired.
    func handle(events: UInt32)
}

/// One I/O thread: an epoll instance (level-triggered), an eventfd for wake-ups from other
/// threads, a task queue, and a ``TimerWheel``.
///
/// Level-triggered epoll is used because a connection may stop reading on purpose
/// (backpressure, pipelining) and must be told again later without a read having to
/// drain the socket first. Every registration carries a generation number in the upper
/// 32 bits of `epoll_data.u64`, next to the fd, so an event queued for a closed fd never
/// reaches a new connection that reused the number (swift-nio's `SelectorEpoll`).
package final class EventLoop: @unchecked Sendable {
    // @unchecked Sendable: `pending`, `wakeArmed` and `threadID` are synchronised
    // (Locked/Atomic, written once before the thread starts); every other stored property
    // is only touched on the loop thread (or before it starts): other threads reach the
    // loop through `execute`. Nothing checks this at run time; `inLoop` tells the caller.

    private struct Registration {
        var generation: UInt32
        var handler: any EventLoopHandler
    }

    /// The loop's index, for logs.
    package let index: Int
    package let logger: Logger
    private let epfd: Int32
    private let wakeFD: Int32
    private let pending = Locked<[@Sendable () -> Void]>([])
    private let wakeArmed = Atomic<Bool>(false)
    private let threadID = Atomic<UInt>(0)
    private var registrations: [Int32: Registration] = [:]
    private var nextGeneration: UInt32 = 1
    private var wheel: TimerWheel
    private var timerCallbacks: [UInt64: () -> Void] = [:]
    private var running = true
    private var spinAgain = false
    /// Scratch read buffer shared by all connections of this loop (64 KiB).
    package let readBuffer: UnsafeMutableRawBufferPointer
    private var thread: pthread_t?
    private var dateSecond = -1
    private var dateText = ""

    /// Creates the epoll instance and eventfd; the thread starts with ``start()``.
    package init(index: Int, logger: Logger) throws(SyscallError) {
        self.index = index
        self.logger = logger
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        if epfd < 0 { throw SyscallError(function: "epoll_create1", errno: errno) }
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        if wakeFD < 0 { throw SyscallError(function: "eventfd", errno: errno) }
        wheel = TimerWheel(now: Syscall.now())
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        try Syscall.epollCtl(epfd, EPOLL_CTL_ADD, wakeFD, events: EPOLLIN.rawValue, data: UInt64(UInt32(bitPattern: wakeFD)))
    }

    deinit {
        Syscall.close(epfd)
        Syscall.close(wakeFD)
        readBuffer.deallocate()
    }

    /// True when called on this loop's thread.
    package var inLoop: Bool { threadID.load(ordering: .relaxed) == UInt(pthread_self()) }

    /// Runs `task` on the loop thread soon. Safe from any thread; wakes the loop through
    /// the eventfd at most once per batch.
    package func execute(_ task: @escaping @Sendable () -> Void) {
        pending.withLock { $0.append(task) }
        if !wakeArmed.exchange(true, ordering: .acquiringAndReleasing) && !inLoop {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    /// Registers `fd` for `events`; returns the generation stored next to it.
    @discardableResult
    package func register(fd: Int32, events: UInt32, handler: any EventLoopHandler) throws(SyscallError) -> UInt32 {
        let gen = nextGeneration
        nextGeneration = nextGeneration == .max ? 1 : nextGeneration + 1
        try Syscall.epollCtl(epfd, EPOLL_CTL_ADD, fd, events: events, data: UInt64(gen) << 32 | UInt64(UInt32(bitPattern: fd)))
        registrations[fd] = Registration(generation: gen, handler: handler)
        return gen
    }

    /// Changes the event mask of a registered fd.
    package func modify(fd: Int32, events: UInt32) {
        guard let r = registrations[fd] else { return }
        try? Syscall.epollCtl(epfd, EPOLL_CTL_MOD, fd, events: events, data: UInt64(r.generation) << 32 | UInt64(UInt32(bitPattern: fd)))
    }

    /// Removes `fd` from epoll (the caller closes it).
    package func deregister(fd: Int32) {
        guard registrations.removeValue(forKey: fd) != nil else { return }
        try? Syscall.epollCtl(epfd, EPOLL_CTL_DEL, fd, events: 0, data: 0)
    }

    /// The handler registered for `fd` if its generation is still `generation`.
    package func handler(fd: Int32, generation: UInt32) -> (any EventLoopHandler)? {
        guard let r = registrations[fd], r.generation == generation else { return nil }
        return r.handler
    }

    /// Every registered handler (used to drain connections at shutdown).
    package var handlers: [any EventLoopHandler] { registrations.values.map(\.handler) }

    /// Runs `callback` on the loop after `nanos`; returns an id for ``cancelTimer(_:)``.
    package func scheduleTimer(afterNanos nanos: UInt64, _ callback: @escaping () -> Void) -> UInt64 {
        let id = wheel.schedule(at: Syscall.now() &+ nanos)
        timerCallbacks[id] = callback
        return id
    }

    /// Cancels a timer; a no-op if it already fired.
    package func cancelTimer(_ id: UInt64) {
        wheel.cancel(id)
        timerCallbacks[id] = nil
    }

    /// The current time as an IMF-fixdate for the `Date` header (RFC 9110 §5.6.7),
    /// formatted at most once per second.
    package func httpDate() -> String {
        var t = time(nil)
        if t != dateSecond {
            dateSecond = t
            var tmv = tm()
            gmtime_r(&t, &tmv)
            var buf = [CChar](repeating: 0, count: 64)
            let n = strftime(&buf, buf.count, "%a, %d %b %Y %H:%M:%S GMT", &tmv)
            dateText = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return dateText
    }

    /// Starts the loop thread. A `joinable` thread must be waited for with ``join()``; the
    /// server's loops are not (they end after the drain, on their own thread), so they are
    /// detached and release their resources when they exit.
    package func start(joinable: Bool = true) {
        let box = Unmanaged.passRetained(self)
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { arg in
            let loop = Unmanaged<EventLoop>.fromOpaque(arg!).takeRetainedValue()
            loop.run()
            return nil
        }, box.toOpaque())
        precondition(rc == 0, "pthread_create failed: \(rc)")
        if joinable { thread = t } else { pthread_detach(t) }
    }

    /// Asks the loop to exit after the current iteration.
    package func stop() {
        execute { [self] in running = false }
    }

    /// Waits for the loop thread to exit (call from another thread after ``stop()``); a
    /// detached loop returns at once.
    package func join() {
        if let t = thread { pthread_join(t, nil) }
    }

    private func run() {
        threadID.store(UInt(pthread_self()), ordering: .relaxed)
        let maxEvents: Int32 = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(maxEvents))
        defer { events.deallocate() }
        while running {
            runPendingTasks()
            if !running { break }
            let now = Syscall.now()
            var timeout: Int32 = -1
            if let ns = wheel.nanosUntilNextTick(now: now) {
                timeout = Int32(min((ns + 999_999) / 1_000_000, 60_000))
            }
            if spinAgain {
                spinAgain = false
                timeout = 0
            }
            let n: Int
            do {
                n = try Syscall.epollWait(epfd, events, maxEvents, timeout)
            } catch {
                logger.critical("event loop \(index): \(error)")
                return
            }
            for i in 0..<n {
                let ev = events[i]
                let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: ev.data.u64))
                let gen = UInt32(truncatingIfNeeded: ev.data.u64 >> 32)
                if fd == wakeFD && gen == 0 {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, 8)
                    continue
                }
                // Stale-event guard: the fd may have been closed and reused in this batch.
                guard let r = registrations[fd], r.generation == gen else { continue }
                r.handler.handle(events: ev.events)
            }
            runTimers()
        }
        runPendingTasks()
    }

    private func runPendingTasks() {
        // Loop until empty: tasks may enqueue more tasks.
        for _ in 0..<64 {
            wakeArmed.store(false, ordering: .releasing)
            let tasks = pending.withLock { q -> [@Sendable () -> Void] in
                let t = q
                q.removeAll(keepingCapacity: true)
                return t
            }
            if tasks.isEmpty { return }
            for task in tasks { task() }
        }
        // Still busy: make sure the next epoll_wait returns at once.
        spinAgain = true
    }

    private func runTimers() {
        for id in wheel.advance(to: Syscall.now()) {
            if let cb = timerCallbacks.removeValue(forKey: id) { cb() }
        }
    }
}
