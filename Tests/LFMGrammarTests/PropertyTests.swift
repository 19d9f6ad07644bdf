import LFMGrammar
import LFMTestSupport
import OrderedJSON
import Testing

/// The seeded generator of the property tests.
typealias SeededRNG = SplitMix64

/// Random schemas with a generator of valid instances and of instances that violate them.
struct SchemaGen {
    var rng: SeededRNG

    mutating func schema(depth: Int) -> JSONValue {
        let kind = Int.random(in: 0..<(depth > 2 ? 5 : 7), using: &rng)
        switch kind {
        case 0:
            var o: JSONObject = ["type": "string"]
            if Bool.random(using: &rng) { o["maxLength"] = .integer(Int64.random(in: 1...6, using: &rng)) }
            return .object(o)
        case 1:
            let lo = Int64.random(in: -50...50, using: &rng)
            return ["type": "integer", "minimum": .integer(lo), "maximum": .integer(lo + Int64.random(in: 0...300, using: &rng))]
        case 2: return ["type": "boolean"]
        case 3: return ["enum": ["a", "b c", 1, nil]]
        case 4: return ["type": ["number", "null"]]
        case 5:
            var props: JSONObject = [:]
            var required: [JSONValue] = []
            for i in 0..<Int.random(in: 1...4, using: &rng) {
                props["p\(i)"] = schema(depth: depth + 1)
                if Bool.random(using: &rng) { required.append(.string("p\(i)")) }
            }
            return ["type": "object", "properties": .object(props), "required": .array(required), "additionalProperties": false]
        default:
            let lo = Int64.random(in: 0...2, using: &rng)
            return ["type": "array", "items": schema(depth: depth + 1), "minItems": .integer(lo), "maxItems": .integer(lo + 2)]
        }
    }

    mutating func ws() -> String { ["", " ", "\n  "][Int.random(in: 0..<3, using: &rng)] }

    mutating func valid(_ s: JSONValue) -> String {
        if let e = s["enum"]?.arrayValue { return e[Int.random(in: 0..<e.count, using: &rng)].serialized() }
        let type = s["type"]?.stringValue ?? "number"
        switch type {
        case "string":
            let n = Int.random(in: 0...(s["maxLength"]?.intValue ?? 8), using: &rng)
            let alphabet = ["a", "é", "\\\"", "\\u00e9", "\\n", "😀", " "]
            return "\"" + (0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }.joined() + "\""
        case "integer": return String(Int.random(in: s["minimum"]!.intValue!...s["maximum"]!.intValue!, using: &rng))
        case "boolean": return Bool.random(using: &rng) ? "true" : "false"
        case "object":
            let required = Set(s["required"]!.arrayValue!.compactMap(\.stringValue))
            var parts: [String] = []
            for (k, v) in s["properties"]!.objectValue! where required.contains(k) || Bool.random(using: &rng) {
                parts.append("\"\(k)\"" + ws() + ":" + ws() + valid(v))
            }
            return "{" + ws() + parts.joined(separator: "," + ws()) + (parts.isEmpty ? "" : ws()) + "}"
        case "array":
            let n = Int.random(in: s["minItems"]!.intValue!...s["maxItems"]!.intValue!, using: &rng)
            return "[" + (0..<n).map { _ in valid(s["items"]!) }.joined(separator: "," + ws()) + "]"
        default:
            return Bool.random(using: &rng) ? "null" : ["-0.5", "12", "3e-2", "0"][Int.random(in: 0..<4, using: &rng)]
        }
    }

    /// An instance that violates the schema (nil when this generator has none for it).
    mutating func invalid(_ s: JSONValue) -> String? {
        if s["enum"] != nil { return "\"zz\"" }
        switch s["type"]?.stringValue ?? "number" {
        case "string": return s["maxLength"].map { "\"" + String(repeating: "x", count: $0.intValue! + 1) + "\"" } ?? "12"
        case "integer": return Bool.random(using: &rng) ? String(s["maximum"]!.intValue! + 1) : String(s["minimum"]!.intValue! - 1)
        case "boolean": return "\"true\""
        case "object":
            let props = s["properties"]!.objectValue!
            let required = Set(s["required"]!.arrayValue!.compactMap(\.stringValue))
            if let r = required.first, Bool.random(using: &rng) {
                let rest = props.filter { required.contains($0.key) && $0.key != r }
                return "{" + rest.map { "\"\($0.key)\":" + valid($0.value) }.joined(separator: ",") + "}"
            }
            // Mutate one property value, or add an unknown key.
            let keys = Array(props.keys)
            let k = keys[Int.random(in: 0..<keys.count, using: &rng)]
            if let bad = invalid(props[k]!) {
                var parts = props.filter { required.contains($0.key) && $0.key != k }.map { ($0.key, valid($0.value)) }
                parts.append((k, bad))
                let order = keys.filter { key in parts.contains { $0.0 == key } }
                return "{" + order.map { key in "\"\(key)\":" + parts.first { $0.0 == key }!.1 }.joined(separator: ",") + "}"
            }
            return "{\"zzz\":1}"
        case "array":
            let n = s["maxItems"]!.intValue! + 1
            return "[" + (0..<n).map { _ in valid(s["items"]!) }.joined(separator: ",") + "]"
        default: return "true"
        }
    }
}

@Suite struct PropertyTests {
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func randomSchemasAcceptValidAndRejectInvalid(seed: UInt64) throws {
        var gen = SchemaGen(rng: SeededRNG(seed: seed))
        for round in 0..<6 {
            let s = gen.schema(depth: 0)
            let spec = GrammarSpec.jsonSchema(s, strict: false)
            for _ in 0..<4 {
                let text = gen.valid(s)
                #expect(try accepts(spec, text), "seed \(seed) round \(round): valid \(text) rejected by \(s)")
                // Sanity: the text is JSON.
                #expect((try? JSONValue.parse(text)) != nil, "\(text)")
            }
            if let bad = gen.invalid(s) {
                #expect(try !accepts(spec, bad), "seed \(seed) round \(round): invalid \(bad) accepted by \(s)")
            }
        }
    }
}
