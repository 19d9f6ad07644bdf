/// Settings of the doom-loop guard: a generation whose newest tokens are one block of at most
/// `window` tokens repeated `repeats` times back to back is stuck, and ends (finish reason
/// `.loop`; the API reports `finish_reason: "length"` with `stop_reason: "loop"`, docs/api.md).
public struct LoopGuardSettings: Sendable, Equatable {
    /// Longest repeating block looked for, in tokens (1…1024).
    public var window: Int
    /// How many back-to-back copies of the block count as a loop (2…1024).
    public var repeats: Int

    public static let windowRange = 1...1024
    public static let repeatsRange = 2...1024

    public init(window: Int, repeats: Int) {
        self.window = window
        self.repeats = repeats
    }

    /// Reads `WINDOW:REPEATS` (e.g. `32:4`); `off` is nil. Returns `.failure` with what is
    /// expected when the text is neither.
    public static func parse(_ text: String) -> Result<LoopGuardSettings?, LoopGuardSyntaxError> {
        let t = text.lowercased()
        if t == "off" || t == "none" || t == "false" { return .success(nil) }
        let parts = t.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let r = Int(parts[1]), windowRange.contains(w), repeatsRange.contains(r) else {
            return .failure(LoopGuardSyntaxError())
        }
        return .success(LoopGuardSettings(window: w, repeats: r))
    }
}

/// A loop-guard value that is not `WINDOW:REPEATS` or `off`.
public struct LoopGuardSyntaxError: Error, Equatable, CustomStringConvertible {
    public var description: String {
        "WINDOW:REPEATS with WINDOW in \(LoopGuardSettings.windowRange.lowerBound)…\(LoopGuardSettings.windowRange.upperBound) and REPEATS in \(LoopGuardSettings.repeatsRange.lowerBound)…\(LoopGuardSettings.repeatsRange.upperBound) (e.g. 32:4), or off"
    }
}

/// The detector, a pure function of the generated tokens: checked after each new token, it
/// looks for a period p ≤ window such that the last p · repeats tokens are p-periodic.
/// Cost per token O(window · window · repeats) comparisons in the worst case, typically a
/// few (most periods fail at the first comparison).
public enum LoopGuard {
    /// Whether `generated` (the tokens generated so far, oldest first) ends in a loop.
    public static func isLooping(_ generated: ArraySlice<Int>, _ settings: LoopGuardSettings) -> Bool {
        let n = generated.count
        let end = generated.endIndex
        for p in 1...settings.window {
            let span = p * settings.repeats
            if span > n { break }
            var periodic = true
            var k = end - 1
            // Every token of the span after the first copy equals the token p before it.
            while k >= end - span + p {
                if generated[k] != generated[k - p] { periodic = false; break }
                k -= 1
            }
            if periodic { return true }
        }
        return false
    }

    /// The period found, for tests and logs (nil when not looping).
    public static func period(_ generated: ArraySlice<Int>, _ settings: LoopGuardSettings) -> Int? {
        for p in 1...settings.window {
            if isLooping(generated, LoopGuardSettings(window: p, repeats: settings.repeats)) { return p }
        }
        return nil
    }
}
