import Foundation
import LFMTestSupport
import LFMJinja
import OrderedJSON
import Testing

/// Template snippets checked against outputs recorded from transformers' chat-template
/// environment by scripts/make_jinja_goldens.py.
struct JinjaGoldenCase: Sendable, CustomTestStringConvertible {
    var template: String
    var output: String?
    var error: String?
    var message: String?
    var testDescription: String { template.count > 60 ? String(template.prefix(60)) + "…" : template }
}

enum JinjaGoldens {
    static let file: JSONValue = {
        let url = Fixtures.root.appendingPathComponent("jinja/jinja-goldens.json")
        return (try? JSONValue.parse(Data(contentsOf: url))) ?? .null
    }()

    static var cases: [JinjaGoldenCase] {
        (file["cases"]?.arrayValue ?? []).map {
            JinjaGoldenCase(template: $0["template"]?.stringValue ?? "", output: $0["output"]?.stringValue,
                            error: $0["error"]?.stringValue, message: $0["message"]?.stringValue)
        }
    }

    static var context: [String: JinjaValue] {
        var out: [String: JinjaValue] = [:]
        for (k, v) in file["context"]?.objectValue ?? [:] { out[k] = JinjaValue(v) }
        return out
    }

    /// 2025-03-14 09:05:07 in UTC, the instant the script's strftime_now() returns.
    static let date = Date(timeIntervalSince1970: 1_741_943_107)

    static let globals = JinjaTemplate.defaultGlobals(now: { date }, timeZone: TimeZone(identifier: "UTC")!)

    /// Python exception class → our error kind.
    static func kind(for pythonError: String) -> TemplateError.Kind? {
        switch pythonError {
        case "TemplateSyntaxError", "TemplateAssertionError", "SyntaxError": return .syntax
        case "UndefinedError": return .undefined
        case "TypeError", "ValueError": return .type
        case "SecurityError": return .security
        case "TemplateError": return .raised
        case "TemplateRuntimeError", "ZeroDivisionError": return .runtime
        default: return nil
        }
    }
}

@Suite struct JinjaGoldenTests {
    @Test func goldenFileLoads() {
        #expect(JinjaGoldens.cases.count > 150)
    }

    /// Constructs this implementation rejects at compile time on purpose (Python renders or fails later).
    static let rejectedAtCompileTime = ["{% include", "{% extends", " recursive %}"]

    @Test(arguments: JinjaGoldens.cases)
    func matchesJinja(_ golden: JinjaGoldenCase) throws {
        if Self.rejectedAtCompileTime.contains(where: golden.template.contains) {
            #expect(throws: TemplateError.self) { try JinjaTemplate(golden.template) }
            return
        }
        let result: Result<String, TemplateError> = Result { () throws(TemplateError) in
            try JinjaTemplate(golden.template).render(JinjaGoldens.context, globals: JinjaGoldens.globals)
        }
        if let expected = golden.output {
            #expect(throws: Never.self) { try result.get() }
            if case .success(let text) = result { #expect(text == expected) }
            return
        }
        guard case .failure(let error) = result else {
            Issue.record("expected \(golden.error ?? "") but rendered \(String(describing: try? result.get()))")
            return
        }
        #expect(error.kind == JinjaGoldens.kind(for: golden.error ?? ""), "\(error)")
        if error.kind == .raised || error.kind == .security {
            #expect(error.message == golden.message)
        }
    }
}
