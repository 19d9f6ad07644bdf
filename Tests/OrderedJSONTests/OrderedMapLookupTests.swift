import OrderedJSON
import Testing

/// `OrderedMap` lookups: a scan of the keys up to 8 entries, a hash index above; both must agree
/// with a dictionary through inserts, replacements and removals that cross the limit both ways.
@Suite struct OrderedMapLookupTests {
    @Test func lookupsAcrossTheIndexLimit() {
        var m = OrderedMap<Int>()
        var reference: [String: Int] = [:]
        var order: [String] = []
        var rng = SplitMix(state: 42)
        // Keys of equal and different lengths (the scan compares lengths first).
        let names = (0..<24).map { i in i % 3 == 0 ? "k\(i)" : i % 3 == 1 ? "key\(i)" : "\(i)x" }
        for step in 0..<2_000 {
            let k = names[Int.random(in: 0..<names.count, using: &rng)]
            if Bool.random(using: &rng) || m.count < 4 {
                if reference[k] == nil { order.append(k) }
                m[k] = step
                reference[k] = step
            } else {
                let removed = m.removeValue(forKey: k)
                #expect(removed == reference.removeValue(forKey: k))
                order.removeAll { $0 == k }
            }
            #expect(m.count == reference.count)
            #expect(m.keys == order)
            for name in names {
                #expect(m[name] == reference[name])
                #expect(m.contains(key: name) == (reference[name] != nil))
            }
        }
    }

    @Test func repeatedKeyKeepsItsFirstPosition() {
        var m = OrderedMap<Int>()
        for i in 0..<12 { m["k\(i)"] = i }
        m["k3"] = 99
        #expect(m.keys.firstIndex(of: "k3") == 3 && m["k3"] == 99)
        for i in 0..<6 { m.removeValue(forKey: "k\(i)") }
        #expect(m.keys == (6..<12).map { "k\($0)" })
        m["k0"] = 0
        #expect(m.keys.last == "k0" && m["k7"] == 7 && m.count == 7)
        let pairs = Array(m)
        #expect(pairs.map(\.key) == m.keys && pairs.map(\.value) == m.values)
    }
}

/// A seeded generator (the same sequence on every run).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
