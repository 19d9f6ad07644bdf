import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Resolves a ``HubModelReference`` to a local path in the Hugging Face cache, downloading
/// what is missing: the revision's commit and file list, then each needed file (metadata
/// first, weights last) into `blobs/` with resume, size and hash checks, an atomic rename and
/// a snapshot symlink, under huggingface_hub's per-blob lock.
///
/// A snapshot that already holds everything the reference needs is used without any network
/// call (unless ``Configuration/refresh``); with `HF_HUB_OFFLINE` only the cache is consulted.
public final class HubDownloader {
    /// Settings with documented defaults.
    public struct Configuration: Sendable {
        /// Endpoint, token, offline switch, cache folder.
        public var environment: HubEnvironment
        /// How progress is shown.
        public var progress: ProgressStyle = .log
        /// Ask the Hub which commit the revision is at even when a complete snapshot is cached
        /// (picks up new commits of a branch).
        public var refresh = false
        /// `User-Agent` of every request.
        public var userAgent = "lfm-serve"
        /// Seconds to establish a connection.
        public var connectTimeout: Double = 10
        /// Seconds a read or write may stall.
        public var ioTimeout: Double = 60
        /// Consecutive failed attempts (without any new byte) before a file download gives up.
        public var maxAttempts = 5
        /// Seconds between attempts.
        public var retryDelay: Double = 1
        /// Re-hash the cached blobs of the snapshot against their names (sha256 / git blob id)
        /// before using it; corrupt ones are removed and, unless offline, downloaded again.
        public var verify = false

        public init(environment: HubEnvironment) { self.environment = environment }
    }

    public let configuration: Configuration
    let cache: HubCache
    let logger: Logger
    /// Writes the terminal progress line (stderr).
    let writeTerminal: (String) -> Void

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.cache = HubCache(root: configuration.environment.cacheDirectory)
        self.logger = logger
        self.writeTerminal = { text in
            var bytes = Array(text.utf8)
            _ = bytes.withUnsafeMutableBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }

    /// Returns the local path for `reference`, downloading into the cache when needed.
    /// - Throws: ``HubError`` naming the repository, revision, file or cache folder concerned.
    public func resolve(_ reference: HubModelReference) throws(HubError) -> HubResolvedModel {
        let env = configuration.environment
        let repo = reference.repoID
        if configuration.verify { verifyCachedSnapshot(reference) }
        if !configuration.refresh || env.offline {
            switch cachedSnapshot(reference, exactDefault: !env.offline) {
            case .success(let model):
                logger.info("using cached \(reference) (commit \(model.commit.prefix(12))) from \(cache.repoDirectory(repo))")
                return model
            case .failure(let reason):
                if env.offline {
                    throw .notCachedOffline(repo: repo, revision: reference.revision, cacheFolder: cache.repoDirectory(repo), detail: reason.reason)
                }
                logger.debug("cache miss for \(reference): \(reason.reason)")
            }
        }
        return try download(reference)
    }

    /// A complete cached snapshot for `reference`, or why there is none.
    func cachedSnapshot(_ reference: HubModelReference, exactDefault: Bool) -> Result<HubResolvedModel, CacheMiss> {
        let repo = reference.repoID
        guard access(cache.repoDirectory(repo), F_OK) == 0 else { return .failure(CacheMiss("the repository is not cached")) }
        let commit: String
        if reference.revisionIsCommit {
            commit = reference.revision
        } else if let c = cache.readRef(repo, revision: reference.revision) {
            commit = c
        } else {
            return .failure(CacheMiss("no refs/\(reference.revision) (the revision was never downloaded)"))
        }
        let dir = cache.snapshotDirectory(repo, commit: commit)
        let lookup = HubFileSelection.lookup(snapshotFiles: cache.snapshotFiles(repo, commit: commit), quantization: reference.quantization,
                                             exactDefault: exactDefault, repo: repo) { name in
            HubCache.readFile(dir + "/" + name)
        }
        switch lookup {
        case .hit(let entry):
            return .success(HubResolvedModel(path: entry.isEmpty ? dir : dir + "/" + entry, repoID: repo, commit: commit,
                                             fromCache: true, downloadedBytes: 0))
        case .miss(let reason):
            return .failure(CacheMiss("snapshot \(commit.prefix(12)): \(reason)"))
        }
    }

    /// Why the cache cannot serve a reference (shown in offline-mode errors).
    struct CacheMiss: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// Asks the Hub for the revision's files and fetches the needed ones.
    private func download(_ reference: HubModelReference) throws(HubError) -> HubResolvedModel {
        let repo = reference.repoID
        let client = try makeClient()
        logger.info("resolving \(reference) on \(configuration.environment.endpoint)")
        let info: HubModelInfo
        do {
            info = try client.modelInfo(repo, revision: reference.revision)
        } catch {
            if case .network(let why) = error {
                throw .network("cannot reach the Hugging Face Hub at \(configuration.environment.endpoint) to resolve \(reference): \(why) "
                    + "(set HF_ENDPOINT for a mirror, or HF_HUB_OFFLINE=1 to use only the cache)")
            }
            throw error
        }
        var plan = try HubFileSelection.plan(siblings: info.files, quantization: reference.quantization, repo: repo)
        for f in plan.files { try HubCache.validateRelativeFileName(f) }
        if case .gguf(let file) = plan.format {
            let others = GGUFSelector.modelFiles(in: info.files).filter { $0 != file }
            let also = others.isEmpty ? "" : " (also available: \(GGUFSelector.availableLabels(others).joined(separator: ", ")))"
            logger.info("\(repo): using \(file)\(also)")
        }
        do {
            try HubCache.makeDirectory(cache.repoDirectory(repo) + "/blobs")
            try HubCache.makeDirectory(cache.snapshotDirectory(repo, commit: info.commit))
        } catch {
            guard case .fileSystem(let path, let detail) = error else { throw error }
            throw .fileSystem(path: path, detail: detail + "; set HF_HOME or HF_HUB_CACHE to a writable folder")
        }
        cache.writeCacheDirTag()
        var downloaded = 0
        var i = 0
        while i < plan.files.count {
            let file = plan.files[i]
            downloaded += try fetch(file, repo: repo, commit: info.commit, client: client)
            if file == plan.index {
                let path = cache.snapshotPath(repo, commit: info.commit, file: file)
                guard let bytes = HubCache.readFile(path) else { throw .fileSystem(path: path, detail: "cannot read the safetensors index") }
                plan = plan.addingShards(try HubFileSelection.shards(fromIndex: bytes, name: file))
            }
            i += 1
        }
        try cache.writeRef(repo, revision: reference.revision, commit: info.commit)
        let dir = cache.snapshotDirectory(repo, commit: info.commit)
        let path = plan.entry.isEmpty ? dir : dir + "/" + plan.entry
        logger.info("\(reference) is at \(path)")
        return HubResolvedModel(path: path, repoID: repo, commit: info.commit, fromCache: false, downloadedBytes: downloaded)
    }

    func makeClient() throws(HubError) -> HubClient {
        var http = HubHTTPClient.Configuration()
        http.connectTimeout = configuration.connectTimeout
        http.ioTimeout = configuration.ioTimeout
        http.userAgent = configuration.userAgent
        http.proxies = configuration.environment.proxies
        return try HubClient(environment: configuration.environment, http: HubHTTPClient(configuration: http, logger: logger), logger: logger)
    }

    /// Makes `snapshots/<commit>/<file>` present: reuses the link or the blob when there,
    /// otherwise downloads the blob under its lock. Returns the bytes transferred.
    private func fetch(_ file: String, repo: String, commit: String, client: HubClient) throws(HubError) -> Int {
        let pointer = cache.snapshotPath(repo, commit: commit, file: file)
        if HubCache.regularFileSize(pointer) != nil {
            logger.debug("\(file) is already in snapshot \(commit.prefix(12))")
            return 0
        }
        let meta = try client.fileMetadata(repo, revision: commit, file: file)
        let blob = cache.blobPath(repo, etag: meta.etag)
        if blobUsable(blob, size: meta.size) {
            try cache.linkSnapshotFile(repo, commit: commit, file: file, etag: meta.etag)
            return 0
        }
        let lock = try FileLock.acquire(cache.lockPath(repo, etag: meta.etag)) {
            logger.info("waiting for another process downloading \(file) (lock \(cache.lockPath(repo, etag: meta.etag)))")
        }
        defer { lock.unlock() }
        var bytes = 0
        if !blobUsable(blob, size: meta.size) {
            bytes = try downloadBlob(repo: repo, file: file, meta: meta, blob: blob, incomplete: cache.incompletePath(repo, etag: meta.etag), client: client)
        }
        try cache.linkSnapshotFile(repo, commit: commit, file: file, etag: meta.etag)
        return bytes
    }

    /// A blob already in place with the announced size (content was verified when it was stored).
    private func blobUsable(_ blob: String, size: Int?) -> Bool {
        guard let have = HubCache.regularFileSize(blob) else { return false }
        return size == nil || have == size
    }
}
