import Foundation
import LFMJinja
import OrderedJSON
import Testing

/// Hand-written checks of the public API; expected strings verified with jinja2 3.1.6.
@Suite struct JinjaTemplateTests {
    func render(_ source: String, _ context: [String: JinjaValue] = [:]) throws -> String {
        try JinjaTemplate(source).render(context)
    }

    @Test func rendersJSONContextInOrder() throws {
        let t = try JinjaTemplate("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{{ d | tojson }}")
        let d = try JSONValue.parse(#"{"z": 1, "a": [1.0, "é"]}"#)
        #expect(try t.render(json: ["d": d]) == #"z=1;a=[1.0, 'é'];{"z": 1, "a": [1.0, "é"]}"#)
    }

    @Test func raiseExceptionCarriesMessage() throws {
        let t = try JinjaTemplate("line1\n{{ raise_exception('Conversation roles must alternate') }}")
        #expect(throws: TemplateError(.raised, "Conversation roles must alternate", line: 2)) { try t.render([:]) }
    }

    @Test func syntaxErrorsAtCompileTimeWithLine() {
        #expect(throws: TemplateError.self) { try JinjaTemplate("a\n{% if x %}\nb") }
        do {
            _ = try JinjaTemplate("ok\n\n{{ x | nosuch }}")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .syntax)
            #expect(error.line == 3)
        }
    }

    @Test func undefinedAttributeOnUndefinedRaises() {
        #expect(throws: TemplateError(.undefined, "'foo' is undefined", line: 1)) { try render("{{ foo.bar }}") }
    }

    @Test func injectedGlobalsAndDate() throws {
        let date = Date(timeIntervalSince1970: 0)
        var globals = JinjaTemplate.defaultGlobals(now: { date }, timeZone: TimeZone(identifier: "UTC")!)
        globals["shout"] = JinjaTemplate.function("shout") { args in
            .string((args.positional.first?.description ?? "").uppercased() + "!")
        }
        let t = try JinjaTemplate("{{ strftime_now('%Y-%m-%d %H:%M') }} {{ shout('hi') }}")
        #expect(try t.render([:], globals: globals) == "1970-01-01 00:00 HI!")
    }

    @Test func whitespaceControlLikeTransformers() throws {
        #expect(try render("{% for x in xs %}\n  - {{ x }}\n{% endfor %}\n", ["xs": [1, 2]]) == "  - 1\n  - 2\n")
        #expect(try render("a  {%- if true %} b {% endif -%}  c") == "a b c")
        #expect(try render("{{ 1 -}}\n\n  {{- 2 }}") == "12")
    }

    @Test func namespaceMutationAcrossLoop() throws {
        let src = "{% set ns = namespace(n=0) %}{% for x in xs %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}"
        #expect(try render(src, ["xs": [1, 2, 3]]) == "6")
    }

    @Test func generationBlockRendersBody() throws {
        #expect(try render("{% generation %}x{{ 1 }}{% endgeneration %}") == "x1")
    }

    @Test func sandboxRefusesListMutation() {
        #expect(throws: TemplateError.self) { try render("{{ xs.append(1) }}", ["xs": []]) }
    }

    @Test func valueDescriptionsArePythonStr() {
        let v: JinjaValue = ["a": [1, 2.5, "x", true], "b": .none]
        #expect(v.description == "{'a': [1, 2.5, 'x', True], 'b': None}")
    }
}
