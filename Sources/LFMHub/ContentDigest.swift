import COpenSSL

/// An incremental SHA-256 or SHA-1 over OpenSSL's EVP interface, used to check downloads
/// against the Hub's etags: sha256 of the content for LFS files, the git blob id
/// (`sha1("blob <size>\0" + content)`) for the others.
package final class ContentDigest {
    /// The hash function.
    package enum Algorithm: Sendable {
        case sha256
        case sha1
    }

    private let ctx: OpaquePointer
    package let algorithm: Algorithm

    package init(_ algorithm: Algorithm) {
        self.algorithm = algorithm
        ctx = EVP_MD_CTX_new()
        EVP_DigestInit_ex(ctx, algorithm == .sha256 ? EVP_sha256() : EVP_sha1(), nil)
    }

    /// A digest that computes a git blob id for content of `size` bytes.
    package static func gitBlob(size: Int) -> ContentDigest {
        let d = ContentDigest(.sha1)
        d.update(Array("blob \(size)\u{0}".utf8)[...])
        return d
    }

    deinit { EVP_MD_CTX_free(ctx) }

    package func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { _ = EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }
    }

    package func update(_ bytes: UnsafeRawBufferPointer) {
        _ = EVP_DigestUpdate(ctx, bytes.baseAddress, bytes.count)
    }

    /// The digest as lowercase hex; the object must not be updated afterwards.
    package func finalizeHex() -> String {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        EVP_DigestFinal_ex(ctx, &out, &len)
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for b in out[..<Int(len)] { text += [hex[Int(b >> 4)], hex[Int(b & 15)]] }
        return String(decoding: text, as: UTF8.self)
    }
}
