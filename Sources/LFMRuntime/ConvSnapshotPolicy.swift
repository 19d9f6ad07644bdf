/// Which prefix-cache pages keep the conv state at their end (docs/architecture.md, "Prefix
/// cache"). A snapshot is 2·hidden floats per conv layer — for LFM2-350M 80 KB against a
/// 16-token page's 192 KB of KV — so keeping one at every boundary of a 32k prompt costs
/// ~160 MB. Every page of the first `densePages` keeps one (system prompts and short
/// conversations resume at any page, as before); beyond them one in `stride` does, plus the
/// newest page each sequence committed (its chain's end: where the next turn of a conversation
/// resumes), so a lookup loses at most `stride − 1` pages of reuse (255 tokens), and only past the dense
/// part; a 32k prompt keeps 186 snapshots (15 MB).
struct ConvSnapshotPolicy: Sendable, Equatable {
    /// Leading pages of every chain that all keep their snapshot.
    var densePages = 64
    /// Past them, the pages whose count is a multiple of this keep theirs.
    var stride = 16

    /// Whether the page ending at `pages` pages into the chain (1 = the first page) keeps its
    /// snapshot once a later page of the same sequence exists.
    func keeps(pageEnding pages: Int) -> Bool {
        pages <= densePages || pages % max(1, stride) == 0
    }
}
