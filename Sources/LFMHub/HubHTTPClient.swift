import Logging

/// A small blocking HTTP/1.1 client for the Hub: one connection per request
/// (`Connection: close`), plain TCP or TLS, redirects by a ``RedirectPolicy``, and a
/// streamed response body. No NIO, no libcurl (see docs/models.md).
package final class HubHTTPClient {
    /// Timeouts and identification.
    package struct Configuration: Sendable {
        /// Seconds to establish a TCP connection.
        package var connectTimeout: Double = 10
        /// Seconds a single read or write may stall before the request fails.
        package var ioTimeout: Double = 60
        /// The `User-Agent` header.
        package var userAgent: String = "lfm-serve"

        package init() {}
    }

    package let configuration: Configuration
    private let logger: Logger
    /// Opens a stream to a URL's host (replaced in tests).
    private let connect: (HubURL, Configuration) throws(HubError) -> any ByteStream

    package convenience init(configuration: Configuration = .init(), logger: Logger) {
        self.init(configuration: configuration, logger: logger, connect: Self.openStream)
    }

    /// A client whose connections come from `connect` (tests hand out scripted streams).
    init(configuration: Configuration = .init(), logger: Logger,
         connect: @escaping (HubURL, Configuration) throws(HubError) -> any ByteStream) {
        self.configuration = configuration
        self.logger = logger
        self.connect = connect
    }

    /// A TCP connection to the URL's host, wrapped in TLS for `https`.
    static func openStream(_ url: HubURL, _ c: Configuration) throws(HubError) -> any ByteStream {
        let tcp = try TCPStream.connect(host: url.host, port: url.port, connectTimeout: c.connectTimeout, ioTimeout: c.ioTimeout)
        return url.scheme == "https" ? try TLSStream(tcp: tcp, host: url.host) : tcp
    }

    /// Sends `request`, following redirects as `redirects` allows, and returns the response
    /// with its body unread. The caller reads the body and closes the response.
    package func send(_ request: HTTPClientRequest, redirects: RedirectPolicy) throws(HubError) -> HTTPClientResponse {
        var current = request
        var hops = 0
        while true {
            let response = try sendOnce(current)
            guard let location = response.head.redirectLocation else { return response }
            switch redirects.next(after: current, status: response.head.status, location: location) {
            case .stop:
                return response
            case .invalid(let why):
                response.close()
                throw .protocolError("\(why) in the answer from \(current.url)")
            case .follow(let next):
                response.close()
                hops += 1
                guard hops <= redirects.maxRedirects else { throw .protocolError("more than \(redirects.maxRedirects) redirects from \(request.url)") }
                logger.trace("redirect", metadata: ["status": "\(response.head.status)", "to": "\(next.url)"])
                current = next
            }
        }
    }

    /// One request on a new connection: writes it, reads the head (skipping 1xx interim responses).
    private func sendOnce(_ request: HTTPClientRequest) throws(HubError) -> HTTPClientResponse {
        logger.trace("http request", metadata: ["method": "\(request.method)", "url": "\(request.url)"])
        let stream = try connect(request.url, configuration)
        do throws(HubError) {
            let bytes = request.serialized(userAgent: configuration.userAgent)
            let written = bytes.withUnsafeBytes { p -> Result<Void, HubError> in
                do throws(HubError) { try stream.write(p); return .success(()) } catch { return .failure(error) }
            }
            try written.get()
            let reader = StreamReader(stream: stream, peer: request.url.hostHeader)
            var head: HTTPResponseHead
            repeat {
                head = try reader.readHead()
            } while (100..<200).contains(head.status) && head.status != 101
            let body = BodyReader(reader: reader, framing: try head.bodyFraming(requestMethod: request.method))
            return HTTPClientResponse(head: head, request: request, body: body)
        } catch {
            stream.close()
            throw error
        }
    }
}

extension HTTPClientRequest {
    /// The request head on the wire (RFC 9112 §3): request line, `Host`, `User-Agent`,
    /// `Accept-Encoding: identity` (sizes and hashes are of the stored bytes), `Connection: close`,
    /// then the request's own fields.
    package func serialized(userAgent: String) -> [UInt8] {
        var text = "\(method) \(url.target) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nUser-Agent: \(userAgent)\r\n"
        if self["Accept-Encoding"] == nil { text += "Accept-Encoding: identity\r\n" }
        text += "Connection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }
}

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
                let head = try HTTPResponseHead.parse(buffer[..<end])
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
                _ = try decoder.decode(raw, into: &output)
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
