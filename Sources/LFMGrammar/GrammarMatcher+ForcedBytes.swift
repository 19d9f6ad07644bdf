/// The bytes a grammar forces from a matcher's position: what every accepted continuation
/// must start with. The engine turns them into tokens appended without sampling
/// ("fast-forward"; docs/architecture.md, "Fast-forward").
public struct ForcedBytes: Sendable, Equatable {
    /// The forced bytes (possibly empty).
    public var bytes: [UInt8]
    /// True when, after ``bytes``, the output can only end: the grammar is complete and reads
    /// nothing more (so no later text can merge with the last forced bytes).
    public var endsOutput: Bool

    public init(bytes: [UInt8], endsOutput: Bool) {
        self.bytes = bytes
        self.endsOutput = endsOutput
    }
}

extension GrammarMatcher {
    /// The byte string every continuation accepted from here starts with: the walk takes a
    /// byte while it is the only byte any stack can read, and stops where two bytes are
    /// possible, where a special token may come, where the grammar may end, or after `limit`
    /// bytes. The matcher is unchanged.
    ///
    /// In JSON grammars (``CompiledGrammar/escapesAreSpellings``) a character is taken in its
    /// plain spelling when the only other way on is a JSON escape that spells the same
    /// character (`n` rather than `\u006e` in a key): the forced *value* is the same; only its
    /// spelling is chosen.
    public func forcedBytes(limit: Int = 256) -> ForcedBytes {
        var c = current
        var out: [UInt8] = []
        while out.count < limit && !c.terminated && !c.complete {
            guard let readable = readableBytes(c), !readable.isEmpty else { break }
            if readable.count == 1 {
                guard let next = step(c, readable[0]) else { break }
                out.append(readable[0])
                c = next
                continue
            }
            guard grammar.escapesAreSpellings, readable.count == 2, readable.contains(0x5C),
                  let plain = plainCharacter(c, first: readable[0] == 0x5C ? readable[1] : readable[0]),
                  out.count + plain.bytes.count <= limit,
                  escapesOnlySpell(plain.scalar, from: c) else { break }
            out += plain.bytes
            c = plain.after
        }
        return ForcedBytes(bytes: out, endsOutput: !c.terminated && c.complete && c.stacks.isEmpty)
    }

    /// The bytes the stacks of `c` can read next (ascending, distinct), or nil when a stack
    /// may read a special token or more than a few bytes.
    private func readableBytes(_ c: Configuration) -> [UInt8]? {
        let a = grammar.automaton
        var bytes: [UInt8] = []
        for s in c.stacks {
            let top = Int(s[s.count - 1])
            let f = a.flags[top]
            if f & Automaton.hasTokens != 0 { return nil }
            if f & Automaton.hasBytes == 0 { continue }
            let n = Int(a.readableCount[top])
            guard n <= 4 else { return nil }
            for i in 0..<n where !bytes.contains(a.readableBytes[top * 4 + i]) { bytes.append(a.readableBytes[top * 4 + i]) }
        }
        return bytes.sorted()
    }

    /// The configuration after one byte, or nil when no stack reads it.
    private func step(_ c: Configuration, _ byte: UInt8) -> Configuration? {
        let a = grammar.automaton
        var next: [[Int32]] = []
        var complete = false
        for s in c.stacks {
            let t = a.step(s[s.count - 1], byte)
            if t < 0 { continue }
            var ns = s
            ns[ns.count - 1] = t
            a.expand(ns, into: &next, complete: &complete)
        }
        if next.isEmpty && !complete { return nil }
        return Configuration(stacks: next, complete: complete)
    }

    /// The UTF-8 character starting with `first` when its continuation bytes are forced.
    private func plainCharacter(_ c: Configuration, first: UInt8) -> (bytes: [UInt8], scalar: UInt32, after: Configuration)? {
        let length = first < 0x80 ? 1 : first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 0
        guard length > 0, var state = step(c, first) else { return nil }
        var bytes = [first]
        while bytes.count < length {
            guard !state.complete, let r = readableBytes(state), r.count == 1, r[0] & 0xC0 == 0x80,
                  let next = step(state, r[0]) else { return nil }
            bytes.append(r[0])
            state = next
        }
        guard let scalar = String(decoding: bytes, as: UTF8.self).unicodeScalars.first?.value, scalar != 0xFFFD else { return nil }
        return (bytes, scalar, state)
    }

    /// Whether every way on from `c` through a backslash is a JSON escape (`\"`, `\n`, `\u00e9`
    /// in either hex case…) of `scalar`, and there is at least one. In a JSON grammar what follows
    /// depends on the decoded character only (the compiler counts and compares decoded
    /// characters), so the plain spelling loses no value.
    private func escapesOnlySpell(_ scalar: UInt32, from c: Configuration) -> Bool {
        guard let afterSlash = step(c, 0x5C), let kinds = readableBytes(afterSlash), !kinds.isEmpty else { return false }
        let short: [UInt8: UInt32] = [0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 0x08, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09]
        for k in kinds {
            guard let afterKind = step(afterSlash, k) else { return false }
            if let value = short[k] {
                guard value == scalar else { return false }
                continue
            }
            guard k == UInt8(ascii: "u") else { return false }
            // Four hex digits, each in at most a few spellings (case): every path must spell `scalar`.
            var frontier: [(Configuration, UInt32)] = [(afterKind, 0)]
            for _ in 0..<4 {
                var next: [(Configuration, UInt32)] = []
                for (state, value) in frontier {
                    guard !state.complete, let digits = readableBytes(state), !digits.isEmpty else { return false }
                    for d in digits {
                        guard let h = Self.hexValue(d), let s = step(state, d) else { return false }
                        next.append((s, value << 4 | h))
                    }
                }
                guard next.count <= 64 else { return false }
                frontier = next
            }
            for (_, value) in frontier where value != scalar { return false }
        }
        return true
    }

    private static func hexValue(_ d: UInt8) -> UInt32? {
        switch d {
        case 0x30...0x39: return UInt32(d - 0x30)
        case 0x41...0x46: return UInt32(d - 0x41 + 10)
        case 0x61...0x66: return UInt32(d - 0x61 + 10)
        default: return nil
        }
    }
}
