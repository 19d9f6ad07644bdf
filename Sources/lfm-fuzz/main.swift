import ArgumentParser
import Foundation
import LFMFuzz

/// `lfm-fuzz`: the seeded in-process fuzzer for LFMServe's untrusted-input parsers
/// (docs/reliability.md, "Fuzzing"). `scripts/fuzz.sh` runs every target under AddressSanitizer
/// and UndefinedBehaviorSanitizer.
@main
struct LFMFuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lfm-fuzz",
        abstract: "Fuzz a parser of untrusted input with seeded mutations of a corpus.",
        discussion: "Targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")). "
            + "A crash saves the input to crash-<target>-<seed>.bin, a hang to timeout-<target>-<seed>.bin.")

    @Option(help: "The parser to fuzz: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")).")
    var target: String

    @Option(help: "Number of executions.")
    var iterations: Int = 1_000_000

    @Option(help: "Seed of the mutation sequence.")
    var seed: UInt64 = 1

    @Option(help: "Folder of seed inputs (default: Tests/Fixtures/fuzz/<target>).")
    var corpus: String?

    @Option(name: .customLong("max-len"), help: "Longest generated input in bytes (default per target).")
    var maxLength: Int?

    @Option(help: "Seconds one input may run before it counts as a hang.")
    var timeout: Double = 5

    @Option(name: .customLong("artifacts"), help: "Folder for crashing or hanging inputs.")
    var artifacts: String = "."

    func run() throws {
        guard let kind = FuzzTarget(rawValue: target) else {
            throw ValidationError("unknown target '\(target)' (expected one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard iterations >= 0 else { throw ValidationError("--iterations must not be negative") }
        if let maxLength, maxLength < 1 { throw ValidationError("--max-len must be at least 1") }
        let folder = corpus ?? "Tests/Fixtures/fuzz/\(kind.rawValue)"
        let seeds: [[UInt8]]
        do {
            seeds = try FuzzDriver.loadCorpus(folder)
        } catch {
            throw ValidationError("cannot read corpus folder '\(folder)': \(error.localizedDescription)")
        }
        print("lfm-fuzz: target \(kind.rawValue), seed \(seed), \(iterations) executions, \(seeds.count) seed inputs from \(folder)")
        let report = FuzzDriver.run(FuzzConfiguration(target: kind, iterations: iterations, seed: seed, corpus: seeds,
                                                      maxLength: maxLength, timeoutSeconds: timeout, artifactDirectory: artifacts))
        print(report)
    }
}
