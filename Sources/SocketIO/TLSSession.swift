#if canImport(Glibc)
import Glibc
#endif
import COpenSSL

/// One TLS connection over a socket (an OpenSSL `SSL` object): reads and writes mapped to
/// what the caller must do next. The server drives it non-blocking from its event loop,
/// the Hub client blocking with socket timeouts; both share this mapping. Used by one
/// thread at a time.
package final class TLSSession {
    /// The outcome of one ``read(into:)`` or ``write(_:)``.
    package enum IOResult: Equatable, Sendable {
        /// This many bytes were transferred.
        case bytes(Int)
        /// Retry when the socket is readable (a handshake or renegotiation needs input).
        case wantRead
        /// Retry when the socket is writable.
        case wantWrite
        /// The peer sent close_notify.
        case closed
        /// The socket call failed with this `errno` (0: the peer closed without close_notify).
        case syscall(errno: Int32)
        /// A TLS protocol failure; the reasons are on OpenSSL's error queue
        /// (``TLSError/fromQueue(_:)`` reads and empties it).
        case failed
    }

    private var ssl: OpaquePointer?

    /// A session on `fd` from `context` (accept state for a server context, connect state
    /// for a client one); nil when OpenSSL cannot create it.
    package init?(context: TLSContext, fd: Int32) {
        guard let ssl = context.makeSession(fd: fd) else { return nil }
        self.ssl = ssl
    }

    deinit { release() }

    /// The `SSL` object, for role-specific setup (SNI, host verification, `SSL_connect`);
    /// nil after ``release()``.
    package var handle: OpaquePointer? { ssl }

    /// Reads decrypted bytes into `buffer`.
    package func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        guard let ssl else { return .failed }
        let rc = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        return rc > 0 ? .bytes(Int(rc)) : result(of: rc)
    }

    /// Encrypts and sends (part of) `buffer`.
    package func write(_ buffer: UnsafeRawBufferPointer) -> IOResult {
        guard let ssl else { return .failed }
        let rc = SSL_write(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        return rc > 0 ? .bytes(Int(rc)) : result(of: rc)
    }

    /// What `SSL_get_error` says about a call that returned `rc` ≤ 0.
    package func result(of rc: Int32) -> IOResult {
        guard let ssl else { return .failed }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL: return .syscall(errno: errno)
        default: return .failed
        }
    }

    /// Bytes already decrypted and waiting, which the socket's readiness cannot report.
    package var pendingBytes: Int {
        guard let ssl else { return 0 }
        return Int(SSL_pending(ssl))
    }

    /// Sends close_notify (does not wait for the peer's).
    package func shutdown() {
        if let ssl { _ = SSL_shutdown(ssl) }
    }

    /// Frees the `SSL` object (idempotent); the socket is the caller's to close.
    package func release() {
        if let ssl { SSL_free(ssl) }
        ssl = nil
    }

    /// Empties OpenSSL's error queue of this thread.
    package static func clearErrors() { ERR_clear_error() }
}
