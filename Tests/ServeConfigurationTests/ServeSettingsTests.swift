import Foundation
import LFMTestSupport
import OrderedJSON
import ServeConfiguration
import Testing

@Suite struct ServeSettingsTests {
    static let memory = 16 << 30

    func resolve(file: JSONObject? = nil, env: [String: String] = [:], flags: [String: String] = [:]) throws -> ServeSettings {
        try ServeSettings.resolve(ConfigurationLayers(file: file.map { ("test.json", $0) }, environment: env, flags: flags),
                                  physicalMemory: Self.memory)
    }

    func error(file: JSONObject? = nil, env: [String: String] = [:], flags: [String: String] = [:]) -> String {
        do {
            _ = try resolve(file: file, env: env, flags: flags)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func defaults() throws {
        let s = try resolve()
        #expect(s.model == "LiquidAI/LFM2-350M")
        #expect(s.host == "127.0.0.1" && s.port == 8080 && s.threads == nil && s.contextSize == nil)
        #expect(s.maxBatchedTokens == 512 && s.maxNumSeqs == 64 && s.maxWaiting == 256 && s.blockSize == 16)
        #expect(s.kvCacheBytes == 1 << 30 && s.maxBodyBytes == 8 << 20 && s.prefixCache && s.accessLog && s.kvCacheDType == "f16")
        #expect(s.idleTimeout == 30 && s.shutdownTimeout == 30 && s.allowedOrigins == ["*"])
        #expect(s.reasoningFormat == "auto" && s.logLevel == "info" && s.logFormat == "text")
        #expect(s.apiKey == nil && s.servedModelName == nil && s.sslCertfile == nil)
        #expect(s.sources.values.allSatisfy { $0 == .defaultValue })
    }

    @Test func loopGuardIsWindowColonRepeatsOrOff() throws {
        #expect(try resolve().loopGuard == nil)
        #expect(try resolve(flags: ["loop-guard": "32:4"]).loopGuard == LoopGuardValue(window: 32, repeats: 4))
        #expect(try resolve(env: ["LFM_SERVE_LOOP_GUARD": "8:3"], flags: ["loop-guard": "off"]).loopGuard == nil)
        for bad in ["32x4", "0:4", "32:1", "32:", "on"] {
            let e = error(flags: ["loop-guard": bad])
            #expect(e.contains("loop-guard") && e.contains(bad) && e.contains("WINDOW:REPEATS"), "\(bad): \(e)")
        }
    }

    @Test func precedenceFileThenEnvironmentThenFlag() throws {
        let file: JSONObject = ["port": 9000, "max_num_seqs": 4, "served-model-name": "from-file", "prefix-cache": false]
        var s = try resolve(file: file)
        #expect(s.port == 9000 && s.maxNumSeqs == 4 && s.servedModelName == "from-file" && !s.prefixCache)
        #expect(s.sources["port"] == .file("test.json"))

        let env = ["LFM_SERVE_PORT": "9100", "LFM_SERVE_SERVED_MODEL_NAME": "from-env", "LFM_SERVE_PREFIX_CACHE": "on"]
        s = try resolve(file: file, env: env)
        #expect(s.port == 9100 && s.maxNumSeqs == 4 && s.servedModelName == "from-env" && s.prefixCache)
        #expect(s.sources["port"] == .environment("LFM_SERVE_PORT") && s.sources["max-num-seqs"] == .file("test.json"))

        s = try resolve(file: file, env: env, flags: ["port": "9200", "prefix-cache": "false"])
        #expect(s.port == 9200 && s.servedModelName == "from-env" && !s.prefixCache)
        #expect(s.sources["port"] == .flag("--port") && s.sources["prefix-cache"] == .flag("--prefix-cache/--no-prefix-cache"))
    }

    @Test func emptyEnvironmentValueIsUnset() throws {
        let s = try resolve(file: ["port": 9000], env: ["LFM_SERVE_PORT": ""])
        #expect(s.port == 9000)
    }

    @Test func nullInFileMeansDefault() throws {
        let s = try resolve(file: ["ctx-size": .null, "threads": "auto", "api-key": .null])
        #expect(s.contextSize == nil && s.threads == nil && s.apiKey == nil)
    }

    @Test func badValuesNameKeySourceValueAndReason() {
        #expect(error(flags: ["max-num-seqs": "abc"])
                == "invalid value for 'max-num-seqs' from flag --max-num-seqs: \"abc\" — expected a whole number in 1…4096")
        #expect(error(env: ["LFM_SERVE_PORT": "70000"])
                == "invalid value for 'port' from environment variable LFM_SERVE_PORT: \"70000\" — expected a whole number in 0…65535")
        #expect(error(file: ["kv-cache-memory": "lots"])
                == "invalid value for 'kv-cache-memory' from config file test.json: \"lots\" — expected a size such as 512M or 2G, "
                    + "or a fraction of physical memory such as 25% or 0.25")
        #expect(error(flags: ["log-level": "loud"]).contains("expected one of trace, debug, info, notice, warning, error, critical"))
        #expect(error(flags: ["prefix-cache": "maybe"]).contains("expected true or false"))
        #expect(error(env: ["LFM_SERVE_KV_CACHE_DTYPE": "int4"]).contains("expected one of f32, f16, bf16"))
        #expect(error(flags: ["shutdown-timeout": "-1"]).contains("'shutdown-timeout'"))
        #expect(error(flags: ["block-size": "0"]).contains("'block-size'"))
        #expect(error(flags: ["threads": "0"]).contains("or auto"))
        #expect(error(flags: ["max-body-bytes": "0"]).contains("'max-body-bytes'"))
        #expect(error(flags: ["allowed-origins": "a,,b"]).contains("comma-separated"))
        #expect(error(file: ["port": ["a": 1]]) == "invalid value for 'port' in config file test.json: expected a whole number in 0…65535, got {\"a\":1}")
        #expect(error(file: ["allowed-origins": [1, 2]]).contains("expected a list of strings"))
    }

    @Test func secretsAreNotEchoed() {
        #expect(error(flags: ["api-key": " "]) == "invalid value for 'api-key' from flag --api-key: <secret> — expected a non-empty string")
    }

    @Test func tlsFilesGoTogetherAndMustExist() throws {
        #expect(error(flags: ["ssl-certfile": "/etc/hostname"]).contains("ssl-certfile and ssl-keyfile go together"))
        #expect(error(flags: ["ssl-certfile": "/nonexistent.pem", "ssl-keyfile": "/nonexistent.key"])
                .contains("'ssl-certfile' from flag --ssl-certfile: \"/nonexistent.pem\" — expected a readable PEM file"))
    }

    @Test func sizesAndFractions() throws {
        #expect(ByteSize.parse("512M") == 512 << 20 && ByteSize.parse("2G") == 2 << 30 && ByteSize.parse("1GiB") == 1 << 30)
        #expect(ByteSize.parse("1.5K") == 1536 && ByteSize.parse("1048576") == 1 << 20 && ByteSize.parse("64kb") == 64 << 10)
        #expect(ByteSize.parse("0") == nil && ByteSize.parse("-1G") == nil && ByteSize.parse("G") == nil && ByteSize.parse("1X") == nil)
        #expect(try resolve(flags: ["kv-cache-memory": "25%"]).kvCacheBytes == Self.memory / 4)
        #expect(try resolve(flags: ["kv-cache-memory": "0.5"]).kvCacheBytes == Self.memory / 2)
        #expect(try resolve(flags: ["kv-cache-memory": "256M"]).kvCacheBytes == 256 << 20)
        #expect(error(flags: ["kv-cache-memory": "150%"]).contains("'kv-cache-memory'"))
    }

    @Test func unknownEnvironmentVariablesAreReported() {
        let layers = ConfigurationLayers(environment: ["LFM_SERVE_PORT": "1", "LFM_SERVE_MAX_SEQS": "2", "HOME": "/root"])
        #expect(layers.unknownEnvironmentNames(specs: ServeSettings.specs) == ["LFM_SERVE_MAX_SEQS"])
    }

    @Test func configFileErrors() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ text: String) -> String {
            let p = dir.appendingPathComponent("c.json").path
            _ = FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
            return p
        }
        func readError(_ path: String) -> String {
            do { _ = try ConfigurationLayers.readFile(path, specs: ServeSettings.specs); return "no error" } catch { return "\(error)" }
        }
        var p = write(#"{"port": 1, "max_batch": 3}"#)
        #expect(readError(p).hasPrefix("unknown key 'max_batch' in config file \(p); known keys: model, host, port"))
        p = write(#"{"port": 1,}"#)
        #expect(readError(p).hasPrefix("config file \(p) is not valid JSON"))
        p = write(#"[1]"#)
        #expect(readError(p) == "config file \(p) must hold a JSON object of settings")
        p = write(#"{"max-num-seqs": 1, "max_num_seqs": 2}"#)
        #expect(readError(p).contains("appears twice"))
        #expect(readError(dir.appendingPathComponent("missing.json").path).hasSuffix("no such file"))
        p = write(#"{"_comment": "x", "max_num_seqs": 3}"#)
        let file = try ConfigurationLayers.readFile(p, specs: ServeSettings.specs)
        #expect(try ServeSettings.resolve(ConfigurationLayers(file: file)).maxNumSeqs == 3)
    }

    /// The shipped config/lfm-serve.json names every setting and holds exactly the built-in defaults.
    @Test func shippedConfigFileHoldsTheDefaults() throws {
        let path = Fixtures.repositoryRoot.appendingPathComponent("config/lfm-serve.json").path
        let file = try ConfigurationLayers.readFile(path, specs: ServeSettings.specs)
        #expect(Set(file.values.keys) == Set(ServeSettings.specs.map(\.key)))
        var fromFile = try ServeSettings.resolve(ConfigurationLayers(file: file), physicalMemory: Self.memory)
        var defaults = try resolve()
        fromFile.sources = [:]
        defaults.sources = [:]
        #expect(fromFile == defaults)
    }

    /// docs/configuration.md has one table row per setting with its flag, variable and default.
    @Test func documentationListsEverySetting() throws {
        let doc = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let section = doc.components(separatedBy: "### `lfm-serve serve`")[1].components(separatedBy: "\n### ")[0]
        let rows = section.split(separator: "\n").filter { $0.hasPrefix("| `--") }
        for spec in ServeSettings.specs {
            let row = rows.first { $0.hasPrefix("| `\(spec.flagSpelling)`") }
            #expect(row != nil, "docs/configuration.md has no row for \(spec.flagSpelling)")
            guard let row else { continue }
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(cells.count >= 4)
            #expect(cells[1] == "`\(spec.environmentName)`", "\(spec.key): variable cell is \(cells[1])")
            #expect(cells[2] == "`\(spec.defaultDescription)`", "\(spec.key): default cell is \(cells[2])")
        }
        #expect(rows.count == ServeSettings.specs.count + 1, "one row per setting plus --config")
    }
}
