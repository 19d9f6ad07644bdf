import Locking
import OrderedJSON

/// What to constrain the output to.
public enum GrammarSpec: Sendable, Hashable {
    /// A JSON Schema (draft 4 – 2020-12 subset; see docs/architecture.md). `strict` applies
    /// OpenAI's strict-mode defaults (`additionalProperties` false unless given).
    case jsonSchema(JSONValue, strict: Bool)
    /// Any JSON object (`response_format: {"type": "json_object"}`).
    case jsonObject
    /// A GBNF grammar (llama.cpp's documented subset), start rule `root`.
    case gbnf(String)
    /// An ECMAScript regular expression (subset) matched against the whole output.
    case regex(String)
    /// Exactly one of the strings.
    case choice([String])
    /// A grammar built in code (e.g. a tool-call grammar with special-token terminals).
    case grammar(Grammar)
}

/// Compiles ``GrammarSpec``s for one vocabulary, caching results by content (a small
/// thread-safe LRU), so the same schema sent by many requests compiles once.
public final class GrammarCompiler: Sendable {
    /// The vocabulary every compiled grammar masks over.
    public let vocabulary: TokenVocabulary
    private let lru: Locked<LRU>
    private let capacity: Int

    private struct LRU {
        var items: [GrammarSpec: (grammar: CompiledGrammar, tick: Int)] = [:]
        var tick = 0
    }

    /// A compiler for `vocabulary`, keeping up to `cacheCapacity` compiled grammars.
    public init(vocabulary: TokenVocabulary, cacheCapacity: Int = 64) {
        self.vocabulary = vocabulary
        self.capacity = max(1, cacheCapacity)
        lru = Locked(LRU())
    }

    /// Compiles (or fetches from the cache) a spec.
    /// - Throws: ``GrammarError`` naming the unsupported or unsatisfiable keyword / rule and
    ///   where it is, or a size limit that was exceeded.
    public func compile(_ spec: GrammarSpec) throws(GrammarError) -> CompiledGrammar {
        if let hit = lru.withLock({ l -> CompiledGrammar? in
            guard let e = l.items[spec] else { return nil }
            l.tick += 1
            l.items[spec] = (e.grammar, l.tick)
            return e.grammar
        }) { return hit }
        let g = try Self.grammar(for: spec)
        let json: Bool
        switch spec {
        case .jsonSchema, .jsonObject: json = true
        default: json = false
        }
        let compiled = CompiledGrammar(automaton: try AutomatonBuilder().build(g), vocabulary: vocabulary, escapesAreSpellings: json)
        lru.withLock { l in
            l.tick += 1
            l.items[spec] = (compiled, l.tick)
            if l.items.count > capacity, let oldest = l.items.min(by: { $0.value.tick < $1.value.tick })?.key {
                l.items.removeValue(forKey: oldest)
            }
        }
        return compiled
    }

    /// The grammar (before automaton compilation) of a spec.
    public static func grammar(for spec: GrammarSpec) throws(GrammarError) -> Grammar {
        switch spec {
        case .jsonSchema(let schema, let strict):
            var c = JSONSchemaCompiler(root: schema, strict: strict)
            return try c.compile()
        case .jsonObject: return JSONSchemaCompiler.jsonObjectGrammar()
        case .gbnf(let text):
            var p = GBNFParser(text)
            return try p.parse()
        case .regex(let pattern):
            var g = Grammar()
            var parser = RegexParser(pattern)
            _ = g.add("regex", try parser.parse().utf8Expr(anchoredWhole: true))
            return g
        case .choice(let options):
            guard !options.isEmpty else { throw GrammarError("choice: the list of strings is empty") }
            var g = Grammar()
            _ = g.add("choice", .alt(options.map { .literal($0) }))
            return g
        case .grammar(let g): return g
        }
    }
}
