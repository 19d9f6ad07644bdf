import COpenSSL
import SocketIO
#if canImport(Glibc)
import Glibc
#endif

/// The process-wide client context (``TLSContext/client()``), created on first use.
enum TLSClientContext {
    private static let sharedResult: Result<TLSContext, HubError> = {
        do throws(TLSError) { return .success(try TLSContext.client()) } catch { return .failure(.tls(error.description)) }
    }()

    /// The shared context.
    static func shared() throws(HubError) -> TLSContext { try sharedResult.get() }

    /// `what` followed by the reasons on OpenSSL's error queue (which is emptied).
    static func errorQueue(_ what: String) -> String { TLSError.fromQueue(what).description }
}

/// TLS over a connected ``TCPStream``: SNI, certificate chain and host name (or IP address)
/// verification, blocking reads and writes with the socket's timeouts (a ``TLSSession``).
package final class TLSStream: ByteStream {
    private let tcp: TCPStream
    private let session: TLSSession
    private let host: String

    /// Runs the handshake for `host` over `tcp`.
    /// - Throws: `HubError.tls` naming the verification failure (e.g. "hostname mismatch").
    package init(tcp: TCPStream, host: String) throws(HubError) {
        self.tcp = tcp
        self.host = host
        let context = try TLSClientContext.shared()
        guard let session = TLSSession(context: context, fd: tcp.descriptor), let ssl = session.handle else {
            throw .tls(TLSClientContext.errorQueue("SSL_new failed"))
        }
        self.session = session
        if Self.isIPAddress(host) {
            // Certificates for addresses carry them as IP SANs; there is no SNI for an address (RFC 6066 §3).
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 else { throw .tls("cannot verify IP address \(host)") }
        } else {
            _ = host.withCString { SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
            guard SSL_set1_host(ssl, host) == 1 else { throw .tls("cannot set the host name to verify") }
        }
        TLSSession.clearErrors()
        while true {
            let r = SSL_connect(ssl)
            if r == 1 { break }
            let result = session.result(of: r)
            if case .syscall(errno: EINTR) = result { continue }
            let verify = SSL_get_verify_result(ssl)
            if verify != Int(X509_V_OK) {
                let reason = String(cString: X509_verify_cert_error_string(verify))
                throw .tls("certificate verification failed for \(host): \(reason) (the system CA store is used; SSL_CERT_FILE / SSL_CERT_DIR select another)")
            }
            if case .syscall(let e) = result, e == EAGAIN || e == EWOULDBLOCK {
                throw .network("timed out during the TLS handshake with \(tcp.peer)")
            }
            throw .tls(TLSClientContext.errorQueue("handshake with \(tcp.peer) failed"))
        }
    }

    deinit { close() }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(HubError) -> Int {
        guard session.handle != nil else { return 0 }
        TLSSession.clearErrors()
        while true {
            switch session.read(into: buffer) {
            case .bytes(let n):
                return n
            case .closed, .syscall(errno: 0):
                return 0
            case .wantRead, .wantWrite, .syscall(errno: EINTR):
                continue
            case .syscall(let e):
                if e == EAGAIN || e == EWOULDBLOCK { throw .network("timed out receiving from \(tcp.peer)") }
                throw .network("error receiving from \(tcp.peer): \(String(cString: strerror(e)))")
            case .failed:
                throw .tls(TLSClientContext.errorQueue("read from \(tcp.peer) failed"))
            }
        }
    }

    package func write(_ bytes: UnsafeRawBufferPointer) throws(HubError) {
        guard session.handle != nil else { throw .network("connection to \(tcp.peer) is closed") }
        TLSSession.clearErrors()
        var offset = 0
        while offset < bytes.count {
            let part = UnsafeRawBufferPointer(rebasing: bytes[offset..<min(bytes.count, offset + (1 << 20))])
            switch session.write(part) {
            case .bytes(let n):
                offset += n
            case .wantRead, .wantWrite, .syscall(errno: EINTR):
                continue
            case .syscall(let e):
                if e == EAGAIN || e == EWOULDBLOCK { throw .network("timed out sending to \(tcp.peer)") }
                throw .network("error sending to \(tcp.peer): \(String(cString: strerror(e)))")
            case .closed, .failed:
                throw .tls(TLSClientContext.errorQueue("write to \(tcp.peer) failed"))
            }
        }
    }

    package func close() {
        session.release()
        tcp.close()
    }

    /// True for an IPv4 or IPv6 literal.
    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
