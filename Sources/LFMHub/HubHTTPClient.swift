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
