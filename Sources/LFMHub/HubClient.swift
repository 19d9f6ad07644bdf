import HTTP1
import Logging
import OrderedJSON

/// What the Hub says about a revision of a repository (`GET /api/models/{repo}/revision/{rev}`).
package struct HubModelInfo: Sendable, Equatable {
    /// The commit the revision resolves to.
    package var commit: String
    /// Every file of the repository at that commit (`siblings[].rfilename`).
    package var files: [String]
}

/// Where and what one file is (`HEAD {endpoint}/{repo}/resolve/{commit}/{file}`).
package struct HubFileMetadata: Sendable, Equatable {
    /// `X-Repo-Commit`, when sent.
    package var commit: String?
    /// The blob name: `X-Linked-Etag` (LFS: sha256 of the content), else `ETag` (git blob id), normalized.
    package var etag: String
    /// `X-Linked-Size`, else `Content-Length` of a non-redirect answer.
    package var size: Int?
    /// Where to GET the content: the redirect target (CDN), or the resolve URL itself.
    package var downloadURL: HubURL
}

/// The Hub's HTTP API as the downloader uses it, with status codes mapped to ``HubError``s
/// that name the repository and say what to do (huggingface_hub: `hf_raise_for_status`).
package struct HubClient {
    package let environment: HubEnvironment
    package let http: HubHTTPClient
    package let endpoint: HubURL
    private let logger: Logger

    package init(environment: HubEnvironment, http: HubHTTPClient, logger: Logger) throws(HubError) {
        guard let endpoint = HubURL(string: environment.endpoint) else {
            throw .protocolError("HF_ENDPOINT '\(environment.endpoint)' is not an http:// or https:// URL")
        }
        self.environment = environment
        self.http = http
        self.endpoint = endpoint
        self.logger = logger
    }

    /// `{endpoint}/api/models/{repo}/revision/{revision}`.
    package func modelInfoURL(_ repo: String, revision: String) -> HubURL? {
        HubURL(string: "\(environment.endpoint)/api/models/\(repo)/revision/\(HubURL.percentEncode(revision, keepSlash: false))")
    }

    /// `{endpoint}/{repo}/resolve/{revision}/{file}` (huggingface_hub's `hf_hub_url`).
    package func resolveURL(_ repo: String, revision: String, file: String) -> HubURL? {
        HubURL(string: "\(environment.endpoint)/\(repo)/resolve/\(HubURL.percentEncode(revision, keepSlash: false))/\(HubURL.percentEncode(file, keepSlash: true))")
    }

    /// Redirect handling: credentials only ever go to the endpoint's origin.
    package func redirects(_ mode: RedirectPolicy.Mode) -> RedirectPolicy {
        RedirectPolicy(mode: mode, trustedOrigins: [endpoint.origin])
    }

    /// `Authorization: Bearer <token>` when a token is configured.
    package var authorization: [(name: String, value: String)] {
        environment.token.map { [("Authorization", "Bearer \($0)")] } ?? []
    }

    /// The commit and file list of `revision`.
    package func modelInfo(_ repo: String, revision: String) throws(HubError) -> HubModelInfo {
        guard let url = modelInfoURL(repo, revision: revision) else { throw .protocolError("cannot build the model info URL for \(repo)") }
        let response = try http.send(HTTPClientRequest(method: "GET", url: url, headers: authorization), redirects: redirects(.withinTrusted))
        defer { response.close() }
        guard response.head.status == 200 else {
            throw Self.statusError(response.head, repo: repo, revision: revision, file: nil, endpoint: environment.endpoint,
                                   tokenSent: response.request["Authorization"] != nil, url: response.url)
        }
        return try Self.parseModelInfo(try response.readAll(), repo: repo)
    }

    /// Reads `sha` and `siblings[].rfilename` from a model info document.
    package static func parseModelInfo(_ bytes: [UInt8], repo: String) throws(HubError) -> HubModelInfo {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw .protocolError("the Hub's model info for \(repo) is not JSON: \(error)") }
        guard let sha = json["sha"]?.stringValue, HubModelReference.isCommitHash(sha) else {
            throw .protocolError("the Hub's model info for \(repo) has no commit hash (\"sha\")")
        }
        let files = (json["siblings"]?.arrayValue ?? []).compactMap { $0["rfilename"]?.stringValue }
        return HubModelInfo(commit: sha, files: files)
    }

    /// The etag, size, commit and download location of one file, without following a
    /// redirect off the Hub (the metadata is on the redirect answer itself).
    package func fileMetadata(_ repo: String, revision: String, file: String) throws(HubError) -> HubFileMetadata {
        guard let url = resolveURL(repo, revision: revision, file: file) else { throw .protocolError("cannot build the URL of \(file) in \(repo)") }
        let response = try http.send(HTTPClientRequest(method: "HEAD", url: url, headers: authorization), redirects: redirects(.withinTrusted))
        defer { response.close() }
        let head = response.head
        let isRedirect = head.redirectLocation != nil
        guard (200..<300).contains(head.status) || isRedirect else {
            throw Self.statusError(head, repo: repo, revision: revision, file: file, endpoint: environment.endpoint,
                                   tokenSent: response.request["Authorization"] != nil, url: response.url)
        }
        return try Self.parseFileMetadata(head, responseURL: response.url, repo: repo, file: file)
    }

    /// The metadata headers of a `resolve` answer (huggingface_hub's `get_hf_file_metadata`).
    package static func parseFileMetadata(_ head: HTTPResponseHead, responseURL: HubURL, repo: String, file: String) throws(HubError) -> HubFileMetadata {
        guard let rawETag = head["X-Linked-Etag"] ?? head["ETag"] else {
            throw .protocolError("the answer for \(file) in \(repo) has no ETag: is HF_ENDPOINT a Hugging Face Hub?")
        }
        let etag = HubCache.normalizeETag(rawETag)
        guard isSafeBlobName(etag) else { throw .protocolError("the ETag of \(file) in \(repo) is not usable as a file name") }
        let location = head.redirectLocation
        let sizeText = head["X-Linked-Size"] ?? (location == nil ? head["Content-Length"] : nil)
        let size = sizeText.flatMap { Int($0.trimmingWhitespace) }
        var download = responseURL
        if let location {
            guard let target = responseURL.resolving(location) else { throw .protocolError("unusable redirect for \(file) in \(repo)") }
            download = target
        }
        let commit = head["X-Repo-Commit"].map(\.trimmingWhitespace)
        return HubFileMetadata(commit: commit, etag: etag, size: size, downloadURL: download)
    }

    /// An etag we can use as a blob file name: 1–255 of `[A-Za-z0-9._-]`, not `.`/`..`-like.
    package static func isSafeBlobName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 255 && !s.hasPrefix(".")
            && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 46 || $0 == 95 }
    }

    /// Maps an error status to a message for the user (`X-Error-Code` refines it as the Hub sends it).
    package static func statusError(_ head: HTTPResponseHead, repo: String, revision: String, file: String?, endpoint: String,
                                    tokenSent: Bool, url: HubURL) -> HubError {
        let code = head["X-Error-Code"]
        switch head.status {
        case 401, 403:
            return .accessDenied(repo: repo, status: head.status, tokenSent: tokenSent, gated: code == "GatedRepo")
        case 404:
            switch code {
            case "RevisionNotFound": return .revisionNotFound(repo: repo, revision: revision)
            case "EntryNotFound": return .fileNotFound(repo: repo, revision: revision, file: file ?? "?")
            case "RepoNotFound": return .repositoryNotFound(repo: repo, revision: revision, endpoint: endpoint)
            default:
                if let file { return .fileNotFound(repo: repo, revision: revision, file: file) }
                return .repositoryNotFound(repo: repo, revision: revision, endpoint: endpoint)
            }
        case 429:
            return .network("the Hub rate-limited the request for \(repo) (HTTP 429); try again later or set HF_TOKEN")
        case 500...599:
            return .network("the Hub answered HTTP \(head.status) for \(url)")
        default:
            return .protocolError("unexpected HTTP \(head.status) from \(url)")
        }
    }
}
