import Foundation

extension ProcessInfo {
    /// Resident set size of this process in bytes (from /proc/self/statm; 0 where unavailable).
    public static var residentBytes: Int {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let parts = s.split(separator: " ")
        guard parts.count > 1, let pages = Int(parts[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

extension ProcessInfo {
    /// Returns the allocator's free memory to the system (glibc `malloc_trim`): loading a model
    /// frees tens of MB of parse-time buffers (tokenizer tables, GGUF metadata) that would
    /// otherwise stay resident in the heap for the life of the process. No-op without glibc.
    public static func releaseFreedMemory() {
        // Looked up at run time: Swift's Glibc module does not carry <malloc.h>.
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        typealias Trim = @convention(c) (Int) -> Int32
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }
}
