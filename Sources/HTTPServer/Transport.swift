#if canImport(Glibc)
import Glibc
#endif
import SocketIO

/// Result of a transport read or write.
package enum TransportResult: Equatable, Sendable {
    /// This many bytes were transferred.
    case bytes(Int)
    /// Nothing now; retry when the socket is readable (or writable if `wantWrite`).
    case wouldBlock(wantWrite: Bool)
    /// The peer closed the stream.
    case eof
    /// The connection failed.
    case failed
}

/// The byte stream under a connection: plain TCP or TLS over it. Used only on the
/// owning loop thread.
package protocol Transport: AnyObject {
    /// Reads into `buffer`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult
    /// Writes from `buffer`.
    func write(_ buffer: UnsafeRawBufferPointer) -> TransportResult
    /// Bytes already decrypted and waiting (TLS), which epoll cannot report.
    var pendingReadBytes: Int { get }
    /// Half-closes the sending side (TLS: sends close_notify, then shuts down TCP).
    func shutdownOutput()
    /// Releases resources; the fd itself is closed by the connection.
    func release()
}

/// Plain TCP.
package final class PlainTransport: Transport {
    private let fd: Int32
    package init(fd: Int32) { self.fd = fd }

    package func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult {
        switch try? Syscall.read(fd, buffer) {
        case .processed(0): .eof
        case .processed(let n): .bytes(n)
        case .wouldBlock: .wouldBlock(wantWrite: false)
        case nil: .failed
        }
    }

    package func write(_ buffer: UnsafeRawBufferPointer) -> TransportResult {
        switch try? Syscall.write(fd, buffer) {
        case .processed(let n): .bytes(n)
        case .wouldBlock: .wouldBlock(wantWrite: true)
        case nil: .failed
        }
    }

    package var pendingReadBytes: Int { 0 }
    package func shutdownOutput() { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }
    package func release() {}
}

/// TLS via a non-blocking ``TLSSession`` on the socket. The handshake happens inside
/// the first reads and writes; "want read" / "want write" become `.wouldBlock` with the
/// direction the connection must wait for.
package final class TLSTransport: Transport {
    private let fd: Int32
    private let session: TLSSession

    package init?(fd: Int32, context: TLSContext) {
        guard let session = TLSSession(context: context, fd: fd) else { return nil }
        self.fd = fd
        self.session = session
    }

    private func map(_ result: TLSSession.IOResult) -> TransportResult {
        switch result {
        case .bytes(let n): return .bytes(n)
        case .wantRead: return .wouldBlock(wantWrite: false)
        case .wantWrite: return .wouldBlock(wantWrite: true)
        case .closed: return .eof
        case .syscall, .failed:
            TLSSession.clearErrors()
            return .failed
        }
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult { map(session.read(into: buffer)) }

    package func write(_ buffer: UnsafeRawBufferPointer) -> TransportResult { map(session.write(buffer)) }

    package var pendingReadBytes: Int { session.pendingBytes }

    package func shutdownOutput() {
        session.shutdown()
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    package func release() { session.release() }
}
