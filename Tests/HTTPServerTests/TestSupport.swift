import Foundation
import Logging
import Testing
@testable import HTTPServer

/// A logger that drops everything unless `TEST_LOG=1`.
func makeTestLogger() -> Logger {
    if ProcessInfo.processInfo.environment["TEST_LOG"] == "1" {
        var l = Logger(label: "http-test")
        l.logLevel = .debug
        return l
    }
    return Logger(label: "http-test", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// The error-body shape these tests assert on (an API layer's choice, set in the
/// configuration: here OpenAI's, as lfm-serve sets it).
let testErrorBody: HTTPErrorBody.Builder = { status, message in
    let type = status == 401 ? "authentication_error" : status >= 500 ? "server_error" : "invalid_request_error"
    return #"{"error":{"message":"# + HTTPErrorBody.jsonString(message) + #","type":""# + type + #"","param":null,"code":null}}"#
}

/// Starts a server on a free loopback port with ``testErrorBody``; `stop()` drains it.
final class TestServer: Sendable {
    let server: HTTPServer
    let port: Int

    init(router: Router, configure: (inout HTTPServer.Configuration) -> Void = { _ in }) throws {
        var c = HTTPServer.Configuration()
        c.host = "127.0.0.1"
        c.port = 0
        c.errorBody = testErrorBody
        configure(&c)
        server = HTTPServer(configuration: c, router: router, logger: makeTestLogger())
        port = try server.start()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() async {
        server.shutdown(gracePeriod: .seconds(2))
        await server.waitUntilDrained()
    }
}

/// A blocking loopback TCP client with a receive timeout, for raw protocol tests.
final class RawClient {
    let fd: Int32

    init(port: Int, receiveTimeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var tv = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(port).bigEndian)
        sin.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 { throw SyscallError(function: "connect", errno: errno) }
    }

    deinit { Glibc.close(fd) }

    func close() { shutdown(fd, Int32(SHUT_RDWR)) }

    func send(_ s: String) { send(Array(s.utf8)) }

    func send(_ b: [UInt8]) {
        var off = 0
        while off < b.count {
            let n = b[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    /// Reads one chunk; nil on EOF, timeout or error.
    func readSome() -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? Array(buf[0..<n]) : nil
    }

    /// Reads until the peer closes (or the timeout); returns everything read.
    func readToEnd() -> String {
        var all: [UInt8] = []
        while let b = readSome() { all += b }
        return String(decoding: all, as: UTF8.self)
    }

    /// Reads until `text` has appeared `count` times (or EOF/timeout).
    func read(until text: String, count: Int = 1) -> String {
        var all = ""
        while all.components(separatedBy: text).count - 1 < count, let b = readSome() {
            all += String(decoding: b, as: UTF8.self)
        }
        return all
    }

    /// True if the peer closed the connection (read returns 0) within the timeout.
    func isClosedByPeer() -> Bool {
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }
}

/// Runs a command with a timeout; returns exit status and output.
func run(_ args: [String], stdin: String? = nil, timeout: TimeInterval = 60) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
    try inp.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(timeout)
    // Read pipes on a background queue so a large output cannot block the child.
    nonisolated(unsafe) var o = Data(), e = Data()
    let g = DispatchGroup()
    DispatchQueue.global().async(group: g) { o = out.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: g) { e = err.fileHandleForReading.readDataToEndOfFile() }
    while p.isRunning && Date() < deadline { usleep(10_000) }
    if p.isRunning { p.terminate() }
    g.wait()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// Waits (bounded) until `condition` holds.
func eventually(timeoutSeconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(timeoutSeconds)
    while Date() < end {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}

/// Open file descriptors of this process.
func openFDCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
}

/// Monotonic nanoseconds.
func nowNanos() -> UInt64 { Syscall.now() }

/// The router most integration tests use.
func makeTestRouter() -> Router {
    var r = Router()
    r.get("/json") { _, res in res.respond(.json(#"{"ok":true}"#)) }
    r.get("/big") { _, res in
        res.respond(.json("[" + Array(repeating: #"{"token":"hello world"}"#, count: 400).joined(separator: ",") + "]"))
    }
    r.post("/echo") { req, res in res.respond(HTTPResponse(headers: ["Content-Type": "application/octet-stream"], body: req.body)) }
    r.get("/v1/models/{id}") { req, res in res.respond(.json(#"{"id":"\#(req.pathParameters["id"] ?? "")"}"#)) }
    r.get("/health") { _, res in res.respond(.json(#"{"status":"ok"}"#)) }
    r.get("/slow") { _, res in
        // CPU work off the loop thread, answer later from that thread.
        Thread.detachNewThread {
            usleep(50_000)
            res.respond(.json(#"{"slow":true}"#))
        }
    }
    r.get("/stream") { req, res in
        let n = Int(req.query("n") ?? "3") ?? 3
        Thread.detachNewThread {
            let s = res.startStream(headers: ["Content-Type": "text/plain"])
            for i in 0..<n { s.write("line \(i)\n") }
            s.finish()
        }
    }
    return r
}
