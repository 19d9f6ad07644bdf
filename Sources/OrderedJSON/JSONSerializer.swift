/// Options for Python-compatible serialisation, mirroring the parameters of Python's
/// `json.dumps(obj, ensure_ascii=…, indent=…, separators=…, sort_keys=…)`.
public struct PythonJSONOptions: Sendable, Equatable {
    /// Indentation string per level (`indent=2` is `"  "`), or nil for a single line.
    public var indent: String?
    /// Separator between items; nil means Python's default (`", "`, or `","` when indenting).
    public var itemSeparator: String?
    /// Separator between a key and its value; nil means `": "`.
    public var keySeparator: String?
    /// Sort object keys by code point (`sort_keys=True`).
    public var sortKeys: Bool
    /// Escape every non-ASCII character as `\uXXXX` (`ensure_ascii=True`).
    public var ensureASCII: Bool

    /// Creates options; the defaults are `json.dumps(x, ensure_ascii=False)`, which is what
    /// transformers' `tojson` filter uses.
    public init(indent: String? = nil, itemSeparator: String? = nil, keySeparator: String? = nil,
                sortKeys: Bool = false, ensureASCII: Bool = false) {
        self.indent = indent
        self.itemSeparator = itemSeparator
        self.keySeparator = keySeparator
        self.sortKeys = sortKeys
        self.ensureASCII = ensureASCII
    }

    /// Compact output with no spaces: `{"a":1,"b":[1,2]}`.
    public static let compact = PythonJSONOptions(itemSeparator: ",", keySeparator: ":")
}

/// Writes JSON text into a byte buffer.
struct JSONWriter {
    var out: [UInt8] = []
    let options: PythonJSONOptions
    let itemSeparator: [UInt8]
    let keySeparator: [UInt8]
    let indent: [UInt8]?

    init(options: PythonJSONOptions) {
        self.options = options
        indent = options.indent.map { Array($0.utf8) }
        itemSeparator = Array((options.itemSeparator ?? (options.indent == nil ? ", " : ",")).utf8)
        keySeparator = Array((options.keySeparator ?? ": ").utf8)
        out.reserveCapacity(256)
    }

    mutating func newline(level: Int) {
        guard let indent else { return }
        out.append(0x0A)
        for _ in 0..<level { out.append(contentsOf: indent) }
    }

    mutating func write(_ value: JSONValue, level: Int = 0) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .integer(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): writeDouble(d)
        case .string(let s): writeString(s)
        case .array(let elements):
            if elements.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(contentsOf: itemSeparator) }
                newline(level: level + 1)
                write(element, level: level + 1)
            }
            newline(level: level)
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            if object.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            var order = Array(object.keys.indices)
            if options.sortKeys {
                order.sort { object.keys[$0].utf8.lexicographicallyPrecedes(object.keys[$1].utf8) }
            }
            for (n, i) in order.enumerated() {
                if n > 0 { out.append(contentsOf: itemSeparator) }
                newline(level: level + 1)
                writeString(object.keys[i])
                out.append(contentsOf: keySeparator)
                write(object.values[i], level: level + 1)
            }
            newline(level: level)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Python's float encoding in `json.dumps`: `repr`, with NaN/Infinity spelled like JavaScript.
    mutating func writeDouble(_ d: Double) {
        if d.isNaN { out.append(contentsOf: "NaN".utf8); return }
        if d.isInfinite { out.append(contentsOf: (d < 0 ? "-Infinity" : "Infinity").utf8); return }
        out.append(contentsOf: PythonFloat.repr(d).utf8)
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func writeU16(_ unit: UInt16) {
        out.append(contentsOf: [0x5C, UInt8(ascii: "u")])
        out.append(Self.hex[Int(unit >> 12)])
        out.append(Self.hex[Int((unit >> 8) & 0xF)])
        out.append(Self.hex[Int((unit >> 4) & 0xF)])
        out.append(Self.hex[Int(unit & 0xF)])
    }

    /// Escapes like Python's encoder: `\"` `\\` `\n` `\r` `\t` `\b` `\f`, other C0 controls as
    /// `\u00XX`; everything else (including `/`, DEL and U+2028) is written as is unless `ensureASCII`
    /// (then DEL and everything above ASCII is `\uXXXX`, surrogate pairs for astral characters).
    mutating func writeString(_ s: String) {
        out.append(UInt8(ascii: "\""))
        if options.ensureASCII {
            for unit in s.utf16 {
                if unit >= 0x7F { writeU16(unit) } else { writeEscapedByte(UInt8(unit)) }
            }
        } else {
            for byte in s.utf8 {
                if byte >= 0x80 { out.append(byte) } else { writeEscapedByte(byte) }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always) mutating func writeEscapedByte(_ byte: UInt8) {
        switch byte {
        case 0x22: out.append(contentsOf: [0x5C, 0x22])
        case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
        case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
        case ..<0x20: writeU16(UInt16(byte))
        default: out.append(byte)
        }
    }
}

extension JSONValue {
    /// Compact JSON (`{"a":1,"b":[1,2]}`), non-ASCII kept, for API responses.
    public func serialized() -> String {
        serialized(options: .compact)
    }

    /// JSON text formatted exactly as Python's `json.dumps` with the given options
    /// (the default options give transformers' `tojson`: `{"a": 1, "b": [1, 2]}`).
    public func serialized(options: PythonJSONOptions) -> String {
        var writer = JSONWriter(options: options)
        writer.write(self)
        return String(decoding: writer.out, as: UTF8.self)
    }

    /// Compact JSON as UTF-8 bytes.
    public func serializedBytes(options: PythonJSONOptions = .compact) -> [UInt8] {
        var writer = JSONWriter(options: options)
        writer.write(self)
        return writer.out
    }
}
