import Foundation
import LFMTestSupport
import Testing
@testable import LFMFuzz

/// A short seeded run of every fuzz target in-process, so CI covers the parsers of untrusted
/// input on every change (the ≥ 1M-execution runs are `scripts/fuzz.sh`, docs/reliability.md).
/// A crash, a trap or a violated oracle kills the test process with the input saved.
@Suite struct FuzzDriverTests {
    /// Executions per target: a few seconds in a debug build.
    static func executions(_ target: FuzzTarget) -> Int {
        switch target {
        case .jinja, .pyliteral: 2_000
        case .safetensors: 4_000
        case .json, .gguf: 8_000
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func shortSeededRun(_ target: FuzzTarget) throws {
        let corpus = try FuzzDriver.loadCorpus(Fixtures.url("fuzz/\(target.rawValue)").path)
        #expect(!corpus.isEmpty, "seed corpus Tests/Fixtures/fuzz/\(target.rawValue)")
        let dir = try Fixtures.temporaryDirectory("lfm-fuzz")
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = FuzzDriver.run(FuzzConfiguration(target: target, iterations: Self.executions(target), seed: 20_261_129,
                                                      corpus: corpus, timeoutSeconds: 60, artifactDirectory: dir.path,
                                                      progressInterval: 0), log: { _ in })
        #expect(report.executions == Self.executions(target))
        // The mutations reach more than one outcome (errors of several kinds, and successes).
        #expect(report.outcomes > 3, "\(report)")
    }

    @Test func seedsReachSuccessfulParses() throws {
        // Each committed seed corpus holds inputs the parser accepts, so mutations start from
        // valid structure rather than from noise.
        for target in FuzzTarget.allCases {
            let corpus = try FuzzDriver.loadCorpus(Fixtures.url("fuzz/\(target.rawValue)").path)
            let accepted = corpus.filter { target.run($0).hasPrefix("ok") || target.run($0).hasPrefix("calls:") }
            #expect(!accepted.isEmpty, "\(target)")
        }
    }

    @Test func mutationsAreReproducibleAndBounded() {
        let mutator = Mutator(dictionary: FuzzTarget.json.dictionary, maxLength: 64)
        let seed: [UInt8] = Array(#"{"a": [1, 2, {"b": null}]}"#.utf8)
        var r1 = FuzzRandom(seed: 7), r2 = FuzzRandom(seed: 7)
        var a = seed, b = seed
        var changed = 0
        for _ in 0..<2_000 {
            a = mutator.mutate(a, corpus: [seed], random: &r1)
            b = mutator.mutate(b, corpus: [seed], random: &r2)
            #expect(a == b)
            #expect(a.count <= 64)
            if a != seed { changed += 1 }
        }
        #expect(changed > 1_000)
    }

    @Test func boundaryValuesLandInIntegerFields() {
        // Over many mutations of an all-zero header, the integer-boundary mutation writes
        // UInt64.max somewhere (8 bytes of 0xFF).
        let mutator = Mutator(dictionary: [], maxLength: 64)
        var random = FuzzRandom(seed: 1)
        let zero = [UInt8](repeating: 0, count: 32)
        let found = (0..<5_000).contains { _ in
            let m = mutator.mutate(zero, corpus: [], random: &random)
            return m.count >= 8 && (0...(m.count - 8)).contains { i in m[i..<(i + 8)].allSatisfy { $0 == 0xFF } }
        }
        #expect(found)
    }
}
