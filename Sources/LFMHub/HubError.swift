/// Everything that can go wrong between a `--model` string and a local checkpoint path.
///
/// Descriptions are written for the person who typed the command: they name the repository,
/// revision, file and cache folder involved and say what to do next. They never contain the
/// access token, nor the query string of a (signed) download URL.
public enum HubError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `--model` text is neither an existing path nor a valid `owner/name[@rev][:QUANT]`.
    case invalidReference(String, reason: String)
    /// The text looks like a path (`/x`, `./x`, `~/x`, `a/b/c.gguf`) but nothing exists there.
    case localPathNotFound(String)
    /// A file name in a listing or a safetensors index would escape the snapshot folder.
    case unsafeFileName(String)
    /// HTTP 401/403: the repository is gated or private (or absent, which the Hub does not
    /// distinguish for anonymous requests). `gated` is set when the Hub said so (`X-Error-Code: GatedRepo`).
    case accessDenied(repo: String, status: Int, tokenSent: Bool, gated: Bool)
    /// HTTP 404 on the repository (or its revision, when the Hub cannot tell which).
    case repositoryNotFound(repo: String, revision: String, endpoint: String)
    /// HTTP 404 with `X-Error-Code: RevisionNotFound`.
    case revisionNotFound(repo: String, revision: String)
    /// HTTP 404 on one file of an existing revision.
    case fileNotFound(repo: String, revision: String, file: String)
    /// `HF_HUB_OFFLINE` is set and the cache holds no usable snapshot of the repository.
    case notCachedOffline(repo: String, revision: String, cacheFolder: String, detail: String)
    /// The repository has no weights we can load (no safetensors, no GGUF).
    case noLoadableWeights(repo: String, files: [String])
    /// The repository has safetensors weights but no `config.json`.
    case missingConfig(repo: String)
    /// A `:QUANT` selector was given for a repository without any `.gguf` file.
    case notAGGUFRepository(repo: String, selector: String)
    /// No GGUF file matches the selector; `available` lists the quantizations there are.
    case noMatchingQuantization(repo: String, selector: String, available: [String])
    /// Several GGUF files match the selector.
    case ambiguousQuantization(repo: String, selector: String, matches: [String])
    /// Downloaded bytes do not match the size or hash the Hub announced, twice in a row.
    case integrity(file: String, detail: String)
    /// The Hub answered something we cannot use (missing header, bad JSON, unexpected status).
    case protocolError(String)
    /// Connecting, sending or receiving failed (DNS, refused, reset, timeout).
    case network(String)
    /// TLS handshake or certificate verification failed.
    case tls(String)
    /// A local file-system operation on the cache failed.
    case fileSystem(path: String, detail: String)

    public var description: String {
        switch self {
        case .invalidReference(let text, let reason):
            return "'\(text)' is neither an existing local path nor a Hugging Face model reference: \(reason). "
                + "Expected a folder, a .gguf file, or owner/name[@revision][:QUANT] (e.g. LiquidAI/LFM2-350M)"
        case .localPathNotFound(let path):
            return "no such file or folder: '\(path)'"
        case .unsafeFileName(let name):
            return "refusing file name '\(name)' from the Hub: it would leave the snapshot folder"
        case .accessDenied(let repo, let status, let tokenSent, let gated):
            let what = gated ? "\(repo) is a gated repository" : "\(repo) is gated or private, or does not exist"
            let fix = tokenSent
                ? "the token in HF_TOKEN was sent but does not grant access: check it has read access and, for a gated model, that its terms were accepted on the model page"
                : "set HF_TOKEN to a Hugging Face access token with read access (and accept the model's terms on its page if it is gated)"
            return "access denied (HTTP \(status)): \(what); \(fix)"
        case .repositoryNotFound(let repo, let revision, let endpoint):
            let rev = revision == "main" ? "" : " (or it has no revision '\(revision)')"
            return "repository \(repo) not found on \(endpoint)\(rev): check the name (owner/name, case matters)"
        case .revisionNotFound(let repo, let revision):
            return "revision '\(revision)' not found in \(repo): use a branch, tag or full commit hash that exists"
        case .fileNotFound(let repo, let revision, let file):
            return "file '\(file)' not found in \(repo) at revision \(revision)"
        case .notCachedOffline(let repo, let revision, let folder, let detail):
            return "HF_HUB_OFFLINE is set and \(repo)@\(revision) is not in the Hugging Face cache (\(folder)): \(detail). "
                + "Download it first where the Hub is reachable (e.g. `lfm-serve download \(repo)`) or unset HF_HUB_OFFLINE"
        case .noLoadableWeights(let repo, let files):
            let shown = files.prefix(12).joined(separator: ", ") + (files.count > 12 ? ", …" : "")
            return "\(repo) has no model.safetensors, model.safetensors.index.json or .gguf file to load (files: \(shown.isEmpty ? "none" : shown))"
        case .missingConfig(let repo):
            return "\(repo) has safetensors weights but no config.json"
        case .notAGGUFRepository(let repo, let selector):
            return "\(repo) has no .gguf files, so the quantization selector ':\(selector)' cannot apply; drop it to load the safetensors weights"
        case .noMatchingQuantization(let repo, let selector, let available):
            return "no GGUF file in \(repo) matches ':\(selector)'; available quantizations: \(available.joined(separator: ", "))"
        case .ambiguousQuantization(let repo, let selector, let matches):
            return "':\(selector)' matches several GGUF files in \(repo): \(matches.joined(separator: ", ")); use a longer selector"
        case .integrity(let file, let detail):
            return "download of \(file) is corrupt: \(detail)"
        case .protocolError(let message):
            return message
        case .network(let message):
            return message
        case .tls(let message):
            return "TLS: \(message)"
        case .fileSystem(let path, let detail):
            return "\(path): \(detail)"
        }
    }
}
