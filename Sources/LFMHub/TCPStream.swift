#if canImport(Glibc)
import Glibc
#endif

/// A connected TCP socket in blocking mode with send and receive timeouts
/// (`SO_SNDTIMEO`/`SO_RCVTIMEO`), so a stalled server fails a read instead of hanging.
package final class TCPStream: ByteStream {
    private var fd: Int32
    /// `host:port`, for messages.
    package let peer: String
    private let ioTimeout: Double

    private init(fd: Int32, peer: String, ioTimeout: Double) {
        self.fd = fd
        self.peer = peer
        self.ioTimeout = ioTimeout
    }

    deinit { close() }

    /// The descriptor, for TLS to run on.
    package var descriptor: Int32 { fd }

    /// Resolves `host` and connects to the first address that answers within `connectTimeout`
    /// seconds (each address is tried in `getaddrinfo` order, IPv6 and IPv4 alike).
    package static func connect(host: String, port: Int, connectTimeout: Double, ioTimeout: Double) throws(HubError) -> TCPStream {
        let peer = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw .network("cannot resolve host '\(host)': \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let ai = cursor {
            cursor = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), ai.pointee.ai_protocol)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            if let err = connectWithTimeout(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen, seconds: connectTimeout) {
                Glibc.close(fd)
                lastError = err
                continue
            }
            configure(fd, ioTimeout: ioTimeout)
            return TCPStream(fd: fd, peer: peer, ioTimeout: ioTimeout)
        }
        throw .network("cannot connect to \(peer): \(lastError)")
    }

    /// Non-blocking `connect` + `poll`, then back to blocking mode; nil on success, else the reason.
    private static func connectWithTimeout(_ fd: Int32, _ addr: UnsafeMutablePointer<sockaddr>?, _ len: socklen_t, seconds: Double) -> String? {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        if Glibc.connect(fd, addr, len) != 0 {
            guard errno == EINPROGRESS || errno == EINTR else { return String(cString: strerror(errno)) }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            var r: Int32
            repeat { r = poll(&pfd, 1, Int32(max(1, seconds * 1000))) } while r < 0 && errno == EINTR
            if r == 0 { return "timed out after \(Int(seconds)) s" }
            if r < 0 { return String(cString: strerror(errno)) }
            var soError: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &size)
            if soError != 0 { return String(cString: strerror(soError)) }
        }
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        return nil
    }

    private static func configure(_ fd: Int32, ioTimeout: Double) {
        var tv = timeval(tv_sec: Int(ioTimeout), tv_usec: Int((ioTimeout - Double(Int(ioTimeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(HubError) -> Int {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n >= 0 { return n }
            try failure("receiving from")
        }
    }

    package func write(_ bytes: UnsafeRawBufferPointer) throws(HubError) {
        var offset = 0
        while offset < bytes.count {
            let n = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n >= 0 { offset += n; continue }
            try failure("sending to")
        }
    }

    /// Returns for `EINTR` (retry), throws for everything else.
    private func failure(_ what: String) throws(HubError) {
        let e = errno
        if e == EINTR { return }
        if e == EAGAIN || e == EWOULDBLOCK { throw .network("timed out after \(Int(ioTimeout)) s \(what) \(peer)") }
        throw .network("error \(what) \(peer): \(String(cString: strerror(e)))")
    }

    package func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }
}
