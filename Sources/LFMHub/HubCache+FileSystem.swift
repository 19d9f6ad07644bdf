import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// File operations on the cache. Every write is atomic (temporary name + `rename`) or
/// idempotent, so a crash or a concurrent writer never leaves a half-written ref or link.
extension HubCache {
    /// The commit hash `refs/<revision>` holds, nil when there is none.
    public func readRef(_ repoID: String, revision: String) -> String? {
        guard let text = HubEnvironment.readSmallFile(refPath(repoID, revision: revision))?.trimmingWhitespace,
              HubModelReference.isCommitHash(text) else { return nil }
        return text
    }

    /// Points `refs/<revision>` at `commit` (no-op for a commit revision or an unchanged ref),
    /// written to a unique temporary file and renamed, as huggingface_hub does.
    public func writeRef(_ repoID: String, revision: String, commit: String) throws(HubError) {
        guard revision != commit, readRef(repoID, revision: revision) != commit else { return }
        let path = refPath(repoID, revision: revision)
        try Self.makeDirectory(Self.parent(of: path))
        let tmp = path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        try Self.writeFile(tmp, Array(commit.utf8))
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw .fileSystem(path: path, detail: "cannot write ref: \(Self.errnoText(e))")
        }
    }

    /// Writes `CACHEDIR.TAG` at the cache root if it is missing (best effort, as huggingface_hub).
    public func writeCacheDirTag() {
        let path = root + "/CACHEDIR.TAG"
        guard access(path, F_OK) != 0 else { return }
        try? Self.writeFile(path, Array(Self.cacheDirTagContent.utf8))
    }

    /// Makes `snapshots/<commit>/<file>` a relative symlink to `blobs/<etag>`. An existing
    /// correct link is kept; anything else at that name is replaced.
    public func linkSnapshotFile(_ repoID: String, commit: String, file: String, etag: String) throws(HubError) {
        let path = snapshotPath(repoID, commit: commit, file: file)
        let target = Self.symlinkTarget(file: file, etag: etag)
        try Self.makeDirectory(Self.parent(of: path))
        for _ in 0..<3 {
            if let existing = Self.readLink(path) {
                if existing == target { return }
                unlink(path)
            } else if access(path, F_OK) == 0 {
                unlink(path)
            }
            if symlink(target, path) == 0 { return }
            let e = errno
            // Another process linked it between our check and symlink(2): look again.
            guard e == EEXIST else { throw .fileSystem(path: path, detail: "cannot create symlink: \(Self.errnoText(e))") }
        }
        throw .fileSystem(path: path, detail: "cannot create symlink: it keeps being replaced")
    }

    /// Regular files (following symlinks) under `snapshots/<commit>`, as repository-relative
    /// names; broken links are left out.
    public func snapshotFiles(_ repoID: String, commit: String) -> [String] {
        let dir = snapshotDirectory(repoID, commit: commit)
        guard let walker = FileManager.default.enumerator(atPath: dir) else { return [] }
        var files: [String] = []
        while let rel = walker.nextObject() as? String {
            if Self.regularFileSize(dir + "/" + rel) != nil { files.append(rel) }
        }
        return files.sorted()
    }

    // MARK: - Small POSIX helpers

    /// The size of the regular file at `path` (following symlinks), nil if there is none.
    public static func regularFileSize(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    /// The content of a (metadata) file of at most `limit` bytes, following symlinks; nil when
    /// absent, unreadable or larger. A safetensors index of a large model is several 100 KiB.
    static func readFile(_ path: String, limit: Int = 64 << 20) -> [UInt8]? {
        guard let size = regularFileSize(path), size <= limit, let data = FileManager.default.contents(atPath: path) else { return nil }
        return Array(data)
    }

    /// The target of the symlink at `path`, nil if it is not a symlink.
    static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buf, buf.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `mkdir -p`.
    static func makeDirectory(_ path: String) throws(HubError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { return }
            throw .fileSystem(path: path, detail: "cannot create folder (\(errnoText(errno)))")
        }
    }

    /// Creates or truncates `path` and writes `bytes`.
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(HubError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .fileSystem(path: path, detail: "cannot create: \(errnoText(errno))") }
        defer { close(fd) }
        try writeAll(fd, bytes[...], path: path)
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and `EINTR`.
    static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>, path: String) throws(HubError) {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .fileSystem(path: path, detail: "write failed: \(errnoText(errno))")
            }
            offset += n
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func errnoText(_ e: Int32) -> String { String(cString: strerror(e)) }
}
