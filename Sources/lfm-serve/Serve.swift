import ArgumentParser
import Dispatch
import Foundation
import HTTPServer
import LFMRuntime
import Logging
import OpenAIAPI

/// `lfm-serve serve`: the OpenAI-compatible HTTP server.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the model over an OpenAI-compatible HTTP API.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free port, printed at startup).") var port: Int = 8080
    @Option(name: .customLong("served-model-name"), help: "Model id reported by /v1/models (default: the --model path's last component).")
    var servedModelName: String?
    @Option(name: .customLong("api-key"), help: "Require this bearer token on /v1/* (also LFM_SERVE_API_KEY).") var apiKey: String?
    @Option(name: .customLong("max-batched-tokens"), help: "Tokens per engine step.") var maxBatchedTokens: Int = 512
    @Option(name: .customLong("max-num-seqs"), help: "Sequences generating at once.") var maxNumSeqs: Int = 64
    @Option(name: .customLong("max-waiting"), help: "Queued requests beyond the running ones before 429.") var maxWaiting: Int = 256
    @Option(name: .customLong("kv-cache-memory"), help: "Bytes of KV cache pages (suffixes K, M, G accepted).") var kvCacheMemory: String = "1G"
    @Flag(name: .customLong("no-prefix-cache"), help: "Do not share KV pages between requests.") var noPrefixCache = false
    @Option(name: .customLong("block-size"), help: "Tokens per KV page.") var blockSize: Int = 16
    @Option(name: .customLong("ctx-size"), help: "Context length (prompt + output); default min(model, 32768).") var contextLength: Int?
    @Option(name: .customLong("reasoning-format"), help: "none | auto | deepseek: split <think> into reasoning_content.") var reasoningFormat: String = "auto"
    @Option(name: .customLong("ssl-certfile"), help: "TLS certificate (PEM); serves HTTPS with --ssl-keyfile.") var sslCertfile: String?
    @Option(name: .customLong("ssl-keyfile"), help: "TLS private key (PEM).") var sslKeyfile: String?
    @Option(name: .customLong("shutdown-timeout"), help: "Seconds to let running generations finish on SIGTERM.") var shutdownTimeout: Int = 30
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted (413 beyond it; suffixes K, M, G).") var maxBodyBytes: String = "8M"
    @Option(name: .customLong("log-level"), help: "trace | debug | info | notice | warning | error | critical") var logLevel: String = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0…65535, got \(port)") }
        guard maxBatchedTokens >= 1 else { throw ValidationError("--max-batched-tokens must be ≥ 1, got \(maxBatchedTokens)") }
        guard maxNumSeqs >= 1 else { throw ValidationError("--max-num-seqs must be ≥ 1, got \(maxNumSeqs)") }
        guard blockSize >= 1 && blockSize <= 1024 else { throw ValidationError("--block-size must be in 1…1024, got \(blockSize)") }
        guard Self.parseBytes(kvCacheMemory) != nil else { throw ValidationError("--kv-cache-memory: cannot read '\(kvCacheMemory)' as a size (e.g. 512M, 2G)") }
        guard Self.parseBytes(maxBodyBytes) != nil else { throw ValidationError("--max-body-bytes: cannot read '\(maxBodyBytes)' as a size") }
        guard ReasoningFormat(rawValue: reasoningFormat) != nil else { throw ValidationError("--reasoning-format must be none, auto or deepseek, got '\(reasoningFormat)'") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level '\(logLevel)'") }
        guard (sslCertfile == nil) == (sslKeyfile == nil) else { throw ValidationError("--ssl-certfile and --ssl-keyfile go together") }
    }

    static func parseBytes(_ s: String) -> Int? {
        let t = s.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "IB", with: "").replacingOccurrences(of: "B", with: "")
        let mult: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        if let last = t.last, let m = mult[last], let v = Double(t.dropLast()), v > 0 { return Int(v * Double(m)) }
        if let v = Int(t), v > 0 { return v }
        return nil
    }

    func run() throws {
        var logger = Logger(label: "lfm-serve")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let health = HealthState(unavailable: "loading model")
        // Listen first, so /health answers 503 "loading model" while the weights load.
        let routes = DeferredRoutes(health: health)
        var http = HTTPServer.Configuration()
        http.host = host
        http.port = port
        http.limits.maxBodyBytes = Self.parseBytes(maxBodyBytes)!
        http.tlsCertificatePath = sslCertfile
        http.tlsKeyPath = sslKeyfile
        if let key = apiKey ?? ProcessInfo.processInfo.environment["LFM_SERVE_API_KEY"], !key.isEmpty {
            var auth = HTTPServer.BearerAuth(tokens: [key])
            auth.pathPrefix = "/v1/"
            http.auth = auth
        }
        http.cors = HTTPServer.CORS()
        let server = HTTPServer(configuration: http, router: routes.makeRouter(), logger: logger)
        let bound: Int
        do { bound = try server.start() } catch { throw ValidationError("cannot start the HTTP server: \(error)") }
        logger.info("listening on \(host):\(bound); loading \(modelOptions.model)")

        let loaded = try modelOptions.load()
        let engine = InferenceEngine(model: loaded, configuration: EngineConfiguration(
            threads: modelOptions.threads, maxBatchedTokens: maxBatchedTokens, maxNumSequences: maxNumSeqs, maxWaiting: maxWaiting,
            pageSize: blockSize, kvCacheBytes: Self.parseBytes(kvCacheMemory)!, contextLength: contextLength,
            prefixCaching: !noPrefixCache), logger: logger)
        var api = OpenAIService.Configuration(modelID: servedModelName ?? modelOptions.defaultServedModelName)
        api.reasoning = ReasoningFormat(rawValue: reasoningFormat)!
        api.version = LFMServeVersion.string
        let service = try OpenAIService(engine: engine, configuration: api, health: health, logger: logger)
        var router = Router()
        service.register(on: &router)
        routes.install(router)
        health.set(unavailable: nil)
        logger.info("serving \(api.modelID) on \(sslCertfile == nil ? "http" : "https")://\(host):\(bound)")
        FileHandle.standardOutput.write(Data("lfm-serve listening on \(host):\(bound)\n".utf8))

        // Graceful shutdown: health goes 503, no new requests, running generations finish up to the timeout.
        let done = DispatchSemaphore(value: 0)
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler {
                logger.info("signal \(sig): draining (up to \(shutdownTimeout) s)")
                health.set(unavailable: "draining")
                server.shutdown(gracePeriod: .seconds(shutdownTimeout))
                server.onDrained {
                    engine.shutdown()
                    done.signal()
                }
            }
            src.resume()
            sources.append(src)
        }
        done.wait()
        logger.info("stopped")
        _ = sources
    }
}
