import Foundation
import OrderedJSON

/// A compiled Jinja template, rendered with the semantics of transformers' chat-template
/// environment: Jinja 3.1 `ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)`
/// with the `loopcontrols` extension, the `{% generation %}` tag, default `Undefined`, no
/// autoescaping, and the globals `raise_exception`, `strftime_now`, `namespace`, `dict`, `range`.
///
/// ```swift
/// let t = try JinjaTemplate("{{ greeting }}, {{ name | upper }}!")
/// let text = try t.render(["greeting": "Hello", "name": "ada"])  // "Hello, ADA!"
/// ```
/// Compilation rejects unsupported constructs (includes, inheritance, recursive loops, unknown
/// filters or tests) with a ``TemplateError`` rather than rendering something different.
public struct JinjaTemplate: Sendable {
    let nodes: [JinjaNode]
    /// The resource limits for compiling and rendering (``JinjaLimits``).
    public let limits: JinjaLimits

    /// Compiles `source`.
    /// - Parameter limits: nesting, recursion, step and size limits (docs/api.md, "Chat templates").
    /// - Throws: ``TemplateError`` of kind `.syntax` with the line of the problem.
    public init(_ source: String, limits: JinjaLimits = .default) throws(TemplateError) {
        self.limits = limits
        nodes = try JinjaParser.parse(source, limits: limits)
    }

    /// Renders with `context` as the template's variables.
    /// - Parameters:
    ///   - context: top-level variables (e.g. `messages`, `add_generation_prompt`).
    ///   - globals: extra or replacement globals; see ``defaultGlobals(now:timeZone:)``.
    /// - Throws: ``TemplateError``; `raise_exception(msg)` gives kind `.raised` with `msg`; a
    ///   render that passes one of ``limits`` fails with kind `.runtime` naming the limit.
    public func render(_ context: [String: JinjaValue], globals: [String: JinjaValue]? = nil) throws(TemplateError) -> String {
        let interpreter = JinjaInterpreter(globals: globals ?? Self.defaultGlobals(), limits: limits)
        let root = JinjaScope(parent: nil, vars: context)
        _ = try interpreter.execute(nodes, in: root)
        return interpreter.output
    }

    /// Renders with JSON data as variables (converted with ``JinjaValue/init(_:)``).
    public func render(json context: [String: JSONValue], globals: [String: JinjaValue]? = nil) throws(TemplateError) -> String {
        try render(context.mapValues(JinjaValue.init), globals: globals)
    }

    /// Wraps a host function as a template value, for use as a global.
    public static func function(_ name: String, _ body: @escaping JinjaFunction) -> JinjaValue {
        .object(JinjaObject(kind: .function(name, body)))
    }

    /// The globals transformers installs, with `strftime_now(format)` reading `now()` in
    /// `timeZone` (transformers uses the local clock; inject a fixed date for reproducible output).
    public static func defaultGlobals(now: @escaping @Sendable () -> Date = { Date() }, timeZone: TimeZone = .current) -> [String: JinjaValue] {
        [
            "namespace": .object(JinjaObject(kind: .builtin("namespace"))),
            "dict": .object(JinjaObject(kind: .builtin("dict"))),
            "range": .object(JinjaObject(kind: .builtin("range"))),
            "raise_exception": function("raise_exception") { (args) throws(TemplateError) in
                throw TemplateError(.raised, args.value(0, "message")?.pythonString() ?? "")
            },
            "strftime_now": function("strftime_now") { (args) throws(TemplateError) in
                guard case .string(let format)? = args.value(0, "format") else {
                    throw TemplateError(.type, "strftime_now() argument must be str")
                }
                return .string(Strftime.format(format, date: now(), timeZone: timeZone))
            },
        ]
    }
}
