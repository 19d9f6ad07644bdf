import Testing
#if canImport(Glibc)
import Glibc
#endif
import LFMTestSupport
@testable import HTTP1

/// Seeded mutation fuzzing of the request parser: no crash, no hang (every feed makes
/// bounded progress), bounded memory (the buffer never exceeds input plus limits).
/// Default 200,000 mutations; `FUZZ_ITERATIONS=1000000 swift test --filter Fuzz` for more,
/// `FUZZ_SEED=n` to change the seed.
@Suite struct HTTPParserFuzzTests {
    static let corpus: [String] = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Length: 13\r\nContent-Type: application/json\r\n\r\n{\"model\":\"x\"}",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: v\r\n\r\n",
        "GET /a?b=c HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.1\r\nHost: b\r\nExpect: 100-continue\r\n\r\n",
    ]

    @Test func randomMutationsNeverCrashOrHang() {
        let env = getenv("FUZZ_ITERATIONS").map { String(cString: $0) }
        let iterations = env.flatMap { Int($0) } ?? 200_000
        let seed = getenv("FUZZ_SEED").map { String(cString: $0) }.flatMap { UInt64($0) } ?? 0x5EED
        var rng = SplitMix64(seed: seed)
        var limits = HTTPParser.Limits()
        limits.maxHeaderBytes = 512
        limits.maxBodyBytes = 1024
        limits.maxURILength = 256
        limits.maxHeaderCount = 16
        let interesting: [UInt8] = Array("\r\n :;0123456789abcdefABCDEF\t\u{0}\u{7f}\u{ff}chunked".utf8)
        var counts = [String: Int]()
        for i in 0..<iterations {
            var input = Array(Self.corpus[i % Self.corpus.count].utf8)
            let mutations = Int.random(in: 1...4, using: &rng)
            for _ in 0..<mutations {
                let pos = Int.random(in: 0...input.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0 where pos < input.count: input[pos] = UInt8.random(in: 0...255, using: &rng)
                case 1 where pos < input.count: input.remove(at: pos)
                case 2: input.insert(interesting.randomElement(using: &rng)!, at: pos)
                case 3:
                    let n = Int.random(in: 1...64, using: &rng)
                    input.insert(contentsOf: repeatElement(interesting.randomElement(using: &rng)!, count: n), at: pos)
                default:
                    if pos < input.count { input.swapAt(pos, Int.random(in: 0..<input.count, using: &rng)) }
                }
            }
            // Feed in random pieces; the number of next() calls per piece is bounded.
            var p = HTTPParser(limits: limits)
            var offset = 0
            var outcome = "need-more"
            outer: while offset < input.count {
                let n = Int.random(in: 1...max(1, input.count - offset), using: &rng)
                p.feed(input[offset..<offset + n])
                offset += n
                for _ in 0..<64 {
                    switch p.next() {
                    case .needMoreData: continue outer
                    case .error: outcome = "error"; break outer
                    case .head, .end: outcome = "parsed"
                    }
                }
                Issue.record("parser made no progress in 64 steps (iteration \(i))")
                return
            }
            #expect(p.bufferedByteCount <= input.count)
            counts[outcome, default: 0] += 1
        }
        print("fuzz: \(iterations) mutations, seed \(seed), outcomes \(counts)")
    }
}
