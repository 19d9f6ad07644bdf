/// Small helpers for marker search on arrays of Unicode scalars.
///
/// The streaming parsers buffer text as `[Unicode.Scalar]` rather than `String` so that
/// deltas split anywhere between scalars (including inside a grapheme cluster, e.g. between
/// an emoji and its ZWJ sequence) reassemble exactly, and so that marker matching never
/// depends on grapheme clustering (`>` followed by a combining mark is still a `>`).
enum ScalarText {
    /// The first index `i >= from` where `needle` occurs in `haystack[..<end]`, or nil.
    static func find(_ needle: [Unicode.Scalar], in haystack: [Unicode.Scalar],
                     from: Int = 0, end: Int? = nil) -> Int? {
        let end = end ?? haystack.count
        let n = needle.count
        guard n > 0, end - n >= 0 else { return nil }
        var i = max(0, from)
        while i <= end - n {
            if haystack[i] == needle[0] {
                var k = 1
                while k < n && haystack[i + k] == needle[k] { k += 1 }
                if k == n { return i }
            }
            i += 1
        }
        return nil
    }

    /// The length of the longest proper prefix of `marker` that is a suffix of `haystack[..<end]`.
    /// That many trailing scalars must be held back: they could become the marker.
    static func partialSuffixLength(of marker: [Unicode.Scalar], in haystack: [Unicode.Scalar],
                                    end: Int? = nil) -> Int {
        let end = end ?? haystack.count
        var k = min(marker.count - 1, end)
        while k > 0 {
            var match = true
            for j in 0..<k where haystack[end - k + j] != marker[j] {
                match = false
                break
            }
            if match { return k }
            k -= 1
        }
        return 0
    }

    /// True when `haystack[at...]` starts with the whole of `prefix`.
    static func hasPrefix(_ prefix: [Unicode.Scalar], in haystack: [Unicode.Scalar], at: Int) -> Bool {
        guard at >= 0, haystack.count - at >= prefix.count else { return false }
        for j in 0..<prefix.count where haystack[at + j] != prefix[j] { return false }
        return true
    }

    /// True when `haystack[at...]` (to its end) is a prefix of `marker` (possibly all of it).
    static func isPrefixOfMarker(_ marker: [Unicode.Scalar], in haystack: [Unicode.Scalar], at: Int) -> Bool {
        let rest = haystack.count - at
        guard rest <= marker.count else { return false }
        for j in 0..<rest where haystack[at + j] != marker[j] { return false }
        return true
    }

    /// A `String` made of the given scalars.
    static func string<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// Python's `str.isspace` restricted to what models emit: Unicode whitespace.
    @inline(__always)
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case " ", "\n", "\t", "\r": return true
        default: return s.value > 0x7F && s.properties.isWhitespace
        }
    }
}
