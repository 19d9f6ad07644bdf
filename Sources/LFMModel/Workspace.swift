/// Growable, 64-byte-aligned scratch buffers reused across forward passes, so a step
/// allocates nothing once the largest batch has been seen.
struct Workspace {
    struct Buffer {
        private(set) var pointer: UnsafeMutableRawPointer = .allocate(byteCount: 64, alignment: 64)
        private(set) var bytes = 64

        mutating func ensure(_ n: Int) {
            guard n > bytes else { return }
            pointer.deallocate()
            bytes = max(n, bytes * 3 / 2)
            pointer = .allocate(byteCount: bytes, alignment: 64)
        }

        func floats() -> UnsafeMutablePointer<Float> { pointer.assumingMemoryBound(to: Float.self) }
        func free() { pointer.deallocate() }
    }

    var hidden = Buffer(), normed = Buffer(), proj = Buffer(), q = Buffer(), k = Buffer(), v = Buffer()
    var mix = Buffer(), gate = Buffer(), up = Buffer(), out = Buffer(), act = Buffer()
    var scores = Buffer(), rope = Buffer(), window = Buffer(), logits = Buffer(), gathered = Buffer()
    /// Output of the stacked gate/up (`[T, 2F]`) and q/k/v (`[T, qd + 2·kvDim]`) products.
    var stacked = Buffer()
    /// MoE: router logits `[T, E]`, the rows gathered for one expert `[n, D]` and its output `[n, D]`.
    var router = Buffer(), expertIn = Buffer(), expertOut = Buffer()
    /// Split-K attention: partial outputs and their (max, sum) pairs.
    var partials = Buffer()

    func free() {
        for b in [hidden, normed, proj, q, k, v, mix, gate, up, out, act, scores, rope, window, logits, gathered, stacked, router, expertIn, expertOut, partials] { b.free() }
    }
}
