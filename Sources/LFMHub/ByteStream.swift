/// A blocking, bidirectional byte stream: a TCP socket or TLS over one.
package protocol ByteStream: AnyObject {
    /// Reads up to `buffer.count` bytes; 0 means the peer closed the connection.
    /// - Throws: `HubError.network` on reset or timeout, `HubError.tls` on a TLS failure.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(HubError) -> Int
    /// Writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(HubError)
    /// Closes the connection (idempotent).
    func close()
}
