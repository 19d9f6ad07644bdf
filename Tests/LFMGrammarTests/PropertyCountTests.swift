import LFMGrammar
import OrderedJSON
import Testing

/// `maxProperties: 1` beside declared properties ("exactly / at most one of these keys").
@Suite struct PropertyCountTests {
    /// Every object over two declared names and one extra name (in schema order, extra last),
    /// for each combination of minProperties, required and additionalProperties.
    @Test func atMostOneMemberBruteForce() throws {
        for minP in [0, 1] {
            for required in [[], ["b"]] {
                for additional in [true, false] {
                    let req = required.isEmpty ? "" : #","required":["b"]"#
                    let json = #"{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"maxProperties":1,"minProperties":\#(minP),"additionalProperties":\#(additional)\#(req)}"#
                    let g = try ToyVocab.compiler.compile(schema(json))
                    let members: [(String, String)] = [("a", "1"), ("b", #""s""#), ("x", "true")]
                    for mask in 0..<8 {
                        let present = members.indices.filter { mask >> $0 & 1 == 1 }.map { members[$0] }
                        let text = "{" + present.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
                        let names = present.map(\.0)
                        let valid = names.count <= 1 && names.count >= minP && required.allSatisfy(names.contains)
                            && (additional || !names.contains("x"))
                        #expect(matches(g, tokens: ToyVocab.tokenize(text)) == valid, "\(json) \(text)")
                    }
                    #expect(try !accepts(schema(json), #"{"a":"s"}"#))
                }
            }
        }
    }
}
