/// An ordered list of header fields. Names compare case-insensitively (RFC 9110 §5.1);
/// repeated fields are all kept in arrival order (RFC 9110 §5.3), so a caller can either
/// read the first value or all of them.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// The fields as received or added, names with their original case.
    public private(set) var fields: [(name: String, value: String)] = []

    /// An empty header list.
    public init() {}

    /// Builds headers from `(name, value)` pairs in order.
    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { (name: $0.0, value: $0.1) }
    }

    /// Builds headers from a literal; order is the literal's order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// Number of fields, counting repeats.
    public var count: Int { fields.count }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    /// Appends a field, keeping any existing field of the same name.
    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces every field named `name` with one field (or removes them if `value` is nil).
    public mutating func replaceOrAdd(name: String, value: String?) {
        remove(name: name)
        if let value { fields.append((name: name, value: value)) }
    }

    /// Removes every field named `name`.
    public mutating func remove(name: String) {
        fields.removeAll { Self.equalsIgnoringCase($0.name, name) }
    }

    /// The first value for `name`, or nil.
    public subscript(name: String) -> String? {
        fields.first { Self.equalsIgnoringCase($0.name, name) }?.value
    }

    /// Every value for `name`, in order.
    public func values(for name: String) -> [String] {
        fields.filter { Self.equalsIgnoringCase($0.name, name) }.map(\.value)
    }

    /// Whether any field named `name` exists.
    public func contains(_ name: String) -> Bool {
        fields.contains { Self.equalsIgnoringCase($0.name, name) }
    }

    /// The comma-separated list elements of every `name` field, trimmed and lowercased
    /// (RFC 9110 §5.6.1 list syntax), e.g. the tokens of `Connection` or `Transfer-Encoding`.
    public func tokens(for name: String) -> [String] {
        var out: [String] = []
        for v in values(for: name) {
            for part in v.split(separator: ",") {
                let t = part.trimmingASCIIWhitespace().lowercased()
                if !t.isEmpty { out.append(t) }
            }
        }
        return out
    }

    @inlinable
    static func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }

    /// ASCII case-insensitive comparison, enough for field names (which are tokens).
    @inlinable
    public static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { ua in
            b.withUTF8 { ub in
                guard ua.count == ub.count else { return false }
                for i in 0..<ua.count where lower(ua[i]) != lower(ub[i]) {
                    return false
                }
                return true
            }
        }
    }
}

extension StringProtocol {
    /// Trims spaces and horizontal tabs (HTTP's OWS, RFC 9110 §5.6.3).
    package func trimmingASCIIWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
