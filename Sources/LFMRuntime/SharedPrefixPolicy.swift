/// Admission rule for prompts that share pages not yet in the prefix cache (pure, tested
/// without the model): when a waiting prompt's next full page is being computed by a
/// sequence already running its prefill (possibly admitted earlier in the same step), the
/// waiting prompt is held for a step and then adopts that page from the cache instead of
/// computing the same page a second time. Many users sending the same system prompt at once
/// thus pay for it once.
enum SharedPrefixPolicy {
    /// Whether a prompt with `tokens`, `cached` of which it already holds, should wait: some
    /// `running` sequence holds the same first `cached + pageSize` tokens and has not computed
    /// them all yet (`computed` < that), so the page will be in the cache after its step.
    static func shouldWait(tokens: [Int], cached: Int, pageSize: Int,
                           running: [(tokens: [Int], computed: Int)]) -> Bool {
        let end = cached + pageSize
        // The page must be one the prompt would otherwise prefill itself (a lookup leaves at
        // least one token to compute, so only pages before the last prompt token count).
        guard end <= tokens.count - 1 else { return false }
        for r in running where r.computed < end && r.tokens.count >= end {
            if r.tokens[0..<end].elementsEqual(tokens[0..<end]) { return true }
        }
        return false
    }
}
