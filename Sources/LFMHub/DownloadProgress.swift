import Logging

/// How download progress is reported.
public enum ProgressStyle: Sendable, Equatable {
    /// One updating line on a terminal (file, bytes done / total, rate, ETA).
    case terminal
    /// Plain log lines: the end of each file; the start and every 10 % of large ones (≥ 8 MiB).
    case log
    /// Nothing beyond debug logs.
    case none
}

/// Progress of one file's download: rate and ETA, rendered as an updating terminal line or
/// as log lines. The clock and the terminal writer are injected, so output is tested exactly.
package final class DownloadProgress {
    private let file: String
    private let total: Int?
    private let style: ProgressStyle
    private let logger: Logger
    private let now: () -> Double
    private let writeTerminal: (String) -> Void
    private let started: Double
    private let resumedFrom: Int
    private(set) var done: Int
    private var lastDraw: Double = -1
    private var lastDrawnDone = -1
    private var lastDecile = 0

    /// Files smaller than this get no intermediate log lines.
    static let logStepMinimumBytes = 8 << 20

    package init(file: String, total: Int?, resumedFrom: Int, style: ProgressStyle, logger: Logger,
                 now: @escaping () -> Double, writeTerminal: @escaping (String) -> Void) {
        self.file = file
        self.total = total
        self.style = style
        self.logger = logger
        self.now = now
        self.writeTerminal = writeTerminal
        self.resumedFrom = resumedFrom
        self.done = resumedFrom
        self.started = now()
        if let total { lastDecile = total > 0 ? resumedFrom * 10 / total : 0 }
        let size = total.map(Self.formatBytes) ?? "unknown size"
        let resumeNote = resumedFrom > 0 ? ", resuming at \(Self.formatBytes(resumedFrom))" : ""
        switch style {
        case .log where (total ?? Int.max) >= Self.logStepMinimumBytes || resumedFrom > 0:
            logger.info("downloading \(file) (\(size)\(resumeNote))")
        case .terminal:
            draw(force: true)
        case .log, .none:
            logger.debug("downloading \(file) (\(size)\(resumeNote))")
        }
    }

    /// Bytes per second received in this session (resumed bytes do not count).
    package var rate: Double {
        let elapsed = now() - started
        return elapsed > 0 ? Double(done - resumedFrom) / elapsed : 0
    }

    /// Records `n` more bytes.
    package func advance(by n: Int) {
        done += n
        switch style {
        case .terminal:
            draw(force: false)
        case .log:
            guard let total, total >= Self.logStepMinimumBytes else { return }
            let decile = done * 10 / max(total, 1)
            if decile > lastDecile && decile < 10 {
                lastDecile = decile
                logger.info("\(file): \(decile * 10)% (\(Self.formatBytes(done)) of \(Self.formatBytes(total)), \(Self.formatBytes(Int(rate)))/s)")
            }
        case .none:
            break
        }
    }

    /// Ends the report after a complete transfer.
    package func finish() {
        let elapsed = now() - started
        let summary = "\(file): \(Self.formatBytes(done)) in \(Self.formatDuration(elapsed)) (\(Self.formatBytes(Int(rate)))/s)"
        switch style {
        case .terminal:
            if lastDrawnDone != done { draw(force: true) }
            writeTerminal("\n")
        case .log:
            logger.info("downloaded \(summary)")
        case .none:
            logger.debug("downloaded \(summary)")
        }
    }

    /// Ends the terminal line after a failed transfer (the caller logs the reason).
    package func abandon() {
        if style == .terminal { writeTerminal("\n") }
    }

    private func draw(force: Bool) {
        let t = now()
        guard force || t - lastDraw >= 0.1 else { return }
        lastDraw = t
        lastDrawnDone = done
        writeTerminal("\r" + Self.line(file: file, done: done, total: total, bytesPerSecond: rate) + "\u{1B}[K")
    }

    /// The terminal line: `config.json  45.2 MiB / 1.40 GiB  32%  12.3 MiB/s  ETA 1:52`.
    package static func line(file: String, done: Int, total: Int?, bytesPerSecond: Double) -> String {
        var parts = [file]
        if let total {
            parts.append("\(formatBytes(done)) / \(formatBytes(total))")
            parts.append("\(total > 0 ? min(100, done * 100 / total) : 100)%")
        } else {
            parts.append(formatBytes(done))
        }
        parts.append(bytesPerSecond > 0 ? "\(formatBytes(Int(bytesPerSecond)))/s" : "-- B/s")
        if let total {
            if done >= total {
                parts.append("done")
            } else if bytesPerSecond > 0 {
                parts.append("ETA " + formatDuration(Double(total - done) / bytesPerSecond))
            } else {
                parts.append("ETA --")
            }
        }
        return parts.joined(separator: "  ")
    }

    /// `512 B`, `1.5 KiB`, `45.2 MiB`, `1.40 GiB` (binary units, as huggingface_hub's tqdm bars).
    package static func formatBytes(_ n: Int) -> String {
        if n < 1024 { return "\(n) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var v = Double(n) / 1024
        var i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        let digits = i >= 2 && v < 10 ? 2 : 1
        return formatFixed(v, digits: digits) + " " + units[i]
    }

    /// `0:05`, `1:52`, `1:02:03`.
    package static func formatDuration(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.rounded()))
        let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60)
        let ss = sec < 10 ? "0\(sec)" : "\(sec)"
        if h > 0 { return "\(h):\(m < 10 ? "0\(m)" : "\(m)"):\(ss)" }
        return "\(m):\(ss)"
    }

    private static func formatFixed(_ v: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((v * scale).rounded())
        let whole = scaled / Int(scale)
        var frac = String(scaled % Int(scale))
        while frac.count < digits { frac = "0" + frac }
        return "\(whole).\(frac)"
    }
}
