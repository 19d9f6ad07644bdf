import Testing
@testable import ServeConfiguration

@Suite struct FlagParserTests {
    let parser = FlagParser(specs: ServeSettings.specs, extraOptions: ["config"])

    @Test func valuesBooleansAndExtras() throws {
        let r = try parser.parse(["--max-num-seqs", "8", "--port=0", "--no-prefix-cache", "--access-log", "--config", "c.json",
                                  "--metrics-require-key=false", "--reasoning-budget", "-1"])
        #expect(r.flags == ["max-num-seqs": "8", "port": "0", "prefix-cache": "false", "access-log": "true",
                            "metrics-require-key": "false", "reasoning-budget": "-1"])
        #expect(r.extras == ["config": "c.json"])
    }

    @Test func repeatableKeepsEveryValueOthersKeepTheLast() throws {
        let r = try parser.parse(["--api-key", "a", "--api-key=b", "--port", "1", "--port", "2"])
        #expect(r.flags["api-key"] == "a\nb")
        #expect(r.flags["port"] == "2")
    }

    @Test func mistakesAreNamed() {
        func message(_ args: [String]) -> String {
            do { _ = try parser.parse(args); return "no error" } catch { return error.message }
        }
        #expect(message(["--max-num-seq", "8"]) == "unknown option '--max-num-seq'; did you mean '--max-num-seqs'? (see --help)")
        #expect(message(["--zzzzzzzzzzzz"]) == "unknown option '--zzzzzzzzzzzz' (see --help)")
        #expect(message(["--port"]) == "option '--port' needs a value")
        #expect(message(["--port", "--host", "x"]) == "option '--port' needs a value")
        #expect(message(["model.gguf"]).hasPrefix("unexpected argument 'model.gguf'"))
        #expect(message(["--no-port"]).hasPrefix("unknown option '--no-port'"))
    }

    /// Every setting has a flag, and `--help` lists each with its default.
    @Test func helpListsEverySetting() throws {
        let help = parser.helpText().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for spec in ServeSettings.specs {
            #expect(help.contains(spec.flagSpelling), "help lacks \(spec.flagSpelling)")
            #expect(help.contains("(default: \(spec.defaultDescription))"), "help lacks the default of \(spec.key)")
            if case .bool = spec.kind { continue }
            #expect(try parser.parse(["--\(spec.key)", "x"]).flags[spec.key] == "x")
        }
    }
}
