@testable import LFMGrammar
import OrderedJSON
import Testing

/// A large subschema met again — the target of a `$ref` resolved by a merge, a property every
/// branch of a merged object repeats — is one rule called from each place, not a copy per place
/// (a 600-value enum copied three times tripled the grammar's automaton).
@Suite struct RepeatedSubschemaTests {
    static let zones = (0..<600).map { "Zone/\($0)" }

    func states(_ schema: String) throws -> Int {
        try ToyVocab.compiler.compile(.jsonSchema(try JSONValue.parse(schema), strict: false)).automaton.nfaStateCount
    }

    var zoneEnum: String { "{\"type\": \"string\", \"enum\": [\(Self.zones.map { "\"\($0)\"" }.joined(separator: ","))]}" }

    /// Merges resolve `$ref`s beside a conditional; the target stays one rule.
    @Test func refTargetResolvedByMergesIsOneRule() throws {
        let alone = try states(zoneEnum)
        let schedule = ##"""
            {"type": "object", "properties": {"interval": {"enum": ["daily", "cron"]}, "timezone": {"$ref": "#/definitions/timezone", "description": "IANA"}},
             "required": ["interval"],
             "allOf": [{"if": {"properties": {"interval": {"const": "cron"}}}, "then": {"properties": {"cron": {"type": "string"}}, "required": ["cron"]}}]}
            """##
        let schema = ##"{"definitions": {"timezone": "## + zoneEnum + ##"}, "type": "object", "properties": {"a": "## + schedule + ##", "b": "## + schedule + ##", "tz": {"$ref": "#/definitions/timezone"}}}"##
        let total = try states(schema)
        #expect(total < alone * 3 / 2, "\(total) NFA states for an enum of \(alone)")
        let g = try ToyVocab.compiler.compile(.jsonSchema(try JSONValue.parse(schema), strict: false))
        for text in [#"{"a":{"interval":"daily","timezone":"Zone/599"},"tz":"Zone/0"}"#, #"{"b":{"interval":"cron","timezone":"Zone/12","cron":"x"}}"#] {
            #expect(matches(g, tokens: ToyVocab.tokenize(text)), "\(text)")
        }
        for text in [#"{"a":{"interval":"daily","timezone":"Zone/600"}}"#, #"{"b":{"interval":"cron","timezone":"Zone/1"}}"#, #"{"tz":"Zone/"}"#] {
            #expect(!matches(g, tokens: ToyVocab.tokenize(text)), "\(text)")
        }
    }

    /// Merges at two places pass one property's schema on unchanged; it stays one rule.
    @Test func propertyPassedOnByMergesIsOneRule() throws {
        let alone = try states(zoneEnum)
        let schema = ##"{"definitions": {"x": {"type": "object", "properties": {"zone": "## + zoneEnum + ##", "n": {"type": "integer"}}}}, "type": "object", "properties": {"a": {"allOf": [{"$ref": "#/definitions/x"}, {"required": ["zone"]}]}, "b": {"allOf": [{"$ref": "#/definitions/x"}, {"required": ["n"]}]}}}"##
        let total = try states(schema)
        #expect(total < alone * 3 / 2, "\(total) NFA states for an enum of \(alone)")
        let g = try ToyVocab.compiler.compile(.jsonSchema(try JSONValue.parse(schema), strict: false))
        for text in [#"{"a":{"zone":"Zone/7"}}"#, #"{"b":{"zone":"Zone/8","n":9}}"#, #"{}"#] {
            #expect(matches(g, tokens: ToyVocab.tokenize(text)), "\(text)")
        }
        for text in [#"{"a":{"n":1}}"#, #"{"b":{"n":1,"zone":"Zone/x"}}"#] {
            #expect(!matches(g, tokens: ToyVocab.tokenize(text)), "\(text)")
        }
    }
}
