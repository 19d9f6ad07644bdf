/// A dictionary with `String` keys that remembers insertion order, like a Python `dict`.
///
/// Lookup is O(1) through a hash index once the map has more than ``linearLimit`` entries and a
/// scan of the keys below that (most JSON objects are small: comparing a few short keys costs
/// less than hashing one, and copies do not copy an index); iteration yields entries in
/// insertion order.
/// Assigning to an existing key replaces its value but keeps its original position,
/// which is exactly what Python does (and therefore what `json.loads` does with duplicate keys).
/// Equality ignores order, as Python's `dict.__eq__` does.
///
/// The members that merges and lookups call are `@inlinable`: other modules (the grammar
/// compiler works on `OrderedMap<JSONValue>` throughout) get them specialized instead of going
/// through the generic entry points and their runtime metadata lookups.
public struct OrderedMap<Value>: Sendable where Value: Sendable {
    @usableFromInline var storedKeys: [String] = []
    @usableFromInline var storedValues: [Value] = []
    /// Key → position, kept only above ``linearLimit`` entries (empty otherwise).
    @usableFromInline var index: [String: Int] = [:]

    /// The keys, in insertion order.
    @inlinable public var keys: [String] { storedKeys }
    /// The values, parallel to `keys`.
    @inlinable public var values: [Value] { storedValues }

    /// Most entries looked up by scanning the keys.
    @inlinable static var linearLimit: Int { 8 }

    /// The position of `key`.
    @inlinable @inline(__always) func position(of key: String) -> Int? {
        if storedKeys.count <= Self.linearLimit { return storedKeys.firstIndex(of: key) }
        return index[key]
    }

    /// Creates an empty map.
    @inlinable public init() {}

    /// Creates an empty map with room for `capacity` entries.
    @inlinable public init(minimumCapacity capacity: Int) {
        storedKeys.reserveCapacity(capacity)
        storedValues.reserveCapacity(capacity)
        if capacity > Self.linearLimit { index.reserveCapacity(capacity) }
    }

    /// Creates a map from key-value pairs; a repeated key keeps its first position and its last value.
    @inlinable public init<S: Sequence>(_ pairs: S) where S.Element == (String, Value) {
        self.init()
        for (key, value) in pairs { self[key] = value }
    }

    /// The number of entries.
    @inlinable public var count: Int { storedKeys.count }

    /// True when the map has no entries.
    @inlinable public var isEmpty: Bool { storedKeys.isEmpty }

    /// The value stored for `key`, or nil. Setting nil removes the entry (O(n)).
    @inlinable public subscript(key: String) -> Value? {
        get {
            guard let i = position(of: key) else { return nil }
            return storedValues[i]
        }
        set {
            if let newValue {
                if let i = position(of: key) {
                    storedValues[i] = newValue
                } else {
                    storedKeys.append(key)
                    storedValues.append(newValue)
                    if storedKeys.count > Self.linearLimit {
                        if index.isEmpty {
                            for (j, k) in storedKeys.enumerated() { index[k] = j }
                        } else {
                            index[key] = storedKeys.count - 1
                        }
                    }
                }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// True when `key` is present.
    @inlinable public func contains(key: String) -> Bool { position(of: key) != nil }

    /// Identifies the storage of a non-empty map (nil when empty). Copies share storage until
    /// one of them changes, which gives that one storage of its own first; so while a map is
    /// kept alive, another map with its identity holds exactly its entries. For caches keyed by
    /// a map they keep: a lookup costs O(1) where hashing the entries costs their whole size.
    @inlinable public var storageIdentity: StorageIdentity? {
        if storedKeys.isEmpty { return nil }
        let k = storedKeys.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        let v = storedValues.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        return StorageIdentity(keys: k, values: v)
    }

    /// Removes the entry for `key` (O(n), order of the others is kept) and returns its value.
    @inlinable @discardableResult
    public mutating func removeValue(forKey key: String) -> Value? {
        guard let i = position(of: key) else { return nil }
        storedKeys.remove(at: i)
        let old = storedValues.remove(at: i)
        if storedKeys.count <= Self.linearLimit {
            index = [:]
        } else {
            index.removeValue(forKey: key)
            for j in i..<storedKeys.count { index[storedKeys[j]] = j }
        }
        return old
    }

    /// Returns a copy whose values are transformed by `transform`, keeping keys and order.
    @inlinable public func mapValues<T>(_ transform: (Value) throws -> T) rethrows -> OrderedMap<T> {
        var result = OrderedMap<T>()
        result.storedKeys = storedKeys
        result.index = index
        result.storedValues = try storedValues.map(transform)
        return result
    }
}

/// The storage of an ``OrderedMap`` (``OrderedMap/storageIdentity``): addresses, never read through.
public struct StorageIdentity: Hashable, Sendable {
    @usableFromInline let keys: Int
    @usableFromInline let values: Int

    @inlinable init(keys: Int, values: Int) {
        self.keys = keys
        self.values = values
    }
}

extension OrderedMap: Sequence {
    /// Iterates `(key, value)` pairs in insertion order.
    public struct Iterator: IteratorProtocol {
        @usableFromInline let keys: [String]
        @usableFromInline let values: [Value]
        @usableFromInline var i = 0

        @inlinable init(keys: [String], values: [Value]) {
            self.keys = keys
            self.values = values
        }

        @inlinable public mutating func next() -> (key: String, value: Value)? {
            guard i < keys.count else { return nil }
            defer { i += 1 }
            return (key: keys[i], value: values[i])
        }
    }

    /// Iterates `(key, value)` pairs in insertion order.
    @inlinable public func makeIterator() -> Iterator { Iterator(keys: storedKeys, values: storedValues) }

    @inlinable public var underestimatedCount: Int { storedKeys.count }
}

extension OrderedMap: Equatable where Value: Equatable {
    /// Order-insensitive equality, like Python dicts.
    @inlinable public static func == (lhs: Self, rhs: Self) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (i, key) in lhs.keys.enumerated() {
            guard let other = rhs[key], other == lhs.values[i] else { return false }
        }
        return true
    }
}

extension OrderedMap: Hashable where Value: Hashable {
    /// Order-insensitive hash, consistent with `==`.
    @inlinable public func hash(into hasher: inout Hasher) {
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
    @inlinable public init(dictionaryLiteral elements: (String, Value)...) {
        self.init(elements)
    }
}

/// A JSON object: string keys in insertion order (see ``OrderedMap``).
public typealias JSONObject = OrderedMap<JSONValue>
