import HTTP1

/// A response whose body is read incrementally; owns the connection until ``close()``.
package final class HTTPClientResponse {
    package let head: HTTPResponseHead
    /// The request that produced this response (after redirects: its URL and remaining headers).
    package let request: HTTPClientRequest
    private let body: BodyReader

    init(head: HTTPResponseHead, request: HTTPClientRequest, body: BodyReader) {
        self.head = head
        self.request = request
        self.body = body
    }

    deinit { close() }

    /// The URL this response came from.
    package var url: HubURL { request.url }

    /// Appends the next body bytes to `output`; false once the body is complete.
    /// - Throws: `HubError.network` when the connection ends before the body does.
    package func read(into output: inout [UInt8]) throws(HubError) -> Bool {
        try body.next(into: &output)
    }

    /// The whole body, at most `limit` bytes.
    package func readAll(limit: Int = 64 << 20) throws(HubError) -> [UInt8] {
        var out: [UInt8] = []
        while try body.next(into: &out) {
            guard out.count <= limit else { throw .protocolError("response from \(url) is larger than \(limit) bytes") }
        }
        return out
    }

    /// Closes the connection (idempotent).
    package func close() { body.close() }
}

/// Buffered reads from a stream: the response head, then raw body bytes.
final class StreamReader {
    private let stream: any ByteStream
    private let peer: String
    private var buffer: [UInt8] = []
    private var scratch = [UInt8](repeating: 0, count: 256 * 1024)
    private(set) var closed = false

    init(stream: any ByteStream, peer: String) {
        self.stream = stream
        self.peer = peer
    }

    /// Reads and parses one response head.
    func readHead() throws(HubError) -> HTTPResponseHead {
        while true {
            if let end = HTTPResponseHead.endOfHead(in: buffer) {
                let head: HTTPResponseHead
                do throws(HTTPResponseError) { head = try HTTPResponseHead.parse(buffer[..<end]) } catch {
                    throw .protocolError(error.description)
                }
                buffer.removeFirst(end)
                return head
            }
            guard buffer.count <= HTTPResponseHead.maxHeadBytes else { throw .protocolError("response head from \(peer) is too large") }
            let n = try fill()
            if n == 0 {
                throw .network(buffer.isEmpty ? "connection closed by \(peer) before any response" : "connection closed by \(peer) inside the response head")
            }
        }
    }

    /// Up to `max` raw bytes: buffered ones first, else one read from the stream. Empty at end of stream.
    func readRaw(max: Int) throws(HubError) -> ArraySlice<UInt8> {
        if buffer.isEmpty {
            let n = try fill()
            if n == 0 { return [] }
        }
        if max >= buffer.count {
            let out = buffer[...]
            buffer = []
            return out
        }
        let n = max
        let out = buffer[..<n]
        buffer.removeFirst(n)
        return out
    }

    private func fill() throws(HubError) -> Int {
        guard !closed else { return 0 }
        let stream = self.stream
        let result = scratch.withUnsafeMutableBytes { p -> Result<Int, HubError> in
            do throws(HubError) { return .success(try stream.read(into: p)) } catch { return .failure(error) }
        }
        let n = try result.get()
        buffer.append(contentsOf: scratch[..<n])
        return n
    }

    func close() {
        closed = true
        stream.close()
    }
}

/// Applies the body framing of a response to raw bytes (RFC 9112 §6.3).
final class BodyReader {
    private let reader: StreamReader
    private let framing: HTTPResponseHead.BodyFraming
    private var remaining: Int
    private var decoder = ChunkedDecoder()
    private var done = false
    private(set) var received = 0

    init(reader: StreamReader, framing: HTTPResponseHead.BodyFraming) {
        self.reader = reader
        self.framing = framing
        if case .length(let n) = framing { remaining = n } else { remaining = 0 }
        if framing == .none || framing == .length(0) { done = true }
    }

    func next(into output: inout [UInt8]) throws(HubError) -> Bool {
        while !done {
            switch framing {
            case .none:
                done = true
            case .length(let total):
                let raw = try reader.readRaw(max: remaining)
                if raw.isEmpty { throw .network("connection closed after \(total - remaining) of \(total) body bytes") }
                output.append(contentsOf: raw)
                remaining -= raw.count
                received += raw.count
                if remaining == 0 { done = true }
                return true
            case .chunked:
                let raw = try reader.readRaw(max: 256 * 1024)
                if raw.isEmpty { throw .network("connection closed inside a chunked body after \(received) bytes") }
                let before = output.count
                do throws(ChunkedDecodingError) { _ = try decoder.decode(raw, into: &output) } catch {
                    throw .protocolError("chunked body: \(error)")
                }
                received += output.count - before
                if decoder.isComplete { done = true }
                if output.count > before { return true }
            case .untilClose:
                let raw = try reader.readRaw(max: 256 * 1024)
                if raw.isEmpty { done = true; break }
                output.append(contentsOf: raw)
                received += raw.count
                return true
            }
        }
        return false
    }

    func close() { reader.close() }
}
