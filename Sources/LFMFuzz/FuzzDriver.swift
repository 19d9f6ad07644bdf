import Foundation
import Locking
import Synchronization

/// Settings of one fuzzing run.
public struct FuzzConfiguration: Sendable {
    /// What to fuzz.
    public var target: FuzzTarget
    /// Executions to run (the seed corpus replay counts).
    public var iterations: Int
    /// Seed of the mutation sequence: the same seed and corpus replay the same inputs.
    public var seed: UInt64
    /// Seed inputs (at least one; an empty input is used when none is given).
    public var corpus: [[UInt8]]
    /// Longest generated input.
    public var maxLength: Int
    /// An input running longer than this is a hang: it is saved and the process aborts.
    public var timeoutSeconds: Double
    /// Where a hanging or crashing input is written.
    public var artifactDirectory: String
    /// Seconds between progress lines (0: none).
    public var progressInterval: Double

    /// Creates a configuration; defaults: the target's maximum length, a 5 s hang timeout,
    /// artifacts in the current directory, progress every 5 s.
    public init(target: FuzzTarget, iterations: Int, seed: UInt64, corpus: [[UInt8]], maxLength: Int? = nil,
                timeoutSeconds: Double = 5, artifactDirectory: String = ".", progressInterval: Double = 5) {
        self.target = target
        self.iterations = iterations
        self.seed = seed
        self.corpus = corpus
        self.maxLength = maxLength ?? target.defaultMaxLength
        self.timeoutSeconds = timeoutSeconds
        self.artifactDirectory = artifactDirectory
        self.progressInterval = progressInterval
    }
}

/// What a run did.
public struct FuzzReport: Sendable, CustomStringConvertible {
    public var target: FuzzTarget
    public var seed: UInt64
    public var executions: Int
    public var seconds: Double
    /// Inputs kept as mutation bases (seeds plus inputs that reached a new outcome).
    public var corpusSize: Int
    /// Distinct outcome signatures seen (errors by kind and message, successes).
    public var outcomes: Int
    /// The slowest single execution.
    public var slowestSeconds: Double

    public var executionsPerSecond: Double { seconds > 0 ? Double(executions) / seconds : 0 }

    /// The final line: `lfm-fuzz: target … executions … exec/s … no crash, no hang`.
    public var description: String {
        "lfm-fuzz: target \(target.rawValue) seed \(seed): \(executions) executions in "
            + String(format: "%.1f s (%.0f exec/s), corpus %d, %d distinct outcomes, slowest input %.3f s; no crash, no hang",
                     seconds, executionsPerSecond, corpusSize, outcomes, slowestSeconds)
    }
}

/// The current input, reachable from a signal handler (which cannot capture context).
nonisolated(unsafe) private var crashBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
nonisolated(unsafe) private var crashLength = 0
nonisolated(unsafe) private var crashPath: UnsafeMutablePointer<CChar>?

private func saveCrashInput(_ signal: Int32) {
    if let path = crashPath {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd >= 0 {
            _ = write(fd, crashBuffer.baseAddress, crashLength)
            close(fd)
            let note = "\nlfm-fuzz: crashing input saved to "
            _ = note.withCString { write(2, $0, strlen($0)) }
            _ = write(2, path, strlen(path))
            _ = write(2, "\n", 1)
        }
    }
    Foundation.signal(signal, SIG_DFL)
    raise(signal)
}

/// Runs a seeded, in-process mutation fuzzer over one ``FuzzTarget``: replays the corpus,
/// then mutates corpus entries (``Mutator``) for the configured number of executions. A crash
/// (trap, sanitizer report, failed oracle) saves the input to `crash-<target>-<seed>.bin`
/// before the process dies; a watchdog thread saves an input that runs longer than the timeout
/// to `timeout-<target>-<seed>.bin` and aborts.
public enum FuzzDriver {
    final class Watch: Sendable {
        /// Start of the running execution in uptime nanoseconds, 0 between executions.
        let started = Atomic<UInt64>(0)
        let stop = Atomic<Bool>(false)
        let input = Locked<[UInt8]>([])
    }

    public static func run(_ config: FuzzConfiguration, log: @escaping @Sendable (String) -> Void = { print($0) }) -> FuzzReport {
        let target = config.target
        let mutator = Mutator(dictionary: target.dictionary, maxLength: config.maxLength)
        var random = FuzzRandom(seed: config.seed)
        var corpus = config.corpus.isEmpty ? [[]] : config.corpus.map { Array($0.prefix(config.maxLength)) }
        var outcomes: Set<String> = []
        let directory = config.artifactDirectory
        let base = "\(target.rawValue)-\(config.seed).bin"
        if crashBuffer.count < config.maxLength {
            crashBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: config.maxLength, alignment: 16)
        }
        crashPath = strdup("\(directory)/crash-\(base)")
        for sig in [SIGABRT, SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE] {
            // Keep a sanitizer's own handler (it reports, then aborts into ours).
            #if canImport(Glibc)
            var old = sigaction()
            sigaction(sig, nil, &old)
            guard old.__sigaction_handler.sa_handler == nil else { continue }
            #endif
            signal(sig) { saveCrashInput($0) }
        }

        let watch = Watch()
        let timeoutNanos = UInt64(config.timeoutSeconds * 1e9)
        let hangPath = "\(directory)/timeout-\(base)"
        let watchdog = Thread {
            while !watch.stop.load(ordering: .relaxed) {
                usleep(100_000)
                let t = watch.started.load(ordering: .acquiring)
                if t != 0, DispatchTime.now().uptimeNanoseconds - t > timeoutNanos {
                    let input = watch.input.withLock { $0 }
                    _ = FileManager.default.createFile(atPath: hangPath, contents: Data(input))
                    log("lfm-fuzz: an input ran longer than \(config.timeoutSeconds) s; saved to \(hangPath)")
                    abort()
                }
            }
        }
        watchdog.start()
        defer { watch.stop.store(true, ordering: .relaxed) }

        let start = DispatchTime.now().uptimeNanoseconds
        var lastReport = start
        var slowest: UInt64 = 0
        var executions = 0
        while executions < config.iterations {
            let input: [UInt8]
            if executions < corpus.count && executions < config.corpus.count {
                input = corpus[executions]   // replay the seeds (and committed regressions) first
            } else {
                input = mutator.mutate(corpus[random.below(corpus.count)], corpus: corpus, random: &random)
            }
            input.withUnsafeBytes { crashBuffer.baseAddress!.copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(crashBuffer.baseAddress!), byteCount: $0.count) }
            crashLength = input.count
            watch.input.withLock { $0 = input }
            let t0 = DispatchTime.now().uptimeNanoseconds
            watch.started.store(t0, ordering: .releasing)
            let outcome = target.run(input)
            let t1 = DispatchTime.now().uptimeNanoseconds
            watch.started.store(0, ordering: .releasing)
            slowest = max(slowest, t1 - t0)
            executions += 1
            if outcomes.insert(outcome).inserted, corpus.count < 4096, executions > config.corpus.count {
                corpus.append(input)
            }
            if config.progressInterval > 0, Double(t1 - lastReport) / 1e9 >= config.progressInterval {
                lastReport = t1
                let seconds = Double(t1 - start) / 1e9
                log(String(format: "#%d  %.0f exec/s  corpus %d  outcomes %d", executions, Double(executions) / seconds,
                           corpus.count, outcomes.count))
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return FuzzReport(target: target, seed: config.seed, executions: executions, seconds: seconds,
                          corpusSize: corpus.count, outcomes: outcomes.count, slowestSeconds: Double(slowest) / 1e9)
    }

    /// Reads every regular file of `directory` as one corpus entry (sorted by name).
    public static func loadCorpus(_ directory: String) throws -> [[UInt8]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        return names.compactMap { name in
            guard !name.hasPrefix("."), !name.hasSuffix(".md") else { return nil }
            return FileManager.default.contents(atPath: "\(directory)/\(name)").map { [UInt8]($0) }
        }
    }
}
