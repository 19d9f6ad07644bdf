#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock(2)` on a lock file, held until ``unlock()`` or deinit.
///
/// huggingface_hub takes the same kind of lock on the same path (filelock's `UnixFileLock`
/// is `fcntl.flock(fd, LOCK_EX | LOCK_NB)` polled), so a Python download and an lfm-serve
/// download of one blob exclude each other, as do two lfm-serve processes starting at once.
/// The lock file itself is left in place (removing it would race with a new locker).
final class FileLock {
    private var fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// Takes the lock at `path`, creating the file and its folder. When another process
    /// holds it, calls `onWait` once and blocks until the lock is free.
    static func acquire(_ path: String, onWait: () -> Void) throws(HubError) -> FileLock {
        try HubCache.makeDirectory(HubCache.parent(of: path))
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .fileSystem(path: path, detail: "cannot open lock file: \(HubCache.errnoText(errno))") }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return FileLock(fd: fd) }
        guard errno == EWOULDBLOCK || errno == EINTR else {
            let e = errno
            close(fd)
            throw .fileSystem(path: path, detail: "cannot lock: \(HubCache.errnoText(e))")
        }
        onWait()
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let e = errno
            close(fd)
            throw .fileSystem(path: path, detail: "cannot lock: \(HubCache.errnoText(e))")
        }
        return FileLock(fd: fd)
    }

    /// Releases the lock (closing the descriptor releases the `flock`).
    func unlock() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { unlock() }
}
