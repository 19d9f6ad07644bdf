import OrderedJSON
import Testing

/// `OrderedMap` lookups: a scan of the keys up to 8 entries, a hash index above; both must agree
/// with a dictionary through inserts, replacements and removals that cross the limit both ways.
@Suite struct OrderedMapLookupTests {
    @Test func lookupsAcrossTheIndexLimit() {
        var m = OrderedMap<Int>()
        var reference: [String: Int] = [:]
        var order: [String] = []
        // Keys of equal and different lengths (the scan compares lengths first).
        let names = (0..<24).map { i in i % 3 == 0 ? "k\(i)" : i % 3 == 1 ? "key\(i)" : "\(i)x" }
        var crossings = 0
        for step in 0..<2_000 {
            let before = m.count
            // A fixed walk over the names that inserts more than it removes at first and then
            // the other way round, so the count crosses the limit both ways many times.
            let k = names[(step * 7 + step / 13) % names.count]
            let inserting = (step / 150) % 2 == 0 ? step % 4 != 0 : step % 4 == 0
            if inserting || m.count < 4 {
                if reference[k] == nil { order.append(k) }
                m[k] = step
                reference[k] = step
            } else {
                let removed = m.removeValue(forKey: k)
                #expect(removed == reference.removeValue(forKey: k))
                order.removeAll { $0 == k }
            }
            if (before <= 8) != (m.count <= 8) { crossings += 1 }
            #expect(m.count == reference.count)
            #expect(m.keys == order)
            for name in names {
                #expect(m[name] == reference[name])
                #expect(m.contains(key: name) == (reference[name] != nil))
            }
        }
        #expect(crossings >= 6, "the walk crossed the scan/index limit \(crossings) times")
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

