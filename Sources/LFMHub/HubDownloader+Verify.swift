#if canImport(Glibc)
import Glibc
#endif

/// Checking a cached snapshot's content: a blob's name is its etag, so it can be re-hashed
/// without asking the Hub.
extension HubDownloader {
    /// Re-hashes every blob the cached snapshot of `reference` links to; a blob whose content
    /// does not match its name is removed together with the snapshot link, so the next
    /// lookup misses and the file is downloaded again. Returns the files removed.
    @discardableResult
    func verifyCachedSnapshot(_ reference: HubModelReference) -> [String] {
        let repo = reference.repoID
        let commit = reference.revisionIsCommit ? reference.revision : cache.readRef(repo, revision: reference.revision)
        guard let commit else { return [] }
        var removed: [String] = []
        for file in cache.snapshotFiles(repo, commit: commit) {
            let link = cache.snapshotPath(repo, commit: commit, file: file)
            guard let target = HubCache.readLink(link) else { continue }  // a plain copy: nothing to check it against
            let etag = String(target.split(separator: "/").last ?? "")
            let blob = cache.blobPath(repo, etag: etag)
            guard let size = HubCache.regularFileSize(blob), let digest = makeDigest(etag: etag, size: size) else { continue }
            let fd = open(blob, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            let ok = (try? Self.hashFile(fd: fd, count: size, into: digest, path: blob)) != nil && digest.finalizeHex() == etag
            close(fd)
            if ok {
                logger.debug("verified \(file) (\(etag.prefix(12)))")
            } else {
                logger.warning("\(file): cached blob \(etag) does not match its hash; removing it")
                unlink(blob)
                unlink(link)
                removed.append(file)
            }
        }
        if removed.isEmpty { logger.info("verified \(reference): every cached blob matches its hash") }
        return removed
    }
}
