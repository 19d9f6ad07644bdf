/// A dictionary with `String` keys that remembers insertion order, like a Python `dict`.
///
/// Lookup is O(1) through a hash index once the map has more than ``linearLimit`` entries and a
/// scan of the keys below that (most JSON objects are small: comparing a few short keys costs
/// less than hashing one, and copies do not copy an index); iteration yields entries in
/// insertion order.
/// Assigning to an existing key replaces its value but keeps its original position,
/// which is exactly what Python does (and therefore what `json.loads` does with duplicate keys).
/// Equality ignores order, as Python's `dict.__eq__` does.
public struct OrderedMap<Value>: Sendable where Value: Sendable {
    /// The keys, in insertion order.
    public private(set) var keys: [String] = []
    /// The values, parallel to `keys`.
    public private(set) var values: [Value] = []
    /// Key → position, kept only above ``linearLimit`` entries (empty otherwise).
    private var index: [String: Int] = [:]

    /// Most entries looked up by scanning the keys.
    static var linearLimit: Int { 8 }

    /// The position of `key`.
    @inline(__always) private func position(of key: String) -> Int? {
        if keys.count <= Self.linearLimit { return keys.firstIndex(of: key) }
        return index[key]
    }

    /// Creates an empty map.
    public init() {}

    /// Creates an empty map with room for `capacity` entries.
    public init(minimumCapacity capacity: Int) {
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
        if capacity > Self.linearLimit { index.reserveCapacity(capacity) }
    }

    /// Creates a map from key-value pairs; a repeated key keeps its first position and its last value.
    public init<S: Sequence>(_ pairs: S) where S.Element == (String, Value) {
        self.init()
        for (key, value) in pairs { self[key] = value }
    }

    /// The number of entries.
    public var count: Int { keys.count }

    /// True when the map has no entries.
    public var isEmpty: Bool { keys.isEmpty }

    /// The value stored for `key`, or nil. Setting nil removes the entry (O(n)).
    public subscript(key: String) -> Value? {
        get {
            guard let i = position(of: key) else { return nil }
            return values[i]
        }
        set {
            if let newValue {
                if let i = position(of: key) {
                    values[i] = newValue
                } else {
                    keys.append(key)
                    values.append(newValue)
                    if keys.count > Self.linearLimit {
                        if index.isEmpty {
                            for (j, k) in keys.enumerated() { index[k] = j }
                        } else {
                            index[key] = keys.count - 1
                        }
                    }
                }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// True when `key` is present.
    public func contains(key: String) -> Bool { position(of: key) != nil }

    /// Identifies the storage of a non-empty map (nil when empty). Copies share storage until
    /// one of them changes, which gives that one storage of its own first; so while a map is
    /// kept alive, another map with its identity holds exactly its entries. For caches keyed by
    /// a map they keep: a lookup costs O(1) where hashing the entries costs their whole size.
    public var storageIdentity: StorageIdentity? {
        if keys.isEmpty { return nil }
        let k = keys.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        let v = values.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        return StorageIdentity(keys: k, values: v)
    }

    /// Removes the entry for `key` (O(n), order of the others is kept) and returns its value.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> Value? {
        guard let i = position(of: key) else { return nil }
        keys.remove(at: i)
        let old = values.remove(at: i)
        if keys.count <= Self.linearLimit {
            index = [:]
        } else {
            index.removeValue(forKey: key)
            for j in i..<keys.count { index[keys[j]] = j }
        }
        return old
    }

    /// Returns a copy whose values are transformed by `transform`, keeping keys and order.
    public func mapValues<T>(_ transform: (Value) throws -> T) rethrows -> OrderedMap<T> {
        var result = OrderedMap<T>()
        result.keys = keys
        result.index = index
        result.values = try values.map(transform)
        return result
    }
}

/// The storage of an ``OrderedMap`` (``OrderedMap/storageIdentity``): addresses, never read through.
public struct StorageIdentity: Hashable, Sendable {
    let keys: Int
    let values: Int
}

extension OrderedMap: Sequence {
    /// Iterates `(key, value)` pairs in insertion order.
    public struct Iterator: IteratorProtocol {
        let keys: [String]
        let values: [Value]
        var i = 0

        public mutating func next() -> (key: String, value: Value)? {
            guard i < keys.count else { return nil }
            defer { i += 1 }
            return (key: keys[i], value: values[i])
        }
    }

    /// Iterates `(key, value)` pairs in insertion order.
    public func makeIterator() -> Iterator { Iterator(keys: keys, values: values) }

    public var underestimatedCount: Int { keys.count }
}

extension OrderedMap: Equatable where Value: Equatable {
    /// Order-insensitive equality, like Python dicts.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (i, key) in lhs.keys.enumerated() {
            guard let other = rhs[key], other == lhs.values[i] else { return false }
        }
        return true
    }
}

extension OrderedMap: Hashable where Value: Hashable {
    /// Order-insensitive hash, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        var combined = 0
        for (i, key) in keys.enumerated() {
            var h = Hasher()
            h.combine(key)
            h.combine(values[i])
            combined ^= h.finalize()
        }
        hasher.combine(count)
        hasher.combine(combined)
    }
}

extension OrderedMap: ExpressibleByDictionaryLiteral {
    /// Creates a map from a literal; order is the literal's order.
    public init(dictionaryLiteral elements: (String, Value)...) {
        self.init(elements)
    }
}

/// A JSON object: string keys in insertion order (see ``OrderedMap``).
public typealias JSONObject = OrderedMap<JSONValue>
