#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file. Weights are used in place from the map, so the
/// resident memory of a loaded model stays close to the file size and pages are shared
/// between processes that map the same checkpoint.
public final class MappedFile: @unchecked Sendable {
    // Safety: the mapping is read-only and immutable for the object's lifetime.
    /// The file's path, for error messages.
    public let path: String
    /// Start of the mapping.
    public let base: UnsafeRawPointer
    /// Length in bytes.
    public let count: Int

    /// Maps `path`. - Throws: `ModelError.missingFile` or `.corrupt` when it cannot be opened or mapped.
    public init(path: String, purpose: String = "checkpoint") throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ModelError.missingFile(path, purpose) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelError.corrupt(path, "cannot stat") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ModelError.corrupt(path, "not a regular file") }
        count = Int(st.st_size)
        if count == 0 {
            base = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64))
            isMapped = false
            return
        }
        guard let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw ModelError.corrupt(path, "mmap failed (errno \(errno))")
        }
        base = UnsafeRawPointer(p)
        isMapped = true
    }

    /// A private copy of `bytes` presented like a mapped file (no file is opened). Used to
    /// parse headers held in memory, e.g. by the fuzzer (docs/reliability.md); `path` only
    /// names the data in error messages.
    public init(copying bytes: [UInt8], path: String) {
        self.path = path
        count = bytes.count
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 64)
        bytes.withUnsafeBytes { if let src = $0.baseAddress { p.copyMemory(from: src, byteCount: bytes.count) } }
        base = UnsafeRawPointer(p)
        isMapped = false
    }

    private let isMapped: Bool

    deinit {
        if isMapped { munmap(UnsafeMutableRawPointer(mutating: base), count) } else { base.deallocate() }
    }

    /// Tells the kernel the whole pages inside `start ..< start + bytes` are not needed now
    /// (a packed copy replaced them): they leave the resident set and are read again from
    /// the file only if touched.
    func release(_ start: UnsafeRawPointer, bytes: Int) {
        guard isMapped else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lo = (Int(bitPattern: start) + page - 1) / page * page
        let hi = (Int(bitPattern: start) + bytes) / page * page
        guard hi > lo, lo >= Int(bitPattern: base), hi <= Int(bitPattern: base) + count else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: lo), hi - lo, Int32(MADV_DONTNEED))
    }

    /// Reads a little-endian integer at `offset`, or throws if the file is too short.
    func read<T: FixedWidthInteger>(_: T.Type, at offset: Int) throws -> T {
        guard offset >= 0, offset <= count - MemoryLayout<T>.size else {
            throw ModelError.corrupt(path, "unexpected end of file at byte \(offset)")
        }
        return T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// Whole-file reads of small metadata files (config.json).
public enum SmallFile {
    /// Reads a whole file with a plain read loop, so it also works for pipes and other files
    /// whose size is unknown up front. nil when it cannot be opened or read.
    public static func bytes(path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }
}
