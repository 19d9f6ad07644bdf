import HTTP1
#if canImport(Glibc)
import Glibc
#endif
import CEpoll
import Logging
import SocketIO
import Synchronization
import Locking

/// An HTTP/1.1 server on epoll event loops (no SwiftNIO). Knows nothing of LLMs: it
/// parses requests, passes them through its middleware (``HTTPMiddleware``) to ``Router``
/// handlers and writes their responses, complete or streamed, enforcing limits and timeouts.
///
/// ```swift
/// var router = Router()
/// router.get("/health") { _, r in r.respond(.json(#"{"status":"ok"}"#)) }
/// let server = HTTPServer(configuration: config, router: router, logger: logger)
/// let port = try server.start()
/// // ... on SIGTERM:
/// server.shutdown(gracePeriod: .seconds(30))
/// await server.waitUntilDrained()
/// ```
public final class HTTPServer: Sendable {
    private struct State {
        var loops: [EventLoop] = []
        var listenerFD: Int32 = -1
        var port = 0
        var started = false
        var draining = false
        var drained = false
        var drainCallbacks: [@Sendable () -> Void] = []
        var loopsDetached = 0
    }

    /// The configuration the server was created with.
    public let configuration: Configuration
    package let logger: Logger
    /// Middleware, then routes: what every complete request goes through.
    package let pipeline: RequestPipeline
    private let state = Locked(State())
    private let openConnections = Atomic<Int>(0)

    /// A server that will serve `router` with `configuration`, logging to `logger`.
    public init(configuration: Configuration = .init(), router: Router, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        pipeline = RequestPipeline(router: router,
                                   middleware: configuration.middleware ?? Self.standardMiddleware(configuration, logger: logger))
    }

    /// The bound port (useful with port 0), or 0 before ``start()``.
    public var port: Int { state.withLock { $0.port } }

    /// True once ``shutdown(gracePeriod:)`` was called.
    public var isDraining: Bool { state.withLock { $0.draining } }

    /// Connections currently open.
    public var connectionCount: Int { openConnections.load(ordering: .relaxed) }

    /// Binds, loads TLS material if configured, and starts the loop threads. Returns the
    /// bound port. Throws ``TLSError`` for a bad certificate or key, ``SyscallError``
    /// if the address cannot be bound.
    @discardableResult
    public func start() throws -> Int {
        // Writes to a closed socket must fail with EPIPE, not kill the process; OpenSSL
        // writes with write(2), where MSG_NOSIGNAL cannot be passed.
        signal(SIGPIPE, SIG_IGN)
        var tls: TLSContext?
        if configuration.tlsCertificatePath != nil || configuration.tlsKeyPath != nil {
            guard let cert = configuration.tlsCertificatePath, let key = configuration.tlsKeyPath else {
                throw TLSError(description: "TLS needs both a certificate path and a key path")
            }
            tls = try TLSContext(certificatePath: cert, keyPath: key)
        }
        let (fd, port) = try Syscall.makeListener(host: configuration.host, port: configuration.port,
                                                   backlog: configuration.backlog)
        var loops: [EventLoop] = []
        do {
            for i in 0..<max(1, configuration.loopThreads) {
                let loop = try EventLoop(index: i, logger: logger)
                let acceptor = Acceptor(listenerFD: fd, loop: loop, server: self, tls: tls)
                // EPOLLEXCLUSIVE: one loop is woken per incoming connection.
                try loop.register(fd: fd, events: EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue, handler: acceptor)
                loops.append(loop)
            }
        } catch {
            Syscall.close(fd)
            throw error
        }
        state.withLock {
            $0.loops = loops
            $0.listenerFD = fd
            $0.port = port
            $0.started = true
        }
        for loop in loops { loop.start(joinable: false) }  // never joined: they end after the drain
        logger.info("HTTP server listening on \(configuration.host):\(port)\(tls != nil ? " (TLS)" : "")",
                    metadata: ["loops": "\(loops.count)"])
        return port
    }

    /// Graceful shutdown: stops accepting, closes idle connections, lets running
    /// responses finish (with `Connection: close`) for up to `gracePeriod`, then closes
    /// the rest (their handlers see a cancellation). Returns at once; use
    /// ``waitUntilDrained()`` to wait.
    public func shutdown(gracePeriod: Duration = .seconds(30)) {
        let loops = state.withLock { s -> [EventLoop] in
            if s.draining || !s.started { return [] }
            s.draining = true
            return s.loops
        }
        if loops.isEmpty {
            if !state.withLock({ $0.started }) { finishDrain() }
            return
        }
        let listener = state.withLock { $0.listenerFD }
        for loop in loops {
            loop.execute { [self] in
                loop.deregister(fd: listener)
                let detached = state.withLock { s -> Int in
                    s.loopsDetached += 1
                    return s.loopsDetached
                }
                if detached == loops.count { Syscall.close(listener) }
                for case let c as Connection in loop.handlers { c.drain() }
                _ = loop.scheduleTimer(afterNanos: gracePeriod.nanoseconds) {
                    for case let c as Connection in loop.handlers { c.close() }
                }
                checkDrained()
            }
        }
    }

    /// Suspends until shutdown has completed and every connection is closed.
    public func waitUntilDrained() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            onDrained { c.resume() }
        }
    }

    /// Runs `callback` (on an arbitrary thread) once drained; at once if already drained.
    public func onDrained(_ callback: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            if s.drained { return true }
            s.drainCallbacks.append(callback)
            return false
        }
        if now { callback() }
    }

    package func connectionOpened() {
        openConnections.add(1, ordering: .relaxed)
    }

    package func connectionClosed() {
        openConnections.subtract(1, ordering: .relaxed)
        checkDrained()
    }

    private func checkDrained() {
        let draining = state.withLock { $0.draining && !$0.drained }
        if draining && openConnections.load(ordering: .relaxed) == 0 && state.withLock({ $0.loopsDetached == $0.loops.count }) {
            finishDrain()
        }
    }

    private func finishDrain() {
        let (callbacks, loops) = state.withLock { s -> ([@Sendable () -> Void], [EventLoop]) in
            if s.drained { return ([], []) }
            s.drained = true
            defer { s.drainCallbacks = [] }
            return (s.drainCallbacks, s.loops)
        }
        for loop in loops { loop.stop() }
        logger.info("HTTP server drained")
        for cb in callbacks { cb() }
    }
}

/// Accepts connections on the shared listening socket for one loop.
private final class Acceptor: EventLoopHandler {
    let listenerFD: Int32
    unowned let loop: EventLoop
    unowned let server: HTTPServer
    let tls: TLSContext?
    let environment: Connection.Environment

    init(listenerFD: Int32, loop: EventLoop, server: HTTPServer, tls: TLSContext?) {
        self.listenerFD = listenerFD
        self.loop = loop
        self.server = server
        self.tls = tls
        environment = Connection.Environment(configuration: server.configuration, pipeline: server.pipeline,
                                             closed: { [unowned server] in server.connectionClosed() })
    }

    func handle(events: UInt32) {
        for _ in 0..<64 {
            let result: IOResult<(Int32, String)>
            do {
                result = try Syscall.accept(listenerFD)
            } catch {
                loop.logger.warning("accept: \(error)")
                if error.errno == EMFILE || error.errno == ENFILE || error.errno == ENOBUFS || error.errno == ENOMEM {
                    // Out of descriptors: level-triggered readiness would spin, so stop
                    // listening on this loop for 100 ms, then try again.
                    loop.deregister(fd: listenerFD)
                    _ = loop.scheduleTimer(afterNanos: 100_000_000) { [self] in
                        guard !server.isDraining else { return }
                        _ = try? loop.register(fd: listenerFD, events: EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue, handler: self)
                    }
                }
                return
            }
            guard case .processed(let (fd, address)) = result else { return }
            Syscall.setNoDelay(fd)
            let transport: any Transport
            if let tls {
                guard let t = TLSTransport(fd: fd, context: tls) else { Syscall.close(fd); continue }
                transport = t
            } else {
                transport = PlainTransport(fd: fd)
            }
            let c = Connection(fd: fd, remoteAddress: address, loop: loop, environment: environment, transport: transport)
            server.connectionOpened()
            do {
                try c.start()
            } catch {
                loop.logger.warning("register connection: \(error)")
                c.close()
            }
        }
    }
}
