#if canImport(Glibc)
import Glibc
#endif

/// Downloading one blob: resume into `<etag>.incomplete`, check size and hash, rename into place.
extension HubDownloader {
    /// Why one transfer attempt ended without a verified blob.
    enum TransferFailure: Error {
        /// Connection trouble: retry, resuming from what is on disk.
        case transient(HubError)
        /// The bytes are wrong (hash or size): discard them and start over.
        case corrupt(String)
        /// Not worth retrying.
        case fatal(HubError)
    }

    /// Downloads the blob for `meta`, retrying transient failures (resuming each time) and
    /// starting over once after corrupt content. Returns the bytes transferred.
    func downloadBlob(repo: String, file: String, meta: HubFileMetadata, blob: String, incomplete: String, client: HubClient) throws(HubError) -> Int {
        var transferred = 0
        var failuresWithoutProgress = 0
        var corruptions = 0
        while true {
            let before = transferred
            do throws(TransferFailure) {
                try transferOnce(repo: repo, file: file, meta: meta, incomplete: incomplete, client: client, transferred: &transferred)
                guard rename(incomplete, blob) == 0 else {
                    throw .fatal(.fileSystem(path: blob, detail: "cannot move the download into place: \(HubCache.errnoText(errno))"))
                }
                return transferred
            } catch {
                switch error {
                case .fatal(let e):
                    throw e
                case .corrupt(let detail):
                    corruptions += 1
                    unlink(incomplete)
                    guard corruptions < 2 else { throw .integrity(file: file, detail: detail) }
                    logger.warning("\(file): \(detail); discarding it and downloading again")
                case .transient(let e):
                    failuresWithoutProgress = transferred > before ? 1 : failuresWithoutProgress + 1
                    guard failuresWithoutProgress < configuration.maxAttempts else { throw e }
                    let have = HubCache.regularFileSize(incomplete) ?? 0
                    logger.warning("\(file): \(e); retrying in \(configuration.retryDelay) s (resuming at \(DownloadProgress.formatBytes(have)))")
                    if configuration.retryDelay > 0 { usleep(UInt32(configuration.retryDelay * 1_000_000)) }
                }
            }
        }
    }

    /// One GET into the partial file, verified at the end. Adds the body bytes to `transferred`.
    private func transferOnce(repo: String, file: String, meta: HubFileMetadata, incomplete: String, client: HubClient,
                              transferred: inout Int) throws(TransferFailure) {
        let fd = open(incomplete, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .fatal(.fileSystem(path: incomplete, detail: "cannot create: \(HubCache.errnoText(errno))")) }
        defer { close(fd) }
        var existing = HubCache.regularFileSize(incomplete) ?? 0
        let start = ResumeRules.start(existingBytes: existing, expectedSize: meta.size)
        if start == .fresh && existing > 0 {
            try truncate(fd, to: 0, path: incomplete)
            existing = 0
        }
        if start == .verifyOnly {
            try verify(fd: fd, file: file, meta: meta, size: existing, path: incomplete)
            return
        }

        var headers = [(name: String, value: String)]()
        if client.endpoint.origin == meta.downloadURL.origin { headers += client.authorization }
        if let range = ResumeRules.rangeHeader(existingBytes: existing) { headers.append(("Range", range)) }
        let response: HTTPClientResponse
        do {
            response = try client.http.send(HTTPClientRequest(method: "GET", url: meta.downloadURL, headers: headers), redirects: client.redirects(.always))
        } catch {
            throw classify(error)
        }
        defer { response.close() }
        let head = response.head
        switch ResumeRules.answer(existingBytes: existing, status: head.status, contentRange: head["Content-Range"]) {
        case .failure:
            if response.url.origin == client.endpoint.origin {
                let e = HubClient.statusError(head, repo: repo, revision: "", file: file, endpoint: client.environment.endpoint,
                                              tokenSent: response.request["Authorization"] != nil, url: response.url)
                if case .network = e { throw .transient(e) }
                throw .fatal(e)
            }
            let e = HubError.network("downloading \(file) from \(response.url) failed with HTTP \(head.status)")
            throw head.status >= 500 || head.status == 429 ? .transient(e) : .fatal(e)
        case .discardAndRetry:
            try truncate(fd, to: 0, path: incomplete)
            throw .transient(.network("the server could not continue the partial download of \(file) (HTTP \(head.status))"))
        case .write(let keep):
            if keep != existing {
                logger.info("\(file): the server sent the whole file instead of the rest; starting over")
                try truncate(fd, to: keep, path: incomplete)
                existing = keep
            }
        }
        let announced = ResumeRules.completeLength(status: head.status, contentRange: head["Content-Range"], contentLength: head["Content-Length"])
        if let size = meta.size, let announced, announced != size {
            try truncate(fd, to: 0, path: incomplete)
            throw .corrupt("the server announced \(announced) bytes but the Hub metadata says \(size)")
        }
        let total = meta.size ?? announced
        let digest = makeDigest(etag: meta.etag, size: total)
        if let digest, existing > 0 { try hashPrefix(fd: fd, count: existing, into: digest, path: incomplete) }
        guard lseek(fd, off_t(existing), SEEK_SET) >= 0 else {
            throw .fatal(.fileSystem(path: incomplete, detail: "seek failed: \(HubCache.errnoText(errno))"))
        }

        let progress = DownloadProgress(file: file, total: total, resumedFrom: existing, style: configuration.progress, logger: logger,
                                        now: Self.monotonicSeconds, writeTerminal: writeTerminal)
        var size = existing
        var chunk: [UInt8] = []
        chunk.reserveCapacity(256 * 1024)
        do {
            while true {
                chunk.removeAll(keepingCapacity: true)
                guard try response.read(into: &chunk) else { break }
                do { try HubCache.writeAll(fd, chunk[...], path: incomplete) } catch { throw TransferFailure.fatal(error) }
                digest?.update(chunk[...])
                size += chunk.count
                transferred += chunk.count
                progress.advance(by: chunk.count)
                if let total, size > total { throw TransferFailure.corrupt("received more than the \(total) bytes announced") }
            }
        } catch let failure as TransferFailure {
            progress.abandon()
            throw failure
        } catch let error as HubError {
            progress.abandon()
            throw classify(error)
        } catch {
            progress.abandon()
            throw .fatal(.protocolError("\(error)"))
        }
        progress.finish()
        if let total, size != total {
            throw .transient(.network("\(file): the connection ended after \(size) of \(total) bytes"))
        }
        try check(digest: digest, file: file, meta: meta)
        _ = fsync(fd)
    }

    /// Re-reads a partial file that already has the full size and checks its hash.
    private func verify(fd: Int32, file: String, meta: HubFileMetadata, size: Int, path: String) throws(TransferFailure) {
        let digest = makeDigest(etag: meta.etag, size: size)
        if let digest { try hashPrefix(fd: fd, count: size, into: digest, path: path) }
        try check(digest: digest, file: file, meta: meta)
    }

    private func check(digest: ContentDigest?, file: String, meta: HubFileMetadata) throws(TransferFailure) {
        guard let digest else { return }
        let got = digest.finalizeHex()
        guard got == meta.etag else {
            let kind = digest.algorithm == .sha256 ? "sha256" : "git blob sha1"
            throw .corrupt("\(kind) is \(got), the Hub announced \(meta.etag)")
        }
        logger.debug("\(file): \(digest.algorithm == .sha256 ? "sha256" : "git sha1") verified")
    }

    /// The digest the etag can be checked with: sha256 for a 64-hex etag, the git blob id
    /// for a 40-hex etag when the size is known; nil otherwise (only the size is checked).
    func makeDigest(etag: String, size: Int?) -> ContentDigest? {
        if HubCache.isSHA256(etag) { return ContentDigest(.sha256) }
        if HubCache.isGitSHA1(etag), let size { return ContentDigest.gitBlob(size: size) }
        return nil
    }

    private func hashPrefix(fd: Int32, count: Int, into digest: ContentDigest, path: String) throws(TransferFailure) {
        do { try Self.hashFile(fd: fd, count: count, into: digest, path: path) } catch { throw .fatal(error) }
    }

    /// Feeds the first `count` bytes of `fd` to `digest`.
    static func hashFile(fd: Int32, count: Int, into digest: ContentDigest, path: String) throws(HubError) {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset = 0
        while offset < count {
            let want = min(buffer.count, count - offset)
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .fileSystem(path: path, detail: "cannot read back the partial download") }
            buffer.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            offset += n
        }
    }

    private func truncate(_ fd: Int32, to size: Int, path: String) throws(TransferFailure) {
        guard ftruncate(fd, off_t(size)) == 0 else {
            throw .fatal(.fileSystem(path: path, detail: "cannot truncate: \(HubCache.errnoText(errno))"))
        }
    }

    /// Network errors are worth a retry; everything else is final.
    private func classify(_ error: HubError) -> TransferFailure {
        if case .network = error { return .transient(error) }
        return .fatal(error)
    }

    /// Seconds on the monotonic clock.
    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
