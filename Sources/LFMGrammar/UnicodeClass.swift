/// A set of Unicode scalar values as sorted, disjoint, non-adjacent closed ranges, and its
/// translation into UTF-8 byte sequences for the grammar.
public struct UnicodeClass: Hashable, Sendable {
    /// Sorted, disjoint ranges of scalar values.
    public private(set) var ranges: [ClosedRange<UInt32>]

    /// The largest Unicode scalar value.
    public static let maxScalar: UInt32 = 0x10FFFF

    /// A class of the given ranges (normalised).
    public init(_ ranges: [ClosedRange<UInt32>]) {
        let sorted = ranges.filter { $0.lowerBound <= $0.upperBound }.sorted { $0.lowerBound < $1.lowerBound }
        var out: [ClosedRange<UInt32>] = []
        for r in sorted {
            if let last = out.last, r.lowerBound <= last.upperBound &+ 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        self.ranges = out
    }

    /// One scalar.
    public init(scalar: UInt32) { self.init([scalar...scalar]) }

    /// Every scalar value.
    public static let any = UnicodeClass([0...maxScalar])

    /// Whether `c` is in the class.
    public func contains(_ c: UInt32) -> Bool { ranges.contains { $0.contains(c) } }

    /// Union.
    public func union(_ o: UnicodeClass) -> UnicodeClass { UnicodeClass(ranges + o.ranges) }

    /// The scalars not in the class.
    public var complement: UnicodeClass {
        var out: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for r in ranges {
            if r.lowerBound > next { out.append(next...(r.lowerBound - 1)) }
            next = r.upperBound &+ 1
            if r.upperBound == UnicodeClass.maxScalar { return UnicodeClass(out) }
        }
        if next <= UnicodeClass.maxScalar { out.append(next...UnicodeClass.maxScalar) }
        return UnicodeClass(out)
    }

    /// Intersection.
    public func intersection(_ o: UnicodeClass) -> UnicodeClass {
        complement.union(o.complement).complement
    }

    /// Removes the given scalars.
    public func subtracting(_ o: UnicodeClass) -> UnicodeClass { intersection(o.complement) }

    /// True when the class has no scalar.
    public var isEmpty: Bool { ranges.isEmpty }

    /// Number of scalars in the class.
    public var count: Int { ranges.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound) + 1 } }

    /// The class as an expression over UTF-8 bytes (surrogates are not scalars and excluded).
    public var utf8Expr: GrammarExpr {
        var alts: [GrammarExpr] = []
        var singleBytes = ByteSet()
        for r in ranges {
            var pieces: [ClosedRange<UInt32>] = []
            if r.lowerBound <= 0xD7FF { pieces.append(r.lowerBound...min(r.upperBound, 0xD7FF)) }
            if r.upperBound >= 0xE000 { pieces.append(max(r.lowerBound, 0xE000)...r.upperBound) }
            for piece in pieces {
                UnicodeClass.split(piece.lowerBound, piece.upperBound) { seq in
                    if seq.count == 1 {
                        singleBytes = singleBytes.union(ByteSet(seq[0]))
                    } else {
                        alts.append(.seq(seq.map { .bytes(ByteSet($0)) }))
                    }
                }
            }
        }
        if !singleBytes.isEmpty { alts.insert(.bytes(singleBytes), at: 0) }
        return alts.count == 1 ? alts[0] : .alt(alts)
    }

    /// Splits [lo, hi] into ranges whose UTF-8 encodings are products of byte ranges
    /// (the construction of Rust's `utf8-ranges`).
    static func split(_ lo: UInt32, _ hi: UInt32, _ emit: ([ClosedRange<UInt8>]) -> Void) {
        for boundary: UInt32 in [0x7F, 0x7FF, 0xFFFF] where lo <= boundary && hi > boundary {
            split(lo, boundary, emit)
            split(boundary + 1, hi, emit)
            return
        }
        if hi <= 0x7F {
            emit([UInt8(lo)...UInt8(hi)])
            return
        }
        let n = hi <= 0x7FF ? 2 : hi <= 0xFFFF ? 3 : 4
        for i in 1..<n {
            let m: UInt32 = (1 << (6 * UInt32(i))) - 1
            if lo & ~m != hi & ~m {
                if lo & m != 0 {
                    split(lo, lo | m, emit)
                    split((lo | m) + 1, hi, emit)
                    return
                }
                if hi & m != m {
                    split(lo, (hi & ~m) - 1, emit)
                    split(hi & ~m, hi, emit)
                    return
                }
            }
        }
        let a = encode(lo), b = encode(hi)
        emit(zip(a, b).map { $0...$1 })
    }

    /// UTF-8 encoding of a scalar value.
    static func encode(_ c: UInt32) -> [UInt8] {
        switch c {
        case 0..<0x80: return [UInt8(c)]
        case 0x80..<0x800: return [UInt8(0xC0 | (c >> 6)), UInt8(0x80 | (c & 0x3F))]
        case 0x800..<0x10000:
            return [UInt8(0xE0 | (c >> 12)), UInt8(0x80 | ((c >> 6) & 0x3F)), UInt8(0x80 | (c & 0x3F))]
        default:
            return [UInt8(0xF0 | (c >> 18)), UInt8(0x80 | ((c >> 12) & 0x3F)),
                    UInt8(0x80 | ((c >> 6) & 0x3F)), UInt8(0x80 | (c & 0x3F))]
        }
    }
}
