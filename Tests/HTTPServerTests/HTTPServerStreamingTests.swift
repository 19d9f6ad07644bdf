import Foundation
import Locking
import Synchronization
import Testing
@testable import HTTPServer

extension IntegrationTests {
    /// 10,000 SSE events pushed from another thread arrive complete and in order.
    /// Each event carries its send time; the per-event delay is logged, not asserted.
    @Test func sseTenThousandEventsInOrder() async throws {
        var router = Router()
        router.get("/events") { _, res in
            Thread.detachNewThread {
                let s = res.startSSE()
                for i in 0..<10_000 {
                    if !s.isWritable {
                        let sem = DispatchSemaphore(value: 0)
                        s.onWritable { sem.signal() }
                        sem.wait()
                    }
                    s.send(SSEEvent(data: "\(i) \(nowNanos())"))
                }
                s.send(SSEEvent(data: "[DONE]"))
                s.finish()
            }
        }
        let t = try TestServer(router: router)
        let c = try RawClient(port: t.port, receiveTimeoutSeconds: 30)
        c.send("GET /events HTTP/1.1\r\nHost: a\r\n\r\n")
        var text = ""
        var delays: [UInt64] = []
        var pending: [UInt8] = []
        var expected = 0
        var inOrder = true
        while !text.hasSuffix("0\r\n\r\n"), let b = c.readSome() {
            let now = nowNanos()
            pending += b
            // Scan complete "data: i t" lines as they arrive.
            while let nl = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                text = line == "0\r" ? "0\r\n\r\n" : text
                guard line.hasPrefix("data: "), !line.hasPrefix("data: [DONE]") else { continue }
                let parts = line.dropFirst(6).split(separator: " ")
                if parts.count == 2, let i = Int(parts[0]), let sent = UInt64(parts[1]) {
                    if i != expected { inOrder = false }
                    expected += 1
                    delays.append(now &- sent)
                }
            }
        }
        #expect(expected == 10_000)
        #expect(inOrder)
        delays.sort()
        if !delays.isEmpty {
            let p50 = Double(delays[delays.count / 2]) / 1e6
            let p99 = Double(delays[delays.count * 99 / 100]) / 1e6
            let mx = Double(delays.last!) / 1e6
            print("SSE 10k events: per-event delay p50 \(p50) ms, p99 \(p99) ms, max \(mx) ms")
        }
        await t.stop()
    }

    /// Paced events (one per millisecond, like fast token streaming): the delay from
    /// `send` to the client's read is the server's own latency. Logged, not asserted.
    @Test func ssePacedEventLatency() async throws {
        var router = Router()
        router.get("/paced") { _, res in
            Thread.detachNewThread {
                let s = res.startSSE()
                for i in 0..<300 {
                    s.send(SSEEvent(data: "\(i) \(nowNanos())"))
                    usleep(1000)
                }
                s.finish()
            }
        }
        let t = try TestServer(router: router)
        let c = try RawClient(port: t.port)
        c.send("GET /paced HTTP/1.1\r\nHost: a\r\n\r\n")
        var delays: [UInt64] = []
        var pending: [UInt8] = []
        var done = false
        while !done, let b = c.readSome() {
            let now = nowNanos()
            pending += b
            while let nl = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                if line == "0\r" { done = true }
                let parts = line.dropFirst(6).split(separator: " ")
                if line.hasPrefix("data: "), parts.count == 2, let sent = UInt64(parts[1]) { delays.append(now &- sent) }
            }
        }
        #expect(delays.count == 300)
        delays.sort()
        if !delays.isEmpty {
            print("SSE paced 300 events: delay p50 \(Double(delays[delays.count / 2]) / 1e3) µs, p99 \(Double(delays[delays.count * 99 / 100]) / 1e3) µs")
        }
        await t.stop()
    }

    /// A client that closes mid-stream is noticed and the handler is told promptly.
    @Test func clientDisconnectCancelsTheStream() async throws {
        let cancelledAt = Atomic<UInt64>(0)
        let producerStopped = Atomic<Bool>(false)
        var router = Router()
        router.get("/gen") { _, res in
            res.onCancel { cancelledAt.store(nowNanos(), ordering: .releasing) }
            Thread.detachNewThread {
                let s = res.startSSE()
                // An "engine" emitting a token every 10 ms until cancelled (bounded).
                for i in 0..<3000 {
                    if s.isCancelled { break }
                    s.send(SSEEvent(data: "token \(i)"))
                    usleep(10_000)
                }
                producerStopped.store(true, ordering: .releasing)
                s.finish()
            }
        }
        let t = try TestServer(router: router)
        let c = try RawClient(port: t.port)
        c.send("GET /gen HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = c.read(until: "token 2")
        let closedAt = nowNanos()
        c.close()
        #expect(eventually { cancelledAt.load(ordering: .acquiring) != 0 })
        let ms = Double(cancelledAt.load(ordering: .acquiring) &- closedAt) / 1e6
        print("disconnect → onCancel: \(ms) ms")
        #expect(ms < 1000, "target 50 ms; generous bound for a loaded machine")
        #expect(eventually { producerStopped.load(ordering: .acquiring) })
        #expect(eventually { t.server.connectionCount == 0 })
        await t.stop()
    }

    /// A client that never reads is disconnected once the stream backlog passes the
    /// hard limit; the producer sees the cancellation. Nothing grows without bound.
    @Test func nonReadingClientIsDisconnected() async throws {
        let result = Locked<(writes: Int, stream: HTTPBodyStream?)>((0, nil))
        var router = Router()
        router.get("/flood") { _, res in
            Thread.detachNewThread {
                let s = res.startStream()
                let chunk = [UInt8](repeating: 120, count: 64 * 1024)
                var n = 0
                while n < 4000, s.write(chunk) { n += 1 }   // at most 256 MiB offered
                result.withLock { $0 = (n, s) }
                s.finish()
            }
        }
        let t = try TestServer(router: router) {
            $0.maxStreamBufferBytes = 1 << 20
            $0.streamHighWaterBytes = 256 << 10
        }
        let c = try RawClient(port: t.port)
        c.send("GET /flood HTTP/1.1\r\nHost: a\r\n\r\n")
        // write() returned false at the hard limit; the cancellation follows on the loop.
        #expect(eventually(timeoutSeconds: 20) { result.withLock { $0.stream?.isCancelled ?? false } })
        let (writes, _) = result.withLock { $0 }
        print("non-reading client: disconnected after \(writes) x 64 KiB writes")
        #expect(writes < 4000)
        #expect(eventually { t.server.connectionCount == 0 })
        await t.stop()
    }

    /// Sequential connections leave the fd count where it started.
    @Test func sequentialConnectionsDoNotLeakFDs() async throws {
        let t = try TestServer(router: makeTestRouter())
        let n = Int(ProcessInfo.processInfo.environment["FD_TEST_CONNECTIONS"] ?? "") ?? 2000
        // Warm up (lazy allocations in the runtime and the loop).
        for _ in 0..<10 {
            let c = try RawClient(port: t.port)
            c.send("GET /json HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            _ = c.readToEnd()
        }
        #expect(eventually { t.server.connectionCount == 0 })
        let baseline = openFDCount()
        for i in 0..<n {
            let c = try RawClient(port: t.port)
            if i % 2 == 0 {
                c.send("GET /json HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                _ = c.readToEnd()
            } else {
                c.send("GET /json HTTP/1.1\r\nHost: a\r\n\r\n")   // client closes first
                _ = c.read(until: "}")
            }
        }
        #expect(eventually { t.server.connectionCount == 0 })
        let after = openFDCount()
        print("fd count: baseline \(baseline), after \(n) connections \(after)")
        #expect(after <= baseline)
        await t.stop()
    }
}

extension IntegrationTests {
    /// A polite producer (waits for writability) facing a client that stopped reading:
    /// the write timeout disconnects the client and the producer's wait ends cancelled.
    @Test func stalledClientHitsTheWriteTimeout() async throws {
        let outcome = OutcomeBox()
        var router = Router()
        router.get("/polite") { _, res in
            Task.detached { await politeProducer(res, outcome) }
        }
        let t = try TestServer(router: router) {
            $0.writeTimeout = .milliseconds(500)
            $0.streamHighWaterBytes = 64 << 10
        }
        let c = try RawClient(port: t.port)
        c.send("GET /polite HTTP/1.1\r\nHost: a\r\n\r\n")
        // Wait with Task.sleep, not usleep: the producer runs on the cooperative pool,
        // which blocking tests on a 2-core machine could otherwise starve.
        for _ in 0..<3000 where outcome.value.withLock({ $0 }) == nil {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(outcome.value.withLock { $0 } == true)
        #expect(eventually { t.server.connectionCount == 0 })
        await t.stop()
    }

    /// Several loop threads share the listener; HEAD on a stream sends no body.
    @Test func multipleLoopsAndHeadOnStream() async throws {
        let t = try TestServer(router: makeTestRouter()) { $0.loopThreads = 3 }
        for _ in 0..<3 {
            let r = try run(["curl", "-s", "\(t.url)/json", "\(t.url)/stream?n=2", "\(t.url)/slow"])
            #expect(r.out == #"{"ok":true}line 0"# + "\nline 1\n" + #"{"slow":true}"#)
        }
        let c = try RawClient(port: t.port)
        c.send("HEAD /stream HTTP/1.1\r\nHost: a\r\n\r\nGET /json HTTP/1.1\r\nHost: a\r\n\r\n")
        let r = c.read(until: "{\"ok\":true}")
        #expect(r.hasPrefix("HTTP/1.1 200 OK"))
        #expect(!r.contains("line 0"))
        #expect(r.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
        await t.stop()
    }
}

/// Holds a test outcome written by another thread.
final class OutcomeBox: Sendable {
    let value = Locked<Bool?>(nil)
}

/// Streams 16 KiB chunks, awaiting writability before each; records whether it ended
/// cancelled.
func politeProducer(_ res: HTTPResponder, _ outcome: OutcomeBox) async {
    let s = res.startStream()
    let chunk = [UInt8](repeating: 121, count: 16 * 1024)
    let start = nowNanos()
    var n = 0
    for _ in 0..<100_000 {
        guard await s.waitUntilWritable() else { break }
        s.write(chunk)
        n += 1
    }
    print("polite producer: \(n) x 16 KiB written before cancellation after \(Double(nowNanos() - start) / 1e9) s")
    outcome.value.withLock { $0 = s.isCancelled }
    s.finish()
}

extension IntegrationTests {
    /// An idle SSE stream gets `: ping` comments; the SSE headers are exact.
    @Test func sseHeadersAndPings() async throws {
        var router = Router()
        router.get("/quiet") { _, res in
            Thread.detachNewThread {
                let s = res.startSSE()
                s.send(SSEEvent(data: "first"))
                usleep(450_000)
                s.send(SSEEvent(data: "last"))
                s.finish()
            }
        }
        let t = try TestServer(router: router) { $0.ssePingInterval = .milliseconds(100) }
        let c = try RawClient(port: t.port)
        c.send("GET /quiet HTTP/1.1\r\nHost: a\r\n\r\n")
        let r = c.read(until: "0\r\n\r\n")
        #expect(r.contains("Content-Type: text/event-stream\r\n"))
        #expect(r.contains("Cache-Control: no-cache\r\n"))
        #expect(r.contains("X-Accel-Buffering: no\r\n"))
        #expect(r.contains("Transfer-Encoding: chunked\r\n"))
        #expect(r.contains("8\r\n: ping\n\n\r\n"))
        #expect(r.contains("data: first\n\n") && r.contains("data: last\n\n"))
        await t.stop()
    }
}
