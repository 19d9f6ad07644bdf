import Dispatch

/// Computes the structured-output masks of a step's sampling sequences on another thread,
/// so they overlap the forward pass (issue 15's "off the critical path"). `mask(_:)` after
/// `wait()` gives entry e's mask: `.some(nil)` when its next token is free, nil when the
/// entry was not prefetched (the output stage then computes it itself).
final class MaskPrefetch: @unchecked Sendable {
    // Safety: `results` is written only by the prefetch block and read only after `wait()`,
    // which orders the two (DispatchGroup wait/leave).
    private var results: [[UInt64]??]
    private let group = DispatchGroup()

    init(_ states: [ConstraintState?], tags: TagTokens) {
        results = Array(repeating: nil, count: states.count)
        guard states.contains(where: { $0 != nil }) else { return }
        DispatchQueue.global(qos: .userInitiated).async(group: group) { [self] in
            for (e, c) in states.enumerated() {
                guard let c else { continue }
                var mask: [UInt64] = []
                results[e] = .some(c.fillMask(into: &mask, tags: tags) ? mask : nil)
            }
        }
    }

    /// Blocks until the masks are computed.
    func wait() { group.wait() }

    /// Entry `e`'s mask (see the type's documentation).
    func mask(_ e: Int) -> [UInt64]?? { results[e] }
}
