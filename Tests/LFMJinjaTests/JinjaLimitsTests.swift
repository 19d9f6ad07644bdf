import Foundation
import Testing
@testable import LFMJinja

/// Hostile chat templates (docs/api.md, "Chat templates"): recursion, runaway loops and
/// exploding strings fail in bounded time and memory with a `TemplateError` naming the limit.
@Suite struct JinjaLimitsTests {
    /// Small step budget so the runaway cases end quickly in debug builds.
    static let small = JinjaLimits(maxSteps: 200_000)

    private func expectFailure(_ source: String, limits: JinjaLimits = small, _ fragment: String,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) {
            _ = try JinjaTemplate(source, limits: limits).render(["messages": .list([])])
        } throws: { e in
            guard let e = e as? TemplateError else { return false }
            return e.message.contains(fragment)
        }
    }

    @Test func deepParenthesesAndBrackets() {
        // Balanced, so the lexer accepts it and the parser must refuse the depth.
        expectFailure("{{ " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + " }}",
                      "nesting is deeper than 200")
        expectFailure("{{ " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + " }}",
                      "nesting is deeper than 200")
        expectFailure("{{ " + String(repeating: "- ", count: 100_000) + "1 }}", "nesting is deeper than 200")
        expectFailure("{{ " + String(repeating: "not ", count: 100_000) + "1 }}", "nesting is deeper than 200")
        expectFailure("{{ x" + String(repeating: "[x", count: 100_000) + String(repeating: "]", count: 100_000) + " }}",
                      "nesting is deeper than 200")
    }

    @Test func deepStatementNesting() throws {
        expectFailure(String(repeating: "{% if true %}", count: 20_000), "nesting is deeper than 200")
        expectFailure(String(repeating: "{% for x in y %}", count: 20_000), "nesting is deeper than 200")
        // Within the limit it still works.
        let ok = String(repeating: "{% if true %}", count: 50) + "ok" + String(repeating: "{% endif %}", count: 50)
        #expect(try JinjaTemplate(ok).render([:]) == "ok")
    }

    @Test func recursiveMacros() throws {
        expectFailure("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "macro calls nested more than 64")
        expectFailure("{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}", "macro calls nested")
        // Bounded recursion (a JSON-schema renderer walking a nested value) is fine.
        let walk = "{% macro w(v, d) %}{% if d < 20 %}[{{ w(v, d + 1) }}]{% endif %}{% endmacro %}{{ w(1, 0) }}"
        #expect(try JinjaTemplate(walk).render([:]) == String(repeating: "[", count: 20) + String(repeating: "]", count: 20))
    }

    @Test func runawayLoops() {
        // Empty bodies still cost a step per iteration.
        expectFailure("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "budget of 200000 evaluation steps")
        expectFailure("{% for i in range(100000) if false %}{% endfor %}{% for i in range(100000) if false %}{% endfor %}",
                      "evaluation steps")
        expectFailure("{% for i in range(10**9) %}{% endfor %}", limits: .default, "MAX_RANGE")
        expectFailure("{% set ns = namespace(n=0) %}{% for i in range(100000) %}{% for j in range(100000) %}{% set ns.n = ns.n + 1 %}{% endfor %}{% endfor %}",
                      "evaluation steps")
    }

    @Test func hugeStringsAndLists() {
        expectFailure("{{ 'x' * 10**10 }}", limits: .default, "above the limit of 16777216")
        expectFailure("{{ 'x' * 9223372036854775807 }}", limits: .default, "above the limit")
        expectFailure("{{ ([1] * 10**9) | length }}", limits: .default, "list of 1000000000 items")
        expectFailure("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                      limits: .default, "string of")
        expectFailure("{% for i in range(100000) %}{{ 'y' * 1000 }}{% endfor %}", limits: .default, "string of")
        expectFailure("{{ 'a'.center(10**12) }}", limits: .default, "above the limit")
        expectFailure("{{ ('x' * 1000000) | replace('x', 'y' * 1000) }}", limits: .default, "above the limit")
        expectFailure("{{ ('x' * 1000000).replace('', 'yy' * 100) }}", limits: .default, "above the limit")
        expectFailure("{{ ('{0}' * 100000).format('z' * 1000) }}", limits: .default, "above the limit")
        expectFailure("{{ (['z' * 100000] * 1000) | join(',') }}", limits: .default, "above the limit")
        expectFailure("{{ 'a\nb' | indent(10**12) }}", limits: .default, "above the limit")
        expectFailure("{{ [1] | tojson(indent=10**12) }}", limits: .default, "above the limit")
    }

    @Test func sharedNestedListsCannotMultiplyWork() {
        let base = "{% set a = [1] * 1000 %}{% set b = [a] * 1000 %}{% set c = [b] * 1000 %}"
        expectFailure(base + "{{ c }}", "evaluation steps")
        expectFailure(base + "{{ c | tojson }}", "evaluation steps")
        expectFailure(base + "{{ c == c }}", "evaluation steps")
        expectFailure(base + "{{ c ~ '' }}", "evaluation steps")
    }

    @Test func builtinsOverBigValuesCostSteps() {
        // Each filter / method / operator walks its operand: a loop repeating them is bounded.
        let big = "{% set big = [1] * 100000 %}{% set s = 'x' * 1000000 %}"
        expectFailure(big + "{% for i in range(1000) %}{{ big | map('string') | list | length }}{% endfor %}", "evaluation steps")
        expectFailure(big + "{% for i in range(100000) %}{% set t = s.split('y') %}{% endfor %}", "evaluation steps")
        expectFailure(big + "{% for i in range(100000) %}{% set t = s ~ 'y' %}{% endfor %}", "evaluation steps")
        expectFailure(big + "{% for i in range(100000) %}{% if 'y' in s %}{% endif %}{% endfor %}", "evaluation steps")
    }

    @Test func integerEdgeCasesAreErrorsNotTraps() {
        expectFailure("{{ -(-9223372036854775807 - 1) }}", "integer overflow")
        expectFailure("{{ (-9223372036854775807 - 1) | abs }}", "integer overflow")
        expectFailure("{{ (-9223372036854775807 - 1) // -1 }}", "integer overflow")
        expectFailure("{{ 3 ** 64 }}", "integer overflow")
    }

    @Test func integerEdgeCasesThatHaveAnAnswer() throws {
        #expect(try JinjaTemplate("{{ (-9223372036854775807 - 1) % -1 }}").render([:]) == "0")
        // `1 ** 10**18` is computed by squaring, not by 10**18 multiplications.
        #expect(try JinjaTemplate("{{ 1 ** 10**18 }} {{ (-1) ** (10**18 + 1) }} {{ 2 ** 62 }}").render([:]) == "1 -1 4611686018427387904")
        #expect(try JinjaTemplate("{{ 1e300 | int }} {{ '1e300' | int(7) }} {{ 2.9 | int }}").render([:]) == "0 7 2")
    }

    @Test func realTemplatesPassTheDefaults() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/templates")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".jinja") }
        #expect(!names.isEmpty)
        var messages: [JinjaValue] = []
        for i in 0..<1_000 {
            messages.append(.dict(["role": .string(i % 2 == 0 ? "user" : "assistant"), "content": .string("message \(i)")]))
        }
        for name in names {
            let source = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            let text = try JinjaTemplate(source).render(["messages": .list(messages), "add_generation_prompt": true,
                                                         "bos_token": "<|startoftext|>"])
            #expect(text.contains("message 999"), "\(name)")
        }
    }
}
