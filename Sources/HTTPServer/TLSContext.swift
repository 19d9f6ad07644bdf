import COpenSSL

/// A TLS error with OpenSSL's error queue text.
public struct TLSError: Error, CustomStringConvertible, Sendable {
    /// What failed, with OpenSSL's reason.
    public let description: String

    static func fromQueue(_ what: String) -> TLSError {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buf, buf.count)
            reasons.append(Syscall.cString(buf))
        }
        return TLSError(description: reasons.isEmpty ? what : "\(what): \(reasons.joined(separator: "; "))")
    }
}

/// A server-side OpenSSL 3 context built from a PEM certificate chain and private key.
/// Creating it validates both files, so a bad path fails at startup with a clear error.
package final class TLSContext: @unchecked Sendable {
    // @unchecked Sendable: the SSL_CTX is configured once in init and then only used to
    // create SSL objects, which OpenSSL documents as thread-safe.
    package let ctx: OpaquePointer

    /// Loads `certificatePath` (PEM chain) and `keyPath` (PEM key) and checks they match.
    package init(certificatePath: String, keyPath: String) throws(TLSError) {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw TLSError.fromQueue("SSL_CTX_new failed") }
        self.ctx = ctx
        // Accept partial writes and a moved (re-allocated) write buffer on retry: our
        // output chunks are Swift arrays that may move between attempts.
        let mode = Int(SSL_MODE_ENABLE_PARTIAL_WRITE) | Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER)
        _ = SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, mode, nil)
        _ = SSL_CTX_set_min_proto_version_shim(ctx)
        if SSL_CTX_use_certificate_chain_file(ctx, certificatePath) != 1 {
            throw TLSError.fromQueue("cannot load TLS certificate '\(certificatePath)'")
        }
        if SSL_CTX_use_PrivateKey_file(ctx, keyPath, SSL_FILETYPE_PEM) != 1 {
            throw TLSError.fromQueue("cannot load TLS private key '\(keyPath)'")
        }
        if SSL_CTX_check_private_key(ctx) != 1 {
            throw TLSError.fromQueue("TLS private key '\(keyPath)' does not match certificate '\(certificatePath)'")
        }
    }

    deinit { SSL_CTX_free(ctx) }

    /// A new server-side SSL session bound to `fd`, in accept state.
    package func makeSession(fd: Int32) -> OpaquePointer? {
        guard let ssl = SSL_new(ctx) else { return nil }
        SSL_set_fd(ssl, fd)
        SSL_set_accept_state(ssl)
        return ssl
    }
}

/// Sets TLS 1.2 as the minimum version (`SSL_CTX_set_min_proto_version` is a macro).
private func SSL_CTX_set_min_proto_version_shim(_ ctx: OpaquePointer) -> Int {
    SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
}
