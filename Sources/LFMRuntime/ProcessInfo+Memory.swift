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
