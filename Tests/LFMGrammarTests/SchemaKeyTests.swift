@testable import LFMGrammar
import OrderedJSON
import Testing

/// ``SchemaKey``: the key of the merged-schema memo. Equal only for the same schema with members
/// in the same order (order is part of what a schema compiles to), however deep a difference.
@Suite struct SchemaKeyTests {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    @Test func memberOrderAndDeepDifferencesCount() throws {
        let a = try parse(#"{"type":"object","properties":{"a":{"type":"string"},"b":{"items":{"items":{"enum":[1,2]}}}}}"#)
        let same = try parse(#"{"type":"object","properties":{"a":{"type":"string"},"b":{"items":{"items":{"enum":[1,2]}}}}}"#)
        let swapped = try parse(#"{"type":"object","properties":{"b":{"items":{"items":{"enum":[1,2]}}},"a":{"type":"string"}}}"#)
        let deep = try parse(#"{"type":"object","properties":{"a":{"type":"string"},"b":{"items":{"items":{"enum":[1,3]}}}}}"#)
        #expect(SchemaKey(a) == SchemaKey(same))
        #expect(SchemaKey(a) != SchemaKey(swapped))
        // Below the hashed levels the hashes agree; equality still reads the whole schema.
        #expect(SchemaKey(a).hash == SchemaKey(deep).hash)
        #expect(SchemaKey(a) != SchemaKey(deep))
        #expect(SchemaKey(.integer(1)) != SchemaKey(.double(1)))
        var memo: [SchemaKey: Int] = [SchemaKey(a): 1]
        memo[SchemaKey(deep)] = 2
        #expect(memo[SchemaKey(same)] == 1 && memo[SchemaKey(deep)] == 2 && memo[SchemaKey(swapped)] == nil)
    }

    /// A schema compiled from two merged objects that differ only in member order keeps each
    /// object's own order (the memo must not hand one the other's grammar).
    @Test func mergedVariantsKeepTheirOrder() throws {
        let schema = try parse(#"""
        {"anyOf": [
            {"allOf": [{"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}}, "required": ["x", "y"], "additionalProperties": false}, {"minProperties": 0}]},
            {"allOf": [{"type": "object", "properties": {"y": {"type": "integer"}, "x": {"type": "integer"}}, "required": ["x", "y"], "additionalProperties": false}, {"minProperties": 0}]}
        ]}
        """#)
        let g = try ToyVocab.compiler.compile(.jsonSchema(schema, strict: false))
        for text in [#"{"x":1,"y":2}"#, #"{"y":2,"x":1}"#] {
            #expect(matches(g, tokens: ToyVocab.tokenize(text)), "\(text)")
        }
        #expect(!matches(g, tokens: ToyVocab.tokenize(#"{"x":1,"x":2}"#)))
    }
}
