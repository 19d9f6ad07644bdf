import Foundation

/// A setting's value after checking, in the type its kind implies.
public enum SettingValue: Sendable, Equatable {
    case unset
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case list([String])
}

extension SettingKind {
    /// Reads `text` as a value of this kind; nil when it is not one. `physicalMemory` turns
    /// fractions into bytes for ``memory``.
    public func read(_ text: String, physicalMemory: Int) -> SettingValue? {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch self {
        case .string:
            return t.isEmpty ? nil : .string(t)
        case .int(let range):
            guard let v = Int(t), range.contains(v) else { return nil }
            return .int(v)
        case .optionalInt(let range, _):
            if t.lowercased() == "auto" { return .unset }
            guard let v = Int(t), range.contains(v) else { return nil }
            return .int(v)
        case .seconds(let range):
            guard let v = Double(t), v.isFinite, range.contains(v) else { return nil }
            return .double(v)
        case .bool:
            switch t.lowercased() {
            case "true", "1", "yes", "on": return .bool(true)
            case "false", "0", "no", "off": return .bool(false)
            default: return nil
            }
        case .choice(let words):
            let l = t.lowercased()
            return words.contains(l) ? .string(l) : nil
        case .bytes:
            return ByteSize.parse(t).map { .int($0) }
        case .memory:
            if let f = ByteSize.parseFraction(t) {
                guard physicalMemory > 0 else { return nil }
                return .int(max(1, Int(Double(physicalMemory) * f)))
            }
            return ByteSize.parse(t).map { .int($0) }
        case .list:
            let items = t.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard !items.isEmpty, !items.contains(where: \.isEmpty) else { return nil }
            return .list(items)
        }
    }
}

/// Human byte sizes: `1048576`, `512K`, `512KB`, `512KiB`, `1.5G`; binary multiples (K = 1024).
public enum ByteSize {
    /// The number of bytes, or nil when `text` is not a positive size.
    public static func parse(_ text: String) -> Int? {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        if t.hasSuffix("IB") { t.removeLast(2) } else if t.hasSuffix("B") { t.removeLast() }
        let multipliers: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        var scale = 1.0
        if let last = t.last, let m = multipliers[last] {
            scale = m
            t.removeLast()
        }
        t = t.trimmingCharacters(in: .whitespaces)
        if scale == 1, let v = Int(t) { return v > 0 ? v : nil }
        guard let v = Double(t), v.isFinite, v > 0, v * scale < 0x1p62 else { return nil }
        let bytes = Int(v * scale)
        return bytes > 0 ? bytes : nil
    }

    /// A fraction in (0, 1]: `25%` or `0.25`; nil otherwise (a plain `1` is one byte, not 100%).
    public static func parseFraction(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("%") {
            guard let p = Double(t.dropLast()), p > 0, p <= 100 else { return nil }
            return p / 100
        }
        guard t.contains("."), let f = Double(t), f > 0, f <= 1 else { return nil }
        return f
    }
}
