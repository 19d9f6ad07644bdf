import ArgumentParser
import Foundation
import LFMGrammar
import LFMRuntime
import LFMTokenizer
import OrderedJSON

/// `lfm-serve grammar-check`: runs the constrained-decoding engine over test cases, for tests
/// and benchmarks (issue 15's format; docs/architecture.md "Structured outputs engine").
struct GrammarCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grammar-check",
        abstract: "Check texts against JSON Schemas / grammars with the constrained-decoding engine (JSON Lines in and out).")

    @Option(help: "Model folder, .gguf file or Hub repo owner/name[@revision][:QUANT] (only its tokenizer is loaded).") var model: String
    @Option(help: "JSON Lines file; each line {\"schema\": …, \"tests\": [{\"text\": …, \"valid\": …}]} (or \"gbnf\", \"regex\", \"choice\" instead of \"schema\"; optional \"strict\").") var input: String

    func run() throws {
        let tokenizer = try loadTokenizer(try ModelPath.resolve(model))
        let vocabulary = Self.vocabulary(of: tokenizer)
        guard let data = FileManager.default.contents(atPath: input) else { throw ValidationError("--input: cannot read \(input)") }
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            let value: JSONValue
            do { value = try JSONValue.parse(String(line)) } catch {
                throw ValidationError("\(input): line \(n + 1) is not valid JSON: \(error)")
            }
            let spec = try Self.spec(value, where: "\(input): line \(n + 1)")
            guard let tests = (value["tests"] ?? .array([])).arrayValue else {
                throw ValidationError("\(input): line \(n + 1): field \"tests\" must be an array")
            }
            var texts: [String] = []
            for (k, t) in tests.enumerated() {
                guard let text = t["text"]?.stringValue else {
                    throw ValidationError("\(input): line \(n + 1): field \"tests[\(k)].text\" must be a string")
                }
                texts.append(text)
            }
            let result = Self.check(spec: spec, texts: texts, vocabulary: vocabulary, tokenizer: tokenizer)
            FileHandle.standardOutput.write(Data((result.serialized() + "\n").utf8))
        }
    }

    /// The vocabulary of a tokenizer (special tokens and EOS flagged).
    static func vocabulary(of tokenizer: Tokenizer) -> TokenVocabulary {
        TokenVocabulary(tokenizer: tokenizer, eosIDs: tokenizer.eosTokenID.map { [$0] } ?? [])
    }

    static func spec(_ v: JSONValue, where location: String) throws -> GrammarSpec {
        if let s = v["schema"] { return .jsonSchema(s, strict: v["strict"]?.boolValue ?? false) }
        if let g = v["gbnf"] {
            guard let text = g.stringValue else { throw ValidationError("\(location): field \"gbnf\" must be a string") }
            return .gbnf(text)
        }
        if let r = v["regex"] {
            guard let text = r.stringValue else { throw ValidationError("\(location): field \"regex\" must be a string") }
            return .regex(text)
        }
        if let c = v["choice"] {
            guard let list = c.arrayValue?.compactMap(\.stringValue), list.count == c.arrayValue?.count else {
                throw ValidationError("\(location): field \"choice\" must be an array of strings")
            }
            return .choice(list)
        }
        if v["json_object"]?.boolValue == true { return .jsonObject }
        throw ValidationError("\(location): missing field \"schema\"")
    }

    static func micros(_ d: Duration) -> Double {
        let c = d.components
        return (Double(c.seconds) * 1e6 + Double(c.attoseconds) / 1e12 * 1).rounded(toPlaces: 2)
    }

    /// Compiles the spec (fresh, uncached) and runs each text token by token.
    static func check(spec: GrammarSpec, texts: [String], vocabulary: TokenVocabulary, tokenizer: Tokenizer) -> JSONValue {
        let clock = ContinuousClock()
        let start = clock.now
        let compiled: CompiledGrammar
        do {
            compiled = try GrammarCompiler(vocabulary: vocabulary, cacheCapacity: 1).compile(spec)
        } catch {
            let us = micros(clock.now - start)
            let tests: [JSONValue] = texts.map { t in
                ["accepted": false, "tokens": .integer(Int64(tokenizer.encode(t, addSpecialTokens: false).count)), "mask_us": []]
            }
            return ["compiled": false, "error": .string(error.message), "compile_us": .double(us), "tests": .array(tests)]
        }
        let compileUS = micros(clock.now - start)
        var results: [JSONValue] = []
        var mask = [UInt64](repeating: 0, count: vocabulary.maskWords)
        for text in texts {
            let ids = tokenizer.encode(text, addSpecialTokens: false)
            var m = compiled.makeMatcher()
            var times: [JSONValue] = []
            var ok = true
            for id in ids {
                let t0 = clock.now
                m.fillMask(into: &mask)
                times.append(.double(micros(clock.now - t0)))
                guard mask[id >> 6] >> UInt64(id & 63) & 1 == 1, m.accept(id) else { ok = false; break }
            }
            if ok { ok = m.canTerminate }
            results.append(["accepted": .bool(ok), "tokens": .integer(Int64(ids.count)), "mask_us": .array(times)])
        }
        return ["compiled": true, "error": .null, "compile_us": .double(compileUS), "tests": .array(results)]
    }
}

extension Double {
    func rounded(toPlaces p: Int) -> Double {
        let f = pow(10.0, Double(p))
        return (self * f).rounded() / f
    }
}
