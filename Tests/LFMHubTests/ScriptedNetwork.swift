import Logging
@testable import LFMHub

/// A connection that answers with canned bytes and records what was sent.
final class ScriptedStream: ByteStream {
    private var pending: [UInt8]
    private(set) var sent: [UInt8] = []
    private let readSize: Int
    private let failAtEnd: Bool

    init(_ response: String, readSize: Int = 7, failAtEnd: Bool = false) {
        pending = Array(response.utf8)
        self.readSize = readSize
        self.failAtEnd = failAtEnd
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(HubError) -> Int {
        if pending.isEmpty && failAtEnd { throw .network("connection reset") }
        let n = min(readSize, buffer.count, pending.count)
        for i in 0..<n { buffer[i] = pending[i] }
        pending.removeFirst(n)
        return n
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(HubError) { sent += bytes }
    func close() {}
    var sentText: String { String(decoding: sent, as: UTF8.self) }
}

/// Hands out one scripted stream per connection, by host.
final class ScriptedNetwork: @unchecked Sendable {
    var responses: [String: [ScriptedStream]] = [:]
    var opened: [(host: String, stream: ScriptedStream)] = []

    func add(_ host: String, _ response: String) { responses[host, default: []].append(ScriptedStream(response)) }

    func client() -> HubHTTPClient {
        HubHTTPClient(logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })) { [self] (url: HubURL, _: HubHTTPClient.Configuration) throws(HubError) -> any ByteStream in
            guard var list = responses[url.host], !list.isEmpty else { throw .network("no script for \(url.host)") }
            let s = list.removeFirst()
            responses[url.host] = list
            opened.append((url.host, s))
            return s
        }
    }
}
