import LFMGrammar
import OrderedJSON
import Testing

/// `$ref` beside other keywords (order of the merged properties, drafts that ignore the
/// siblings) and anyOf branches that evaluate members together for `unevaluatedProperties`.
@Suite struct RefSiblingsAndCrossBranchTests {
    func message(_ json: String) -> String? {
        do { _ = try ToyVocab.compiler.compile(schema(json)); return nil } catch { return error.message }
    }

    /// Every object over `keys` (a subset, in the given order) whose values come from `values`.
    static func objects(_ keys: [String], _ values: [String]) -> [[(String, String)]] {
        var out: [[(String, String)]] = [[]]
        for k in keys.reversed() {
            var next: [[(String, String)]] = []
            for rest in out {
                next.append(rest)
                for v in values { next.append([(k, v)] + rest) }
            }
            out = next
        }
        return out
    }

    static func text(_ members: [(String, String)]) -> String {
        "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A `$ref` beside `properties` (2020-12): the target's members then the siblings', or the
    /// siblings' first — every order of three members, each exactly when it is one of those.
    @Test func refTargetAndSiblingMembersInEitherGroupOrder() throws {
        let s = schema(##"{"$defs":{"A":{"properties":{"a":{"type":"integer"},"b":{"type":"integer"}}}},"$ref":"#/$defs/A","properties":{"c":{"type":"string"}},"required":["c"]}"##)
        let g = try ToyVocab.compiler.compile(s)
        let value = ["a": "1", "b": "2", "c": #""x""#]
        for order in [["a", "b", "c"], ["a", "c", "b"], ["b", "a", "c"], ["b", "c", "a"], ["c", "a", "b"], ["c", "b", "a"],
                      ["a", "c"], ["c", "a"], ["b", "c"], ["c", "b"], ["c"], ["a", "b"]] {
            let text = "{" + order.map { "\"\($0)\":\(value[$0]!)" }.joined(separator: ",") + "}"
            let inOrder = { (o: [String]) in order == o.filter { order.contains($0) } }
            let expected = order.contains("c") && (inOrder(["a", "b", "c"]) || inOrder(["c", "a", "b"]))
            #expect(matches(g, tokens: ToyVocab.tokenize(text)) == expected, "\(text)")
        }
        for bad in [#"{"a":"x","c":"y"}"#, #"{"c":1}"#, #"{"c":"y","b":"z"}"#] { #expect(try !accepts(s, bad), "\(bad)") }
    }

    @Test func anchorReferences() throws {
        let s = schema(##"{"$ref":"#foo","$defs":{"A":{"$anchor":"foo","type":"integer"},"B":{"properties":{"n":{"$ref":"#bar"}}},"C":{"$anchor":"bar","type":"string"}}}"##)
        #expect(try accepts(s, "12"))
        #expect(try !accepts(s, #""x""#))
        let nested = schema(##"{"properties":{"n":{"$ref":"#bar"}},"$defs":{"C":{"$anchor":"bar","type":"string"}}}"##)
        #expect(try accepts(nested, #"{"n":"x"}"#))
        #expect(try !accepts(nested, #"{"n":1}"#))
        #expect(message(##"{"$ref":"#nowhere"}"##)?.contains("$anchor") == true)
    }

    @Test func legacyDraftsIgnoreRefSiblings() throws {
        let body = ##""definitions":{"A":{"properties":{"x":{"type":"integer"}}}},"properties":{"p":{"$ref":"#/definitions/A","properties":{"y":{}},"additionalProperties":false}}"##
        for draft in ["draft-04/schema#", "draft-06/schema#", "draft-07/schema#"] {
            let s = schema(#"{"$schema":"http://json-schema.org/"# + draft + "\"," + body + "}")
            #expect(try accepts(s, #"{"p":{"x":1,"z":2}}"#), "\(draft)")
            #expect(try !accepts(s, #"{"p":{"x":"s"}}"#), "\(draft)")
        }
        // From 2019-09 on the siblings apply: the additionalProperties false closes the object
        // (it does not see the target's properties, so even x is not allowed).
        let modern = schema(#"{"$schema":"https://json-schema.org/draft/2020-12/schema","# + body.replacingOccurrences(of: "definitions", with: "$defs") + "}")
        #expect(try accepts(modern, #"{"p":{"y":1}}"#))
        #expect(try !accepts(modern, #"{"p":{"x":1,"z":2}}"#))
        #expect(try !accepts(modern, #"{"p":{"x":1}}"#))
    }

    /// JSON-Schema-Test-Suite unevaluatedProperties "with anyOf": every object over the four
    /// names (schema order) with values from a small set, against the keyword's definition.
    @Test func anyOfBranchesEvaluateTogetherBruteForce() throws {
        let s = schema(#"{"properties":{"foo":{"type":"string"}},"anyOf":[{"properties":{"bar":{"const":"bar"}},"required":["bar"]},{"properties":{"baz":{"const":"baz"}},"required":["baz"]},{"properties":{"quux":{"const":"quux"}},"required":["quux"]}],"unevaluatedProperties":false}"#)
        let g = try ToyVocab.compiler.compile(s)
        var accepted = 0
        for members in Self.objects(["foo", "bar", "baz", "quux"], [#""bar""#, #""baz""#, #""quux""#, "1"]) {
            let value = Dictionary(uniqueKeysWithValues: members)
            if let f = value["foo"], f == "1" { continue }
            // A branch holds when its name is present with its constant; a member is evaluated
            // by `properties` (foo) or by a branch that holds.
            let holds = ["bar", "baz", "quux"].filter { value[$0] == "\"\($0)\"" }
            let evaluated = Set(["foo"] + holds)
            let valid = !holds.isEmpty && value.keys.allSatisfy { evaluated.contains($0) }
            let text = Self.text(members)
            #expect(matches(g, tokens: ToyVocab.tokenize(text)) == valid, "\(text)")
            if valid { accepted += 1 }
        }
        // foo absent or one of 3 strings, times the 7 non-empty sets of branches that hold.
        #expect(accepted == 4 * 7)
    }

    /// A branch with a required name beside other properties does not lend its members: they
    /// count only when that branch holds as a whole.
    @Test func branchesWithSeveralRequiredNamesDoNotLendMembers() throws {
        let s = schema(#"{"anyOf":[{"properties":{"a":{},"b":{}},"required":["a","b"]},{"properties":{"c":{"type":"integer"}},"required":["c"]}],"unevaluatedProperties":false}"#)
        let g = try ToyVocab.compiler.compile(s)
        for members in Self.objects(["a", "b", "c"], ["1", #""s""#]) {
            let value = Dictionary(uniqueKeysWithValues: members)
            let first = value["a"] != nil && value["b"] != nil
            let second = value["c"] == "1"
            let evaluated = Set((first ? ["a", "b"] : []) + (second ? ["c"] : []))
            let valid = (first || second) && value.keys.allSatisfy { evaluated.contains($0) }
            let text = Self.text(members)
            // Never accepts an invalid object; the valid ones the grammar may leave out are
            // those that need the first branch's members beside the second (written after c).
            let ok = matches(g, tokens: ToyVocab.tokenize(text))
            if ok { #expect(valid, "accepted invalid \(text)") }
            if valid && !(first && second) { #expect(ok, "rejected valid \(text)") }
        }
        #expect(try accepts(s, #"{"a":1,"b":2,"c":3}"#))
        #expect(try !accepts(s, #"{"a":1,"c":3}"#))
    }

    @Test func anIfAloneBesideUnevaluatedIsRefusedNotIgnored() throws {
        // The `if` evaluates members where it holds; ignoring it would reject {"foo":"a"}.
        #expect(message(#"{"if":{"patternProperties":{"foo":{"type":"string"}}},"unevaluatedProperties":false}"#) != nil)
        #expect(message(#"{"if":{"prefixItems":[{"const":"a"}]},"unevaluatedItems":false}"#) != nil)
        // Without unevaluated*, an `if` without then/else has no effect.
        let s = schema(#"{"if":{"prefixItems":[{"const":"a"}]},"items":{"type":"string"}}"#)
        #expect(try accepts(s, #"["b"]"#))
        #expect(try !accepts(s, "[1]"))
    }

    /// Keys that are no JSON Schema keyword are annotations: they neither block a merge (two
    /// parts with different values) nor count as a `$ref`'s siblings, and assert nothing.
    @Test func unknownKeywordsAreAnnotations() throws {
        let merged = schema(#"{"allOf":[{"type":"object","properties":{"a":{"type":"integer"}},"javaInterfaces":["A"]},{"javaInterfaces":["B"],"required":["a"]}]}"#)
        #expect(try accepts(merged, #"{"a":1}"#))
        #expect(try !accepts(merged, "{}"))
        #expect(try !accepts(merged, #"{"a":"s"}"#))
        let ref = schema(##"{"$ref":"#/$defs/x","customKeyword":5,"$defs":{"x":{"type":"integer"}}}"##)
        #expect(try accepts(ref, "3"))
        #expect(try !accepts(ref, #""s""#))
        let negated = schema(#"{"not":{"type":"string","customKeyword":1}}"#)
        #expect(try accepts(negated, "1"))
        #expect(try !accepts(negated, #""s""#))
        // A known keyword that cannot be merged is still refused, naming it.
        #expect(message(#"{"allOf":[{"dependencies":{"a":["b"]}},{"dependencies":{"a":["c"]}}]}"#) != nil)
    }

    /// A sibling beside a recursive `$ref` (resjson's resources): each level merges into the
    /// same schema, so the merge recurs as one rule instead of nesting without end.
    @Test func siblingBesideRecursiveRefIsOneRule() throws {
        let s = schema(##"{"type":"object","additionalProperties":{"minProperties":1,"anyOf":[{"type":"string"},{"$ref":"#/definitions/r"}]},"definitions":{"r":{"type":"object","additionalProperties":{"minProperties":1,"anyOf":[{"type":"string"},{"$ref":"#/definitions/r"}]}}}}"##)
        for ok in [#"{"a":"x"}"#, #"{"a":{"b":"y"}}"#, #"{"a":{"b":{"c":"z","d":{"e":"f"}}}}"#, "{}"] { #expect(try accepts(s, ok), "\(ok)") }
        for bad in [#"{"a":{}}"#, #"{"a":{"b":{}}}"#, #"{"a":1}"#, #"{"a":{"b":2}}"#] { #expect(try !accepts(s, bad), "\(bad)") }
    }
}
