import OrderedJSON

/// A schema as a dictionary key for the compiler's memos: its hash is computed once and reads
/// only the first levels (deeper objects and arrays count by size), and equality is exact and
/// order-sensitive — member order is part of what a schema compiles to — comparing shared
/// storage by identity before content. Merged schemas repeat whole subtrees unchanged, so a
/// lookup costs about their top levels instead of their whole size.
struct SchemaKey: Hashable {
    let value: JSONValue
    let hash: Int

    /// Levels of the schema its hash reads.
    static let hashDepth = 2

    init(_ value: JSONValue) {
        self.value = value
        var h = Hasher()
        Self.combine(value, into: &h, depth: Self.hashDepth)
        hash = h.finalize()
    }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    static func == (a: SchemaKey, b: SchemaKey) -> Bool { a.hash == b.hash && same(a.value, b.value) }

    static func combine(_ v: JSONValue, into h: inout Hasher, depth: Int) {
        switch v {
        case .object(let o):
            h.combine(6 as UInt8)
            h.combine(o.count)
            guard depth > 0 else { return }
            for (k, x) in o {
                h.combine(k)
                combine(x, into: &h, depth: depth - 1)
            }
        case .array(let a):
            h.combine(5 as UInt8)
            h.combine(a.count)
            guard depth > 0 else { return }
            for x in a { combine(x, into: &h, depth: depth - 1) }
        default:
            h.combine(v)
        }
    }

    /// Exact, order-sensitive equality (storage shared by both sides is equal without reading it).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            if let i = x.storageIdentity, i == y.storageIdentity { return true }
            for (i, k) in x.keys.enumerated() where y.keys[i] != k || !same(x.values[i], y.values[i]) { return false }
            return true
        case (.array(let x), .array(let y)):
            guard x.count == y.count else { return false }
            if x.withUnsafeBufferPointer({ p in y.withUnsafeBufferPointer { p.baseAddress == $0.baseAddress } }) { return true }
            for i in x.indices where !same(x[i], y[i]) { return false }
            return true
        case (.object, _), (.array, _), (_, .object), (_, .array):
            return false
        default:
            return a == b
        }
    }
}
