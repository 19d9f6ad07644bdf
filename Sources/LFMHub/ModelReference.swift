/// What `--model` names: a checkpoint on local disk, or a model repository on the Hugging Face Hub.
///
/// Grammar of a Hub reference: `owner/name`, then optionally `@revision` (branch, tag or commit)
/// and `:QUANT` (a GGUF quantization, as llama-server's `-hf owner/name:Q4_K_M`), in either order.
/// An existing local path always wins, so a folder named `LiquidAI/LFM2-350M` in the working
/// directory is loaded as a folder.
public enum ModelReference: Sendable, Equatable, CustomStringConvertible {
    /// A folder (config.json + safetensors) or a .gguf file.
    case local(path: String)
    /// A repository on the Hub.
    case hub(HubModelReference)

    /// Parses `text`; `fileExists` decides whether it is a local path (injected for tests).
    /// - Throws: `HubError.localPathNotFound` for path-looking text that does not exist,
    ///   `HubError.invalidReference` for text that is not a valid repository id.
    public static func parse(_ text: String, fileExists: (String) -> Bool) throws(HubError) -> ModelReference {
        if fileExists(text) { return .local(path: text) }
        if text.isEmpty { throw .invalidReference(text, reason: "it is empty") }
        if looksLikePath(text) { throw .localPathNotFound(text) }
        return .hub(try HubModelReference(parsing: text))
    }

    /// Text that can only mean a file-system path: absolute, `./`, `../`, `~`, more than one
    /// `/`, or a name ending in `.gguf` (no repository is called that; a mistyped file is likelier).
    static func looksLikePath(_ text: String) -> Bool {
        if text.hasPrefix("/") || text.hasPrefix("./") || text.hasPrefix("../") || text.hasPrefix("~") || text == "." || text == ".." {
            return true
        }
        let repoPart = text.prefix { $0 != "@" && $0 != ":" }
        let slashes = repoPart.filter { $0 == "/" }.count
        return slashes > 1 || text.lowercased().hasSuffix(".gguf")
    }

    public var description: String {
        switch self {
        case .local(let path): return path
        case .hub(let ref): return ref.description
        }
    }
}

/// A Hub model repository with the revision and GGUF quantization to use.
public struct HubModelReference: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// `owner/name`, e.g. `LiquidAI/LFM2-350M`.
    public var repoID: String
    /// Branch, tag or commit hash; `main` unless given with `@`.
    public var revision: String
    /// The `:QUANT` selector for GGUF repositories, e.g. `Q4_K_M`; nil picks the default.
    public var quantization: String?

    public init(repoID: String, revision: String = "main", quantization: String? = nil) {
        self.repoID = repoID
        self.revision = revision
        self.quantization = quantization
    }

    /// Parses `owner/name[@revision][:QUANT]` (the two suffixes in either order).
    public init(parsing text: String) throws(HubError) {
        guard let cut = text.firstIndex(where: { $0 == "@" || $0 == ":" }) else {
            try Self.validateRepoID(text, in: text)
            self.init(repoID: text)
            return
        }
        let repo = String(text[..<cut])
        try Self.validateRepoID(repo, in: text)
        var revision: String?
        var quant: String?
        var rest = text[cut...]
        while let marker = rest.first {
            let body = rest.dropFirst()
            // A revision may contain '/' (refs/pr/1) but not ':' (git forbids it in ref names) and,
            // here, not '@'; a quantization contains neither. So each part runs to the next marker.
            let end = body.firstIndex { $0 == "@" || $0 == ":" } ?? body.endIndex
            let value = String(body[..<end])
            if marker == "@" {
                guard revision == nil else { throw .invalidReference(text, reason: "more than one '@revision'") }
                try Self.validateRevision(value, in: text)
                revision = value
            } else {
                guard quant == nil else { throw .invalidReference(text, reason: "more than one ':QUANT' selector") }
                try Self.validateQuantization(value, in: text)
                quant = value
            }
            rest = body[end...]
        }
        self.init(repoID: repo, revision: revision ?? "main", quantization: quant)
    }

    /// Repository owner (user or organisation).
    public var owner: String { String(repoID.prefix { $0 != "/" }) }
    /// Repository name without the owner.
    public var name: String { String(repoID.drop { $0 != "/" }.dropFirst()) }

    /// True when `revision` is a full 40-hex commit hash (then it never moves).
    public var revisionIsCommit: Bool { Self.isCommitHash(revision) }

    public var description: String {
        repoID + (revision == "main" ? "" : "@\(revision)") + (quantization.map { ":\($0)" } ?? "")
    }

    /// A full git commit hash: 40 lowercase hex digits (huggingface_hub's `REGEX_COMMIT_HASH`).
    public static func isCommitHash(_ s: String) -> Bool {
        s.utf8.count == 40 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// The rules of huggingface_hub's `validate_repo_id`, restricted to `owner/name`:
    /// letters, digits, `-`, `_`, `.`; no `--` or `..`; no leading or trailing `-`/`.`; name ≤ 96.
    static func validateRepoID(_ repo: String, in text: String) throws(HubError) {
        let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw .invalidReference(text, reason: parts.count == 1 ? "a repository id needs an owner: owner/name" : "a repository id has exactly one '/'")
        }
        for part in parts {
            guard !part.isEmpty else { throw .invalidReference(text, reason: "owner and name must not be empty") }
            guard part.utf8.allSatisfy(Self.isRepoIDByte) else {
                throw .invalidReference(text, reason: "'\(part)' may only contain letters, digits, '-', '_' and '.'")
            }
            guard !part.contains("--") && !part.contains("..") else {
                throw .invalidReference(text, reason: "'--' and '..' are not allowed in a repository id")
            }
            guard let f = part.first, let l = part.last, f != "-", f != ".", l != "-", l != "." else {
                throw .invalidReference(text, reason: "'\(part)' must not start or end with '-' or '.'")
            }
        }
        guard parts[1].count <= 96 else { throw .invalidReference(text, reason: "the name is longer than 96 characters") }
    }

    private static func isRepoIDByte(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 46 || b == 95
    }

    /// Checks a revision given on its own (e.g. `--revision`).
    public static func validateRevision(_ rev: String) throws(HubError) { try validateRevision(rev, in: "@" + rev) }

    static func validateRevision(_ rev: String, in text: String) throws(HubError) {
        guard !rev.isEmpty else { throw .invalidReference(text, reason: "'@' must be followed by a revision (branch, tag or commit)") }
        let bad = rev.contains("..") || rev.hasPrefix("/") || rev.hasSuffix("/") || rev.contains("//")
            || rev.unicodeScalars.contains { $0.value <= 32 || $0 == "\\" || $0.value == 127 }
        guard !bad else { throw .invalidReference(text, reason: "'\(rev)' is not a valid revision") }
    }

    static func validateQuantization(_ q: String, in text: String) throws(HubError) {
        guard !q.isEmpty else { throw .invalidReference(text, reason: "':' must be followed by a quantization such as Q4_K_M") }
        guard q.utf8.allSatisfy(Self.isRepoIDByte) else {
            throw .invalidReference(text, reason: "quantization '\(q)' may only contain letters, digits, '-', '_' and '.'")
        }
    }
}
