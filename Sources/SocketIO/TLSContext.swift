import COpenSSL

/// A TLS error with OpenSSL's error queue text.
public struct TLSError: Error, CustomStringConvertible, Sendable {
    /// What failed, with OpenSSL's reason.
    public let description: String

    /// An error with this text.
    public init(description: String) { self.description = description }

    /// `what` followed by the reasons on OpenSSL's error queue, which is emptied.
    package static func fromQueue(_ what: String) -> TLSError {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buf, buf.count)
            reasons.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return TLSError(description: reasons.isEmpty ? what : "\(what): \(reasons.joined(separator: "; "))")
    }
}

/// An OpenSSL 3 context (`SSL_CTX`, TLS 1.2 at least) for one side of a connection: the
/// server's, built from a PEM certificate chain and key, or the Hub client's, verifying
/// peers against the system CA store.
package final class TLSContext: @unchecked Sendable {
    // @unchecked Sendable: the SSL_CTX is configured once in init and then only used to
    // create SSL objects, which OpenSSL documents as thread-safe.
    package let ctx: OpaquePointer
    private let isServer: Bool

    private init(method: OpaquePointer?, isServer: Bool) throws(TLSError) {
        guard let method, let ctx = SSL_CTX_new(method) else { throw TLSError.fromQueue("SSL_CTX_new failed") }
        self.ctx = ctx
        self.isServer = isServer
        // SSL_CTX_set_min_proto_version is a macro Swift cannot import.
        _ = SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil)
    }

    /// A server context: loads `certificatePath` (PEM chain) and `keyPath` (PEM key) and
    /// checks they match, so a bad path fails at startup with a clear error.
    package convenience init(certificatePath: String, keyPath: String) throws(TLSError) {
        try self.init(method: TLS_server_method(), isServer: true)
        // Accept partial writes and a moved (re-allocated) write buffer on retry: our
        // output chunks are Swift arrays that may move between attempts.
        let mode = Int(SSL_MODE_ENABLE_PARTIAL_WRITE) | Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER)
        _ = SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, mode, nil)
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

    /// A client context verifying peers against the system CA store
    /// (`SSL_CTX_set_default_verify_paths`, which also honours `SSL_CERT_FILE` and `SSL_CERT_DIR`).
    package static func client() throws(TLSError) -> TLSContext {
        let context = try TLSContext(method: TLS_client_method(), isServer: false)
        let ctx = context.ctx
        // A server closing without close_notify after a delimited body is not an error here:
        // body lengths are checked by the HTTP layer.
        _ = SSL_CTX_set_options(ctx, UInt64(1) << 7)  // SSL_OP_IGNORE_UNEXPECTED_EOF (a macro Swift cannot import)
        guard SSL_CTX_set_default_verify_paths(ctx) == 1 else { throw TLSError.fromQueue("cannot load the system CA certificates") }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        return context
    }

    deinit { SSL_CTX_free(ctx) }

    /// A new SSL session bound to `fd`: in accept state for a server context, connect
    /// state for a client one (the handshake runs in the first reads and writes, or
    /// `SSL_connect`).
    package func makeSession(fd: Int32) -> OpaquePointer? {
        guard let ssl = SSL_new(ctx) else { return nil }
        SSL_set_fd(ssl, fd)
        if isServer { SSL_set_accept_state(ssl) } else { SSL_set_connect_state(ssl) }
        return ssl
    }
}
