/// An incremental HTTP/1.1 request parser (RFC 9112). A pure value: bytes go in with
/// ``feed(_:)``, events come out of ``next()``; no sockets, no clock, no allocation per
/// byte. Pipelined requests stay buffered until the caller asks for the next event, so
/// the connection decides when to start the next request (answers stay in order).
///
/// Strictness, chosen against request smuggling: lines end in CRLF (a bare LF is 400),
/// obsolete line folding is 400 (RFC 9112 §5.2), whitespace before the colon is 400
/// (§5.1), `Content-Length` with `Transfer-Encoding` is 400 (§6.1), conflicting
/// `Content-Length` values are 400 (§6.3).
public struct HTTPParser: Sendable {
    /// Size limits, each answered with its own status (see ``HTTPParserError``).
    public struct Limits: Sendable, Equatable {
        /// Longest request-target; longer is 414. Default 8 KiB.
        public var maxURILength: Int = 8 * 1024
        /// Largest request line plus header section (and, separately, trailer section);
        /// larger is 431. Default 32 KiB.
        public var maxHeaderBytes: Int = 32 * 1024
        /// Most header fields; more is 431. Default 100.
        public var maxHeaderCount: Int = 100
        /// Largest body after de-chunking; larger is 413. Default 16 MiB.
        public var maxBodyBytes: Int = 16 * 1024 * 1024
        /// Default limits.
        public init() {}
    }

    /// What ``next()`` found.
    public enum Event: Equatable, Sendable {
        /// The buffered bytes do not yet form the next event.
        case needMoreData
        /// A request head is complete; the body (maybe empty) follows as `.end`.
        case head(HTTPRequestHead)
        /// The body of the current request is complete.
        case end(body: [UInt8], trailers: HTTPHeaders)
        /// The input is not a valid request; the parser stays failed.
        case error(HTTPParserError)
    }

    private enum State: Sendable {
        case head
        case fixedBody(remaining: Int)
        case chunked
        case failed(HTTPParserError)
    }

    /// The limits in force.
    public let limits: Limits
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Where the LF scan of the head section resumes.
    private var scanIndex = 0
    private var state: State = .head
    private var body: [UInt8] = []
    /// The chunked coding of the current body, when it has one.
    private var chunks = ChunkedDecoder()

    /// A parser with the given limits.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes received but not yet consumed by an event.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// True between messages with nothing buffered: the connection is idle.
    public var isIdle: Bool {
        if case .head = state { return bufferedByteCount == 0 }
        return false
    }

    /// True while a body is being received (after `.head`, before `.end`).
    public var isReadingBody: Bool {
        switch state {
        case .head, .failed: false
        default: true
        }
    }

    /// Appends received bytes.
    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeFirst(readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next event from the buffered bytes.
    public mutating func next() -> Event {
        switch state {
        case .failed(let e):
            return .error(e)
        case .head:
            return parseHead()
        case .fixedBody(let remaining):
            let n = min(remaining, bufferedByteCount)
            body.append(contentsOf: buffer[readIndex..<readIndex + n])
            readIndex += n
            if n == remaining { return finishMessage(trailers: [:]) }
            state = .fixedBody(remaining: remaining - n)
            return .needMoreData
        case .chunked:
            return parseChunked()
        }
    }

    private mutating func fail(_ e: HTTPParserError) -> Event {
        state = .failed(e)
        return .error(e)
    }

    private mutating func finishMessage(trailers: HTTPHeaders) -> Event {
        let b = body
        body = []
        state = .head
        scanIndex = readIndex
        return .end(body: b, trailers: trailers)
    }

    // MARK: Head (RFC 9112 §2.2, §3, §5)

    private mutating func parseHead() -> Event {
        // Ignore empty lines before the request line (RFC 9112 §2.2).
        while bufferedByteCount >= 2, buffer[readIndex] == 13, buffer[readIndex + 1] == 10 {
            readIndex += 2
        }
        if bufferedByteCount == 1, buffer[readIndex] == 10 { return fail(.malformed("bare LF")) }
        scanIndex = max(scanIndex, readIndex)
        switch scanSection(from: readIndex) {
        case .incomplete:
            if bufferedByteCount > limits.maxHeaderBytes || requestLineOverflow() {
                return fail(uriTooLong() ? .uriTooLong : .headerFieldsTooLarge)
            }
            return .needMoreData
        case .malformed(let why):
            return fail(.malformed(why))
        case .complete(let end):
            if end - readIndex > limits.maxHeaderBytes {
                return fail(uriTooLong() ? .uriTooLong : .headerFieldsTooLarge)
            }
            let result = HTTPHeadSyntax.parseHead(buffer[readIndex..<end], limits: limits)
            readIndex = end
            scanIndex = end
            switch result {
            case .failure(let e):
                return fail(e)
            case .success(let head):
                switch HTTPHeadSyntax.bodyFraming(head, limits: limits) {
                case .failure(let e): return fail(e)
                case .success(.none): state = .fixedBody(remaining: 0)
                case .success(.length(let n)): state = .fixedBody(remaining: n)
                case .success(.chunked):
                    state = .chunked
                    chunks = ChunkedDecoder(options: .init(strictLineEnds: true, maxBodyBytes: limits.maxBodyBytes,
                                                           maxTrailerBytes: limits.maxHeaderBytes))
                }
                body = []
                return .head(head)
            }
        }
    }

    private enum Scan { case incomplete, complete(Int), malformed(String) }

    /// Finds the empty line ending a field section that starts at `start`, checking
    /// that every line ends in CRLF. Resumes at `scanIndex` so no byte is scanned twice.
    private mutating func scanSection(from start: Int) -> Scan {
        buffer.withUnsafeBufferPointer { p -> Scan in
            var i = scanIndex
            while i < p.count {
                if p[i] == 10 {
                    if i == start || p[i - 1] != 13 { return .malformed("bare LF") }
                    // An empty line: CRLF at the section start or right after a CRLF.
                    if i - 1 == start || (i >= start + 3 && p[i - 2] == 10) {
                        return .complete(i + 1)
                    }
                }
                i += 1
            }
            scanIndex = max(start, p.count - 1)
            return .incomplete
        }
    }

    /// True when the request line alone, still unterminated, is already past any
    /// acceptable length.
    private func requestLineOverflow() -> Bool {
        let firstLF = buffer[readIndex...].firstIndex(of: 10)
        return firstLF == nil && bufferedByteCount > limits.maxURILength + 64
    }

    /// Whether the (possibly unterminated) request line carries a target longer than
    /// `maxURILength`: then 414 is the more precise answer than 431.
    private func uriTooLong() -> Bool {
        let line = buffer[readIndex...].prefix { $0 != 13 && $0 != 10 }
        guard let sp = line.firstIndex(of: 32) else { return false }
        let target = line[(sp + 1)...].prefix { $0 != 32 }
        return target.count > limits.maxURILength
    }

    // MARK: Chunked body (RFC 9112 §7.1)

    /// Runs the strict ``ChunkedDecoder`` over the buffered bytes; its trailer lines are
    /// parsed like header fields.
    private mutating func parseChunked() -> Event {
        let used: Int
        do {
            used = try chunks.decode(buffer[readIndex...], into: &body)
        } catch {
            switch error {
            case .malformed(let why): return fail(.malformed(why))
            case .bodyTooLarge: return fail(.bodyTooLarge)
            case .trailersTooLarge: return fail(.headerFieldsTooLarge)
            }
        }
        readIndex += used
        guard chunks.isComplete else { return .needMoreData }
        let trailers = HTTPHeadSyntax.parseFields(chunks.trailerSection[...], limits: limits)
        chunks = ChunkedDecoder()
        switch trailers {
        case .failure(let e): return fail(e)
        case .success(let fields): return finishMessage(trailers: fields)
        }
    }
}
