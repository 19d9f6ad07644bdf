/// The Hugging Face hub cache layout, bit-for-bit as huggingface_hub writes it
/// (`file_download.py`: `repo_folder_name`, `_get_pointer_path`, `_create_symlink`,
/// `_cache_commit_hash_for_specific_revision`):
///
/// ```
/// <root>/
///   CACHEDIR.TAG
///   .locks/models--OWNER--NAME/<etag>.lock
///   models--OWNER--NAME/
///     blobs/<etag>                 file content, named by its etag (sha256 for LFS files, git sha1 otherwise)
///     blobs/<etag>.incomplete      a partial download (resumed with a Range request)
///     refs/<revision>              the commit hash a branch or tag pointed to
///     snapshots/<commit>/<file>    relative symlink ../../blobs/<etag>
/// ```
/// This type only computes paths; the file operations live in `HubCache+FileSystem.swift`.
public struct HubCache: Sendable, Equatable {
    /// The hub cache folder (e.g. `~/.cache/huggingface/hub`).
    public let root: String

    public init(root: String) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    /// `models--OWNER--NAME` (huggingface_hub's `repo_folder_name` with repo_type "model").
    public static func repoFolderName(_ repoID: String) -> String {
        (["models"] + repoID.split(separator: "/", omittingEmptySubsequences: false).map(String.init)).joined(separator: "--")
    }

    /// `<root>/models--OWNER--NAME`.
    public func repoDirectory(_ repoID: String) -> String { root + "/" + Self.repoFolderName(repoID) }

    /// `<repo>/blobs/<etag>`.
    public func blobPath(_ repoID: String, etag: String) -> String { repoDirectory(repoID) + "/blobs/" + etag }

    /// `<repo>/blobs/<etag>.incomplete`: where a download is written until verified.
    public func incompletePath(_ repoID: String, etag: String) -> String { blobPath(repoID, etag: etag) + ".incomplete" }

    /// `<repo>/refs/<revision>` (a revision such as `refs/pr/1` makes nested folders, as in huggingface_hub).
    public func refPath(_ repoID: String, revision: String) -> String { repoDirectory(repoID) + "/refs/" + revision }

    /// `<repo>/snapshots/<commit>`.
    public func snapshotDirectory(_ repoID: String, commit: String) -> String { repoDirectory(repoID) + "/snapshots/" + commit }

    /// `<repo>/snapshots/<commit>/<file>`.
    public func snapshotPath(_ repoID: String, commit: String, file: String) -> String {
        snapshotDirectory(repoID, commit: commit) + "/" + file
    }

    /// `<root>/.locks/models--OWNER--NAME/<etag>.lock`: the per-blob lock huggingface_hub
    /// takes with `flock` (filelock's `UnixFileLock`), so Python and lfm-serve exclude each other.
    public func lockPath(_ repoID: String, etag: String) -> String {
        root + "/.locks/" + Self.repoFolderName(repoID) + "/" + etag + ".lock"
    }

    /// The relative symlink target for a snapshot file: `../../blobs/<etag>`, one more `../`
    /// per folder level of `file` (what `os.path.relpath` gives huggingface_hub).
    public static func symlinkTarget(file: String, etag: String) -> String {
        let depth = file.split(separator: "/").count - 1
        return String(repeating: "../", count: 2 + depth) + "blobs/" + etag
    }

    /// Checks a repository-relative file name before it becomes a path: not empty, not
    /// absolute, no empty, `.` or `..` components, no backslash or NUL
    /// (huggingface_hub's `_validate_relative_filename` and `_get_pointer_path` checks).
    public static func validateRelativeFileName(_ name: String) throws(HubError) {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.contains("\\"), !name.utf8.contains(0) else { throw .unsafeFileName(name) }
        for part in name.split(separator: "/", omittingEmptySubsequences: false) where part.isEmpty || part == "." || part == ".." {
            throw .unsafeFileName(name)
        }
    }

    /// The content of `CACHEDIR.TAG` (Cache Directory Tagging Standard), as huggingface_hub writes it.
    public static let cacheDirTagContent = "Signature: 8a477f597d28d172789f06886806bc55\n"
        + "# This file is a cache directory tag created by huggingface_hub.\n"
        + "# For information about cache directory tags, see:\n"
        + "#\thttps://bford.info/cachedir/\n"

    /// An etag that is a sha256 (64 lowercase hex): the content hash of an LFS / Xet file.
    public static func isSHA256(_ etag: String) -> Bool { isLowerHex(etag, count: 64) }

    /// An etag that is a git blob id (40 lowercase hex): `sha1("blob <size>\0" + content)`.
    public static func isGitSHA1(_ etag: String) -> Bool { isLowerHex(etag, count: 40) }

    private static func isLowerHex(_ s: String, count: Int) -> Bool {
        s.utf8.count == count && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// huggingface_hub's `_normalize_etag`: drops a weak `W/` prefix and the quotes.
    public static func normalizeETag(_ raw: String) -> String {
        var s = Substring(raw.trimmingWhitespace)
        if s.hasPrefix("W/") { s = s.dropFirst(2) }
        while s.first == "\"" { s = s.dropFirst() }
        while s.last == "\"" { s = s.dropLast() }
        return String(s)
    }
}
