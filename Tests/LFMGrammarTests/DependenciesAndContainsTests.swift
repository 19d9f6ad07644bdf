import LFMGrammar
import OrderedJSON
import Testing

/// `dependentRequired` / `dependentSchemas` / `dependencies` (presence alternatives) and
/// `minContains` / `maxContains` (counted contains), and objects whose extra member is shared.
@Suite struct DependenciesAndContainsTests {
    func message(_ json: String) -> String? {
        do { _ = try ToyVocab.compiler.compile(schema(json)); return nil } catch { return error.message }
    }

    @Test func dependentRequired() throws {
        let s = schema(#"{"type":"object","dependentRequired":{"a":["b","c"]}}"#)
        for ok in ["{}", #"{"b":1}"#, #"{"b":2,"c":3,"a":1}"#] { #expect(try accepts(s, ok), "\(ok)") }
        for bad in [#"{"a":1}"#, #"{"a":1,"b":2}"#, #"{"c":1,"a":2}"#] { #expect(try !accepts(s, bad), "\(bad)") }
        // Draft 4-7 spelling, both forms; vacuous for non-objects.
        let old = schema(#"{"dependencies":{"a":["b"],"b":{"properties":{"a":{"type":"integer"}}}}}"#)
        for ok in ["{}", #"{"a":1,"b":2}"#, "[1]", #""x""#, #"{"b":true}"#] { #expect(try accepts(old, ok), "\(ok)") }
        for bad in [#"{"a":1}"#, #"{"b":1,"a":"x"}"#] { #expect(try !accepts(old, bad), "\(bad)") }
    }

    /// An undeclared trigger may be written before or after its required names (up to
    /// `maxOrderedDependencies` dependencies): every object over three names, both ways round.
    @Test func undeclaredTriggerInEitherOrderBruteForce() throws {
        let g = try ToyVocab.compiler.compile(schema(#"{"dependentRequired":{"a":["b"]}}"#))
        let names = ["a", "b", "c"]
        var orders: [[String]] = [[]]
        for _ in names { orders = orders.flatMap { o in [o] + names.filter { !o.contains($0) }.map { o + [$0] } } }
        for order in Set(orders.map { $0.joined(separator: ",") }).sorted() {
            let keys = order.isEmpty ? [] : order.split(separator: ",").map(String.init)
            let text = "{" + keys.map { "\"\($0)\":1" }.joined(separator: ",") + "}"
            let valid = !keys.contains("a") || keys.contains("b")
            #expect(matches(g, tokens: ToyVocab.tokenize(text)) == valid, "\(text)")
        }
        // Beyond the limit, the trigger comes last.
        let four = (0..<4).map { "\"p\($0)\":[\"q\($0)\"]" }.joined(separator: ",")
        let many = schema(#"{"dependentRequired":{"# + four + "}}")
        #expect(try accepts(many, #"{"q0":1,"p0":2}"#))
    }

    @Test func dependentSchemas() throws {
        let s = schema(#"{"properties":{"n":{"type":"integer"}},"dependentSchemas":{"n":{"required":["m"],"properties":{"m":{"type":"boolean"}}}}}"#)
        for ok in ["{}", #"{"n":1,"m":true}"#, #"{"m":1}"#] { #expect(try accepts(s, ok), "\(ok)") }
        for bad in [#"{"n":1}"#, #"{"n":1,"m":1}"#] { #expect(try !accepts(s, bad), "\(bad)") }
        let never = schema(#"{"dependentSchemas":{"x":false}}"#)
        #expect(try accepts(never, #"{"y":1}"#))
        #expect(try !accepts(never, #"{"x":1}"#))
        #expect(message(#"{"dependentRequired":{"a":"b"}}"#)?.contains("'dependentRequired' at /dependentRequired/a") == true)
        let seven = (0..<7).map { "\"p\($0)\":[\"q\"]" }.joined(separator: ",")
        #expect(message(#"{"dependentRequired":{"# + seven + "}}")?.contains("more than 6 dependencies") == true)
    }

    /// More than 6 dependencies that each allow their trigger beside some values of one
    /// property: one split on that property's value (Tests/GrammarTests compares more with jsonschema).
    @Test func discriminatorDependencies() throws {
        let kinds = ["a", "b", "c", "d"]
        let deps = (0..<8).map { i in #""p\#(i)":{"properties":{"kind":{"enum":["\#(kinds[i % 4])","\#(kinds[(i + 1) % 4])"]}}}"# }
        let s = schema(#"{"properties":{"kind":{"enum":["a","b","c","d","e"]}},"dependentSchemas":{"# + deps.joined(separator: ",") + "}}")
        // p0 and p4 allow a and b, p3 and p7 allow d and a.
        for ok in [#"{"kind":"a","p0":1,"p3":2,"p4":3,"p7":4}"#, #"{"p0":1,"p1":2,"p5":3}"#, #"{"kind":"e"}"#, #"{"kind":"b","p1":1}"#] {
            #expect(try accepts(s, ok), "\(ok)")
        }
        for bad in [#"{"kind":"a","p1":1}"#, #"{"kind":"e","p0":1}"#, #"{"kind":"c","p0":1}"#, #"{"kind":"f"}"#] {
            #expect(try !accepts(s, bad), "\(bad)")
        }
    }

    @Test func minAndMaxContains() throws {
        let atLeast2 = schema(#"{"type":"array","contains":{"const":1},"minContains":2}"#)
        for ok in ["[1,1]", "[2,1,3,1]", "[1,1,1]"] { #expect(try accepts(atLeast2, ok), "\(ok)") }
        for bad in ["[]", "[1]", "[2,1,3]"] { #expect(try !accepts(atLeast2, bad), "\(bad)") }
        let between = schema(#"{"type":"array","items":{"type":"integer"},"contains":{"const":1},"minContains":1,"maxContains":2}"#)
        for ok in ["[1]", "[1,2,1]", "[3,1,4]"] { #expect(try accepts(between, ok), "\(ok)") }
        for bad in ["[]", "[2,3]", "[1,1,1]", "[1,2,1,1]", #"[1,"a"]"#] { #expect(try !accepts(between, bad), "\(bad)") }
        let none = schema(#"{"contains":{"const":1},"maxContains":0,"minContains":0}"#)
        for ok in ["[]", "[2,3]", #""x""#] { #expect(try accepts(none, ok), "\(ok)") }
        #expect(try !accepts(none, "[2,1]"))
        let vacuous = schema(#"{"contains":{"const":1},"minContains":0}"#)
        #expect(try accepts(vacuous, "[]"))
        #expect(try accepts(vacuous, "[2]"))
        #expect(message(#"{"contains":{"format":"email"},"maxContains":1}"#)?.contains("'maxContains' at /maxContains") == true)
        #expect(message(#"{"type":"array","contains":{"const":1},"minContains":3,"maxContains":2}"#)?.contains("'maxContains' at /maxContains") == true)
    }

    @Test func extraMemberIsSharedNotCopiedPerPosition() throws {
        // 60 declared names and an extra member with a large value: the extra member is built
        // once (a rule called from every position), so the automaton stays small.
        var props: [String] = []
        for i in 0..<60 { props.append("\"property_name_\(i)\":{\"type\":\"integer\"}") }
        let extra = #"{"type":"object","properties":{"a":{"type":"string","maxLength":30},"b":{"enum":["one","two","three"]}},"required":["a"]}"#
        let s = schema(#"{"type":"object","properties":{"# + props.joined(separator: ",") + #"},"additionalProperties":"# + extra + "}")
        let g = try ToyVocab.compiler.compile(s)
        let states = g.buildAllStates()
        #expect(states < 20_000, "\(states) states")
        #expect(try accepts(s, #"{"property_name_3":1,"other":{"a":"x"},"property_name_59":2}"#))
        #expect(try !accepts(s, #"{"property_name_3":1,"other":{"b":"one"}}"#))
        #expect(try !accepts(s, #"{"property_name_3":"x"}"#))
    }
}
