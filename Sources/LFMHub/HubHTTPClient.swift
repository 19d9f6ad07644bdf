import HTTP1
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
        /// Proxies (`HTTPS_PROXY` tunnels with CONNECT, `HTTP_PROXY` gets absolute-form requests).
        package var proxies = ProxySettings()

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
        guard let proxy = c.proxies.proxy(for: url) else {
            let tcp = try TCPStream.connect(host: url.host, port: url.port, connectTimeout: c.connectTimeout, ioTimeout: c.ioTimeout)
            return url.scheme == "https" ? try TLSStream(tcp: tcp, host: url.host) : tcp
        }
        let tcp = try TCPStream.connect(host: proxy.host, port: proxy.port, connectTimeout: c.connectTimeout, ioTimeout: c.ioTimeout)
        guard url.scheme == "https" else { return tcp }   // plain http: absolute-form request (sendOnce)
        do throws(HubError) {
            try tunnel(tcp, to: url, through: proxy)
            return try TLSStream(tcp: tcp, host: url.host)   // certificate checked against the Hub's name, not the proxy's
        } catch {
            tcp.close()
            throw error
        }
    }

    /// `CONNECT host:port` (RFC 9110 §9.3.6) and its answer; afterwards the stream is a raw
    /// tunnel to the origin. The answer head is read byte by byte so no tunnel bytes are consumed.
    static func tunnel(_ tcp: TCPStream, to url: HubURL, through proxy: ProxySettings.Proxy) throws(HubError) {
        let authority = url.host.contains(":") ? "[\(url.host)]:\(url.port)" : "\(url.host):\(url.port)"
        var text = "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n"
        if let auth = proxy.authorization { text += "Proxy-Authorization: \(auth)\r\n" }
        text += "\r\n"
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { p -> Result<Void, HubError> in
            do throws(HubError) { try tcp.write(p); return .success(()) } catch { return .failure(error) }
        }
        try written.get()
        var head: [UInt8] = []
        var byte = [UInt8](repeating: 0, count: 1)
        while !(head.count >= 4 && head.suffix(4).elementsEqual([13, 10, 13, 10])) {
            guard head.count < 16384 else { throw .protocolError("the proxy \(proxy.host):\(proxy.port) sent an over-long answer to CONNECT") }
            let got = byte.withUnsafeMutableBytes { b -> Result<Int, HubError> in
                do throws(HubError) { return .success(try tcp.read(into: b)) } catch { return .failure(error) }
            }
            let n = try got.get()
            guard n == 1 else { throw .network("the proxy \(proxy.host):\(proxy.port) closed the connection during CONNECT") }
            head.append(byte[0])
        }
        let statusLine = String(decoding: head.prefix { $0 != 13 }, as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .protocolError("the proxy \(proxy.host):\(proxy.port) answered CONNECT with '\(statusLine)'")
        }
        switch status {
        case 200..<300: return
        case 407: throw .network("the proxy \(proxy.host):\(proxy.port) requires authentication (407): put user:password in HTTPS_PROXY")
        default: throw .network("the proxy \(proxy.host):\(proxy.port) refused to connect to \(authority): \(statusLine)")
        }
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
            var bytes = request.serialized(userAgent: configuration.userAgent)
            if request.url.scheme == "http", let proxy = configuration.proxies.proxy(for: request.url) {
                bytes = request.serialized(userAgent: configuration.userAgent, absoluteForm: true, proxyAuthorization: proxy.authorization)
            }
            let written = bytes.withUnsafeBytes { p -> Result<Void, HubError> in
                do throws(HubError) { try stream.write(p); return .success(()) } catch { return .failure(error) }
            }
            try written.get()
            let reader = StreamReader(stream: stream, peer: request.url.hostHeader)
            var head: HTTPResponseHead
            repeat {
                head = try reader.readHead()
            } while (100..<200).contains(head.status) && head.status != 101
            let framing: HTTPResponseHead.BodyFraming
            do throws(HTTPResponseError) { framing = try head.bodyFraming(requestMethod: request.method) } catch {
                throw .protocolError(error.description)
            }
            let body = BodyReader(reader: reader, framing: framing)
            return HTTPClientResponse(head: head, request: request, body: body)
        } catch {
            stream.close()
            throw error
        }
    }
}
