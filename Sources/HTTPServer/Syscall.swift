#if canImport(Glibc)
import Glibc
#endif
import CEpoll

/// The outcome of a non-blocking syscall: either it did its work, or the kernel said
/// "try again later" (`EAGAIN`/`EWOULDBLOCK`). Would-block is a value, not an error,
/// because on a non-blocking socket it is the normal case (swift-nio's `IOResult`).
package enum IOResult<T: Sendable>: Sendable {
    case processed(T)
    case wouldBlock
}

/// A failed syscall, carrying the function name and `errno`.
public struct SyscallError: Error, CustomStringConvertible, Sendable {
    /// The failing function, e.g. `"bind"`.
    public let function: String
    /// The `errno` value at the time of failure.
    public let errno: Int32

    /// A human-readable description including `strerror`.
    public var description: String {
        "\(function) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// Thin wrappers over the syscalls the server uses. Each one retries on `EINTR`, returns
/// `.wouldBlock` for `EAGAIN`/`EWOULDBLOCK`, and throws ``SyscallError`` otherwise.
package enum Syscall {
    @inline(__always)
    private static func retrying<T: FixedWidthInteger>(
        _ name: String, blockingOK: Bool, _ body: () -> T
    ) throws(SyscallError) -> IOResult<T> {
        while true {
            let r = body()
            if r >= 0 { return .processed(r) }
            let e = Glibc.errno
            if e == EINTR { continue }
            if blockingOK && (e == EAGAIN || e == EWOULDBLOCK) { return .wouldBlock }
            throw SyscallError(function: name, errno: e)
        }
    }

    /// `read(2)`; `.processed(0)` means end of file (peer closed its write side).
    package static func read(_ fd: Int32, _ buf: UnsafeMutableRawBufferPointer) throws(SyscallError) -> IOResult<Int> {
        try retrying("read", blockingOK: true) { Glibc.read(fd, buf.baseAddress, buf.count) }
    }

    /// `send(2)` with `MSG_NOSIGNAL`, so a closed peer is an `EPIPE` error, not a signal.
    package static func write(_ fd: Int32, _ buf: UnsafeRawBufferPointer) throws(SyscallError) -> IOResult<Int> {
        try retrying("send", blockingOK: true) { Glibc.send(fd, buf.baseAddress, buf.count, Int32(MSG_NOSIGNAL)) }
    }

    /// `accept4(2)` returning a non-blocking, close-on-exec socket and the peer address text.
    package static func accept(_ fd: Int32) throws(SyscallError) -> IOResult<(Int32, String)> {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let r = try withUnsafeMutablePointer(to: &storage) { p throws(SyscallError) in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sp throws(SyscallError) in
                try retrying("accept4", blockingOK: true) {
                    CEpoll.accept4(fd, sp, &len, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
                }
            }
        }
        switch r {
        case .wouldBlock: return .wouldBlock
        case .processed(let cfd): return .processed((cfd, Self.addressString(&storage)))
        }
    }

    /// Formats an IPv4/IPv6 socket address as `host:port`.
    package static func addressString(_ storage: inout sockaddr_storage) -> String {
        var host = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { p in
                p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var a = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &a, &host, socklen_t(host.count))
                    return "\(cString(host)):\(UInt16(bigEndian: sin.pointee.sin_port))"
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { p in
                p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                    var a = sin.pointee.sin6_addr
                    inet_ntop(AF_INET6, &a, &host, socklen_t(host.count))
                    return "[\(cString(host))]:\(UInt16(bigEndian: sin.pointee.sin6_port))"
                }
            }
        default:
            return "unknown"
        }
    }

    /// Decodes a NUL-terminated C string held in an array.
    package static func cString(_ chars: [CChar]) -> String {
        let bytes = chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `close(2)`. `EINTR` is not retried: on Linux the descriptor is released anyway.
    package static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// `epoll_wait(2)`; an interrupted wait returns zero events.
    package static func epollWait(_ epfd: Int32, _ events: UnsafeMutablePointer<epoll_event>, _ max: Int32, _ timeoutMS: Int32) throws(SyscallError) -> Int {
        let r = epoll_wait(epfd, events, max, timeoutMS)
        if r >= 0 { return Int(r) }
        if Glibc.errno == EINTR { return 0 }
        throw SyscallError(function: "epoll_wait", errno: Glibc.errno)
    }

    /// `epoll_ctl(2)` with the event mask and 64-bit user data.
    package static func epollCtl(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32, data: UInt64) throws(SyscallError) {
        var ev = epoll_event()
        ev.events = events
        ev.data.u64 = data
        if epoll_ctl(epfd, op, fd, &ev) != 0 {
            throw SyscallError(function: "epoll_ctl", errno: Glibc.errno)
        }
    }

    /// Creates a listening TCP socket bound to `host:port` (IPv4 or IPv6 literal, or
    /// `localhost`), non-blocking, with `SO_REUSEADDR`. Returns the fd and the bound port.
    package static func makeListener(host: String, port: Int, backlog: Int32) throws(SyscallError) -> (Int32, Int) {
        let isV6 = host.contains(":")
        let family = isV6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SyscallError(function: "socket", errno: Glibc.errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var rc: Int32
        if isV6 {
            var sin = sockaddr_in6()
            sin.sin6_family = sa_family_t(AF_INET6)
            sin.sin6_port = in_port_t(UInt16(port).bigEndian)
            _ = inet_pton(AF_INET6, host, &sin.sin6_addr)
            rc = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = in_port_t(UInt16(port).bigEndian)
            let h = host == "localhost" ? "127.0.0.1" : host
            if inet_pton(AF_INET, h, &sin.sin_addr) != 1 {
                Glibc.close(fd)
                throw SyscallError(function: "inet_pton(\(host))", errno: EINVAL)
            }
            rc = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        if rc != 0 {
            let e = Glibc.errno
            Glibc.close(fd)
            throw SyscallError(function: "bind(\(host):\(port))", errno: e)
        }
        if listen(fd, backlog) != 0 {
            let e = Glibc.errno
            Glibc.close(fd)
            throw SyscallError(function: "listen", errno: e)
        }
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        let bound: Int
        if Int32(storage.ss_family) == AF_INET6 {
            bound = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        } else {
            bound = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        }
        return (fd, bound)
    }

    /// Disables Nagle's algorithm: responses and SSE events are written whole, so
    /// delaying small segments only adds latency.
    package static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Monotonic time in nanoseconds (`CLOCK_MONOTONIC`).
    package static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
