/// A set of byte values (256 bits), the label of a byte terminal.
public struct ByteSet: Hashable, Sendable {
    /// Four 64-bit words, bit `b & 63` of word `b >> 6` set when byte `b` is in the set.
    public var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// The empty set.
    public init() {}

    /// The set of the bytes in `range`.
    public init(_ range: ClosedRange<UInt8>) {
        for b in range { insert(b) }
    }

    /// The set of the given bytes.
    public init(bytes: some Sequence<UInt8>) {
        for b in bytes { insert(b) }
    }

    /// Adds a byte.
    public mutating func insert(_ b: UInt8) {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    /// Removes a byte.
    public mutating func remove(_ b: UInt8) {
        let bit = ~(UInt64(1) << UInt64(b & 63))
        switch b >> 6 {
        case 0: words.0 &= bit
        case 1: words.1 &= bit
        case 2: words.2 &= bit
        default: words.3 &= bit
        }
    }

    /// Whether the byte is in the set.
    public func contains(_ b: UInt8) -> Bool {
        let w: UInt64
        switch b >> 6 {
        case 0: w = words.0
        case 1: w = words.1
        case 2: w = words.2
        default: w = words.3
        }
        return w & (UInt64(1) << UInt64(b & 63)) != 0
    }

    /// True when no byte is in the set.
    public var isEmpty: Bool { words.0 | words.1 | words.2 | words.3 == 0 }

    /// The union of two sets.
    public func union(_ o: ByteSet) -> ByteSet {
        var r = ByteSet()
        r.words = (words.0 | o.words.0, words.1 | o.words.1, words.2 | o.words.2, words.3 | o.words.3)
        return r
    }

    /// The bytes not in the set.
    public var complement: ByteSet {
        var r = ByteSet()
        r.words = (~words.0, ~words.1, ~words.2, ~words.3)
        return r
    }

    public static func == (a: ByteSet, b: ByteSet) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into h: inout Hasher) {
        h.combine(words.0); h.combine(words.1); h.combine(words.2); h.combine(words.3)
    }
}

/// A regular expression over grammar symbols: the right-hand side of one grammar rule.
///
/// Terminals are byte sets (text is matched as UTF-8 bytes) and special token ids; `ref`
/// calls another rule of the same ``Grammar`` (rules may be recursive, but not left-recursive).
public indirect enum GrammarExpr: Hashable, Sendable {
    /// The empty string.
    case empty
    /// One byte from the set.
    case bytes(ByteSet)
    /// The special token with this id (never matched by text).
    case token(Int)
    /// A call of rule number `n` of the grammar.
    case ref(Int)
    /// The items one after the other.
    case seq([GrammarExpr])
    /// Any one of the alternatives (`alt([])` matches nothing).
    case alt([GrammarExpr])
    /// `min` to `max` (nil: unbounded) repetitions.
    case rep(GrammarExpr, min: Int, max: Int?)
    /// The items in order, separated by `separator`; items whose `optional` flag is set may be
    /// left out, and `extra` may appear any number of times anywhere (JSON object members in
    /// schema order). Built with shared states, so its size is linear in the item count.
    case members([GrammarExpr], optional: [Bool], extra: GrammarExpr?, separator: GrammarExpr)
    /// The strings a byte automaton accepts (built by intersection, complement or counting).
    case automaton(ByteDFA)

    /// The language with no strings.
    public static let nothing = GrammarExpr.alt([])

    /// The UTF-8 bytes of `text`, literally.
    public static func literal(_ text: String) -> GrammarExpr {
        let utf8 = text.utf8
        if utf8.count == 1 { return byte(utf8.first!) }
        return .seq(utf8.map(byte))
    }

    /// The one byte `b`.
    public static func byte(_ b: UInt8) -> GrammarExpr {
        var s = ByteSet()
        s.insert(b)
        return .bytes(s)
    }

    /// One byte in `range`.
    public static func byteRange(_ range: ClosedRange<UInt8>) -> GrammarExpr { .bytes(ByteSet(range)) }

    /// `e?`
    public static func optional(_ e: GrammarExpr) -> GrammarExpr { .rep(e, min: 0, max: 1) }

    /// `e*`
    public static func star(_ e: GrammarExpr) -> GrammarExpr { .rep(e, min: 0, max: nil) }

    /// `e+`
    public static func plus(_ e: GrammarExpr) -> GrammarExpr { .rep(e, min: 1, max: nil) }

    /// ``size`` when it is at most `limit`, otherwise some number above `limit` (the count stops
    /// early, so checking a large tree against a small bound is cheap).
    public func size(upTo limit: Int) -> Int {
        var budget = limit + 1
        countDown(&budget)
        return budget > 0 ? limit + 1 - budget : limit + 1
    }

    /// Subtracts the node count from `budget`, stopping once it is not positive.
    private func countDown(_ budget: inout Int) {
        if budget <= 0 { return }
        switch self {
        case .empty, .bytes, .token, .ref: budget -= 1
        case .automaton(let d): budget -= d.size
        case .seq(let xs), .alt(let xs):
            budget -= 1
            for x in xs where budget > 0 { x.countDown(&budget) }
        case .rep(let e, let lo, let hi):
            let times = max(1, min(max(lo, hi ?? lo + 1), 1 << 20))
            budget -= 1 + e.size(upTo: budget) * times
        case .members(let xs, _, let extra, let sep):
            budget -= 1
            for x in xs where budget > 0 { x.countDown(&budget) }
            if budget > 0 { budget -= (sep.size(upTo: budget) + (extra?.size(upTo: budget) ?? 0)) * (xs.count + 1) }
        }
    }

    /// Number of nodes of the expression tree (its size for inlining and limits).
    public var size: Int {
        switch self {
        case .empty, .bytes, .token, .ref: return 1
        case .automaton(let d): return d.size
        case .seq(let xs), .alt(let xs): return xs.reduce(1) { $0 + $1.size }
        case .rep(let e, let lo, let hi): return 1 + e.size * max(1, min(max(lo, hi ?? lo + 1), 1 << 20))
        case .members(let xs, _, let extra, let sep):
            return 1 + xs.reduce(0) { $0 + $1.size } + (sep.size + (extra?.size ?? 0)) * (xs.count + 1)
        }
    }
}

/// A context-free grammar whose rules are regular expressions over bytes, special tokens and
/// rule calls (an extended BNF). Rule 0 is not special; ``start`` names the start rule.
public struct Grammar: Sendable, Hashable {
    /// Rule right-hand sides.
    public var rules: [GrammarExpr]
    /// Rule names, for error messages (same count as ``rules``).
    public var names: [String]
    /// The start rule.
    public var start: Int
    /// Rules kept as calls (never inlined). A called rule without calls of its own is a
    /// "lexeme": its per-state masks are shared by every grammar of the process that has the
    /// same rule (e.g. JSON strings), so they are computed once.
    public var noInline: Set<Int> = []
    /// Rules whose bodies a tag names: those the compiler fixes whatever the input (any JSON
    /// value, string, whitespace) and string lexemes fixed by their keywords (bounds, format,
    /// pattern), each with a tag naming its body: their automata are built once per process
    /// and cached by tag (``RuleDFA``), so compiling a schema neither determinises them again
    /// nor hashes their expressions. Equal tags must mean equal bodies up to the numbering of
    /// the rules they call (debug builds check this on every cache hit).
    public var builtin: [Int: String] = [:]

    /// A grammar of the given rules.
    public init(rules: [GrammarExpr] = [], names: [String] = [], start: Int = 0) {
        self.rules = rules
        self.names = names
        self.start = start
    }

    /// Adds a rule (right-hand side filled in later with ``define(_:_:)``) and returns its number.
    public mutating func declare(_ name: String) -> Int {
        rules.append(.nothing)
        names.append(name)
        return rules.count - 1
    }

    /// Sets the right-hand side of rule `n`.
    public mutating func define(_ n: Int, _ e: GrammarExpr) { rules[n] = e }

    /// Adds a rule with its right-hand side and returns its number.
    public mutating func add(_ name: String, _ e: GrammarExpr) -> Int {
        let n = declare(name)
        rules[n] = e
        return n
    }
}

/// Why a schema, grammar or regex cannot be compiled. The message names the keyword or rule
/// and where it is (JSON pointer, GBNF line, regex offset).
public struct GrammarError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Human-readable reason, naming the keyword/rule and its location.
    public let message: String
    /// A new error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A JSON pointer as error messages show it: the root (`""`) is written `/`.
func displayPointer(_ ptr: String) -> String { ptr.isEmpty ? "/" : ptr }
