#if canImport(Glibc)
import Glibc
#endif
import COpenSSL
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

/// TLS via a non-blocking OpenSSL session on the socket. The handshake happens inside
/// the first reads and writes; `SSL_ERROR_WANT_READ`/`WANT_WRITE` become
/// `.wouldBlock` with the direction the connection must wait for.
package final class TLSTransport: Transport {
    private let fd: Int32
    private var ssl: OpaquePointer?

    package init?(fd: Int32, context: TLSContext) {
        guard let ssl = context.makeSession(fd: fd) else { return nil }
        self.fd = fd
        self.ssl = ssl
    }

    private func mapError(_ rc: Int32) -> TransportResult {
        guard let ssl else { return .failed }
        let err = SSL_get_error(ssl, rc)
        switch err {
        case SSL_ERROR_WANT_READ: return .wouldBlock(wantWrite: false)
        case SSL_ERROR_WANT_WRITE: return .wouldBlock(wantWrite: true)
        case SSL_ERROR_ZERO_RETURN: return .eof
        default:
            ERR_clear_error()
            return .failed
        }
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportResult {
        guard let ssl else { return .failed }
        let rc = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        return rc > 0 ? .bytes(Int(rc)) : mapError(rc)
    }

    package func write(_ buffer: UnsafeRawBufferPointer) -> TransportResult {
        guard let ssl else { return .failed }
        let rc = SSL_write(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        return rc > 0 ? .bytes(Int(rc)) : mapError(rc)
    }

    package var pendingReadBytes: Int {
        guard let ssl else { return 0 }
        return Int(SSL_pending(ssl))
    }

    package func shutdownOutput() {
        if let ssl { _ = SSL_shutdown(ssl) }
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    package func release() {
        if let ssl { SSL_free(ssl) }
        ssl = nil
    }
}
