/// A model resolved to local files.
public struct HubResolvedModel: Sendable, Equatable {
    /// What to load: the snapshot folder, or the GGUF file inside it.
    public var path: String
    /// `owner/name`.
    public var repoID: String
    /// The commit the snapshot belongs to.
    public var commit: String
    /// True when nothing was asked of the Hub (a complete snapshot was cached).
    public var fromCache: Bool
    /// Bytes transferred over the network for this call.
    public var downloadedBytes: Int
}
