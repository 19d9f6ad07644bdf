@testable import LFMGrammar
import OrderedJSON
import Testing

/// Keywords of other drafts than the one a schema declares in `$schema` are unknown keywords
/// there and assert nothing, as validators of that draft treat them (python `jsonschema` 4.26
/// gives the same verdicts for every row). Without `$schema`, every draft's keywords apply.
@Suite struct DraftKeywordsTests {
    static let drafts = [
        "2020-12": "https://json-schema.org/draft/2020-12/schema", "2019-09": "https://json-schema.org/draft/2019-09/schema",
        "7": "http://json-schema.org/draft-07/schema#", "6": "http://json-schema.org/draft-06/schema#",
        "4": "http://json-schema.org/draft-04/schema#",
    ]

    /// A schema body (JSON object text without braces), an instance, and the drafts that accept it.
    struct Case: Sendable, CustomStringConvertible {
        let body: String, instance: String, acceptedBy: Set<String>
        var description: String { body }
    }

    static let cases: [Case] = [
        Case(body: #""type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "dependencies": {"a": ["b"]}"#,
             instance: #"{"a":1}"#, acceptedBy: ["2020-12", "2019-09"]),
        Case(body: #""type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "dependentRequired": {"a": ["b"]}"#,
             instance: #"{"a":1}"#, acceptedBy: ["7", "6", "4"]),
        Case(body: #""type": "array", "prefixItems": [{"type": "integer"}]"#, instance: #"["x"]"#, acceptedBy: ["2019-09", "7", "6", "4"]),
        Case(body: #""const": 1"#, instance: "2", acceptedBy: ["4"]),
        Case(body: #""type": "integer", "if": {"minimum": 0}, "then": {"minimum": 5}"#, instance: "3", acceptedBy: ["6", "4"]),
    ]

    @Test(arguments: cases) func keywordsFollowTheDeclaredDraft(_ c: Case) throws {
        for (name, uri) in Self.drafts.sorted(by: { $0.key < $1.key }) {
            let schema = try JSONValue.parse("{\"$schema\": \"\(uri)\", \(c.body)}")
            let g = try ToyVocab.compiler.compile(.jsonSchema(schema, strict: false))
            #expect(matches(g, tokens: ToyVocab.tokenize(c.instance)) == c.acceptedBy.contains(name), "draft \(name)")
        }
        // Without `$schema` the keyword applies.
        let g = try ToyVocab.compiler.compile(.jsonSchema(try JSONValue.parse("{\(c.body)}"), strict: false))
        #expect(!matches(g, tokens: ToyVocab.tokenize(c.instance)))
    }

    /// Keywords are only dropped where they are keywords: a property named like one stays.
    @Test func propertyNamedLikeAKeywordStays() throws {
        let schema = try JSONValue.parse(#"{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "properties": {"dependencies": {"type": "integer"}}, "required": ["dependencies"], "additionalProperties": false}"#)
        let g = try ToyVocab.compiler.compile(.jsonSchema(schema, strict: false))
        #expect(matches(g, tokens: ToyVocab.tokenize(#"{"dependencies":1}"#)))
        #expect(!matches(g, tokens: ToyVocab.tokenize(#"{"dependencies":"x"}"#)))
    }
}
