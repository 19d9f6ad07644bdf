import OrderedJSON

/// Grammars for LFM2 tool calls: `<|tool_call_start|>[name(arg=value, …), …]<|tool_call_end|>`,
/// where the markers are special tokens and argument values are Python literals constrained by
/// each function's `parameters` schema (in schema order; optional arguments may be left out).
public enum ToolCallGrammar {
    /// A function the model may call.
    public struct Tool: Sendable, Hashable {
        /// The function name, written verbatim.
        public var name: String
        /// Its JSON Schema `parameters` (nil: no constraint on the arguments' names or values).
        public var parameters: JSONValue?
        /// A tool.
        public init(name: String, parameters: JSONValue?) {
            self.name = name
            self.parameters = parameters
        }
    }

    /// The grammar of one LFM2 tool-call block (or up to `maxCalls` calls in it).
    /// - Parameters:
    ///   - tools: the callable functions (at least one).
    ///   - startToken / endToken: ids of `<|tool_call_start|>` and `<|tool_call_end|>`.
    ///   - parallel: whether the list may hold several calls (`parallel_tool_calls`).
    /// - Throws: ``GrammarError`` naming the tool and the schema keyword it cannot compile.
    public static func lfm2(tools: [Tool], startToken: Int, endToken: Int, parallel: Bool = true) throws(GrammarError) -> Grammar {
        guard !tools.isEmpty else { throw GrammarError("tool call grammar: no tools") }
        var g = Grammar()
        let ws = GrammarExpr.optional(.literal(" "))
        var calls: [GrammarExpr] = []
        for tool in tools {
            guard !tool.name.isEmpty, tool.name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "_.-".unicodeScalars.contains($0)) }) else {
                throw GrammarError("tool call grammar: function name '\(tool.name)' must be ASCII letters, digits, '_', '.' or '-'")
            }
            var c = JSONSchemaCompiler(root: tool.parameters ?? true, strict: true)
            c.pythonic = true
            c.g = g
            let args: GrammarExpr
            do { args = try c.arguments(tool.parameters) } catch { throw GrammarError("tool '\(tool.name)': \(error.message)") }
            g = c.g
            calls.append(.seq([.literal(tool.name), .literal("("), args, .literal(")")]))
        }
        let call = GrammarExpr.alt(calls)
        let list: GrammarExpr = parallel ? .seq([call, .star(.seq([.literal(","), ws, call]))]) : call
        g.start = g.add("tool_call", .seq([.token(startToken), .literal("["), list, .literal("]"), .token(endToken)]))
        return g
    }
}

extension JSONSchemaCompiler {
    /// Keyword arguments `k=value, …` for a `parameters` schema (an object schema or nil).
    mutating func arguments(_ parameters: JSONValue?) throws(GrammarError) -> GrammarExpr {
        guard let p = parameters, let o = p.objectValue else {
            if parameters == nil || parameters == .bool(true) {
                let v = anyValueRule()
                let kw = GrammarExpr.seq([.byteRange(0x61...0x7A), .star(.alt([.byteRange(0x61...0x7A), .byteRange(0x30...0x39), .literal("_")]))])
                return .optional(.seq([kw, .literal("="), .ref(v), .star(.seq([.literal(", "), kw, .literal("="), .ref(v)]))]))
            }
            throw GrammarError("schema at /: parameters must be an object schema")
        }
        let props = o["properties"]?.objectValue ?? [:]
        let required = Set(o["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        var items: [GrammarExpr] = [], optional: [Bool] = []
        for (k, v) in props {
            guard k.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_") }) else {
                throw GrammarError("schema keyword 'properties' at /properties: argument name '\(k)' is not a Python identifier")
            }
            let value = try schema(v, "/properties/" + Self.escapePointer(k))
            items.append(.seq([.literal(k + "="), value]))
            optional.append(!required.contains(k))
        }
        if items.isEmpty { return .empty }
        return .members(items, optional: optional, extra: nil, separator: .seq([.literal(","), .optional(.literal(" "))]))
    }
}
