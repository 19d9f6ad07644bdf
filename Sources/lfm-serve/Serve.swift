import ArgumentParser
import Dispatch
import Foundation
import HTTPServer
import LFMKernels
import LFMRuntime
import Logging
import OpenAIAPI
import ServeConfiguration

/// `lfm-serve serve`: the OpenAI-compatible HTTP server.
///
/// Every setting comes from, in rising precedence: its built-in default, the JSON config
/// file (`--config` / `LFM_SERVE_CONFIG`), an `LFM_SERVE_…` environment variable, the flag.
/// The flags are read from ``ServeSettings/specs`` by ``FlagParser`` (so the specs are the one
/// list of settings: keys, defaults, help texts); `--help` prints them from the same specs.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the model over an OpenAI-compatible HTTP API (the default command).",
        usage: "lfm-serve [serve] [--config <config>] [--<setting> <value> ...]",
        discussion: """
        Each setting can also come from the JSON config file (--config, or LFM_SERVE_CONFIG) under its flag \
        name, or from the environment as LFM_SERVE_<NAME> (e.g. LFM_SERVE_MAX_NUM_SEQS=8). Precedence: \
        flag > environment > config file > default. See docs/configuration.md.

        SETTINGS:
          --config <config>
                JSON config file of settings (also LFM_SERVE_CONFIG). (default: none)
        """ + "\n" + flagParser.helpText())

    static let flagParser = FlagParser(specs: ServeSettings.specs, extraOptions: ["config"])

    /// The settings flags as given, parsed by ``flagParser`` in ``validate()``.
    @Argument(parsing: .allUnrecognized, help: .hidden) var settingArguments: [String] = []

    /// The flags given, by setting key, and `--config`.
    func givenFlags() throws -> FlagParser.Result {
        do { return try Self.flagParser.parse(settingArguments) } catch { throw ValidationError(error.message) }
    }

    func validate() throws { _ = try givenFlags() }

    /// Reads the layers and resolves the settings; a bad value exits with its key, source, value and reason.
    func settings(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (ServeSettings, [String]) {
        do {
            let given = try givenFlags()
            var layers = ConfigurationLayers(environment: environment, flags: given.flags)
            if let path = given.extras["config"] ?? environment["LFM_SERVE_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) {
                layers.file = try ConfigurationLayers.readFile(path, specs: ServeSettings.specs)
            }
            let unknown = layers.unknownEnvironmentNames(specs: ServeSettings.specs, ignoring: ["LFM_SERVE_CONFIG", "LFM_SERVE_BIN"])
            return (try ServeSettings.resolve(layers), unknown)
        } catch let e as ConfigurationError {
            FileHandle.standardError.write(Data("lfm-serve: configuration error: \(e.message)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
    }

    func run() throws {
        let (settings, unknownEnvironment) = try settings()
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        let json = settings.logFormat == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "lfm-serve")
        logger.logLevel = level
        logger.notice("lfm-serve \(LFMServeVersion.string) starting", metadata: ["pid": "\(getpid())"])
        if !settings.overriddenDescription.isEmpty { logger.info("settings: \(settings.overriddenDescription)") }
        for name in unknownEnvironment { logger.warning("ignoring unknown environment variable \(name)") }

        let health = HealthState(unavailable: "loading model")
        // Listen first, so /health answers 503 "loading model" while the weights load.
        let routes = DeferredRoutes(health: health)
        var http = HTTPServer.Configuration()
        http.host = settings.host
        http.port = settings.port
        http.limits.maxBodyBytes = settings.maxBodyBytes
        http.idleTimeout = .milliseconds(Int64(settings.idleTimeout * 1000))
        http.tlsCertificatePath = settings.sslCertfile
        http.tlsKeyPath = settings.sslKeyfile
        http.errorBody = OpenAIError.httpErrorBody
        let keys: [String]
        do { keys = try settings.apiKeys() } catch let e as ConfigurationError {
            FileHandle.standardError.write(Data("lfm-serve: configuration error: \(e.message)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        // The request pipeline, in order: access log first (so every request gets its line),
        // request id, CORS (preflights answered before auth), API keys on the resolved route
        // (which routes are public is the route table's decision: APIRoute.isPublic), gzip
        // request bodies; then the route.
        var middleware: [any HTTPMiddleware] = []
        if settings.accessLog { middleware.append(AccessLogMiddleware(logger: logger)) }
        middleware.append(RequestIDMiddleware())
        middleware.append(HTTPServer.CORS(allowedOrigins: settings.allowedOrigins))
        if !keys.isEmpty {
            var auth = HTTPServer.BearerAuth(tokens: Set(keys), exemptPaths: [])
            auth.message = OpenAIError.unauthorizedMessage
            auth.routeErrorBodies = OpenAIService.routeErrorBodies
            middleware.append(auth)
        }
        middleware.append(RequestDecompressionMiddleware(maxBodyBytes: settings.maxBodyBytes))
        http.middleware = middleware
        let server = HTTPServer(configuration: http, router: routes.makeRouter(metricsRequireKey: settings.metricsRequireKey), logger: logger)
        let bound: Int
        do { bound = try server.start() } catch {
            logger.critical("cannot start the HTTP server on \(settings.host):\(settings.port): \(error)")
            throw ExitCode(69)  // EX_UNAVAILABLE
        }
        // stdout: one line when the port is bound (health answers 503 "loading model"), one when ready.
        FileHandle.standardOutput.write(Data("lfm-serve bound to \(settings.host):\(bound), loading the model\n".utf8))

        // SIGTERM / SIGINT drain; SIGHUP is logged and otherwise ignored (nothing to reopen:
        // logs go to stderr and the configuration is read once at start).
        let done = DispatchSemaphore(value: 0)
        let engineBox = EngineBox()
        for sig in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { signal(sig, SIG_IGN) }
        var sources: [any DispatchSourceSignal] = []
        let shutdownTimeout = settings.shutdownTimeout
        for sig in [SIGTERM, SIGINT] {
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler {
                Self.drain(signal: sig, server: server, engine: engineBox.engine, health: health, timeout: shutdownTimeout,
                           logger: logger, done: done)
            }
            src.resume()
            sources.append(src)
        }
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hup.setEventHandler { logger.notice("SIGHUP ignored: there is nothing to reopen or reload (restart to change settings)") }
        hup.resume()
        sources.append(hup)

        logger.info("loading \(settings.model)")
        var modelArguments = ["--model", settings.model]
        if let t = settings.threads { modelArguments += ["--threads", String(t)] }
        let modelOptions = try ModelOptions.parse(modelArguments)
        let loaded: LoadedModel
        let loadStart = Date()
        do {
            loaded = try modelOptions.load(quiet: true, logger: logger)
            logger.notice("\(ModelOptions.facts(loaded, path: settings.model, since: loadStart))")
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
        let engine = InferenceEngine(model: loaded, configuration: EngineConfiguration(
            threads: modelOptions.threads, maxBatchedTokens: settings.maxBatchedTokens, maxNumSequences: settings.maxNumSeqs,
            maxWaiting: settings.maxWaiting, pageSize: settings.blockSize, kvCacheBytes: settings.kvCacheBytes,
            contextLength: settings.contextSize, prefixCaching: settings.prefixCache,
            kvCacheType: KVCacheType(name: settings.kvCacheDType) ?? .f16), logger: logger)
        engineBox.engine = engine
        var api = OpenAIService.Configuration(modelID: settings.servedModelName ?? modelOptions.defaultServedModelName)
        api.reasoning = ReasoningFormat(rawValue: settings.reasoningFormat) ?? .auto
        api.reasoningBudget = settings.reasoningBudget >= 0 ? settings.reasoningBudget : nil
        api.version = LFMServeVersion.string
        api.strictModelName = settings.strictModelName
        api.metricsCompat = MetricsCompat(rawValue: settings.metricsCompat) ?? .vllm
        api.loopGuard = settings.loopGuard.map { LoopGuardSettings(window: $0.window, repeats: $0.repeats) }
        let service = try OpenAIService(engine: engine, configuration: api, health: health, logger: logger)
        service.prepareStructuredOutputs()
        var router = Router()
        service.register(on: &router, metricsRequireKey: settings.metricsRequireKey)
        routes.install(router)
        if health.unavailableReason == "loading model" { health.set(unavailable: nil) }
        FileHandle.standardOutput.write(Data("lfm-serve listening on \(settings.host):\(bound)\n".utf8))
        logger.notice("serving \(api.modelID) on \(settings.sslCertfile == nil ? "http" : "https")://\(settings.host):\(bound)")

        done.wait()
        logger.notice("stopped")
        _ = sources
    }

    /// Graceful shutdown: /health and new API requests get 503 "draining" while running
    /// generations finish (up to `timeout`), then the listener and idle connections close and
    /// the process exits 0.
    static func drain(signal sig: Int32, server: HTTPServer, engine: InferenceEngine?, health: HealthState, timeout: Double,
                      logger: Logger, done: DispatchSemaphore) {
        guard health.unavailableReason != "draining" else { return }
        logger.notice("signal \(sig): draining (up to \(timeout) s)")
        health.set(unavailable: "draining")
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        // Phase 1: keep answering (503 for new work) until every admitted request has delivered
        // its last event (a live count, not a statistic published after steps).
        while let engine, ContinuousClock.now < deadline {
            if engine.isIdle { break }
            usleep(20_000)
        }
        // Time is up with work left: end it with an error event (streams) or a 503, so every
        // client learns why and every request gets its access-log line.
        if let engine, !engine.isIdle {
            logger.warning("shutdown timeout: ending the requests still running")
            engine.shutdown()
        }
        // Phase 2: close the listener; responses still being written get what time is left
        // (at least a moment, so the error events above reach their clients).
        let left = max(Duration.milliseconds(500), deadline - ContinuousClock.now)
        server.shutdown(gracePeriod: left)
        server.onDrained {
            guard let engine else { Foundation.exit(0) }  // still loading: nothing to finish
            engine.shutdown()
            done.signal()
        }
    }
}

/// The engine once loaded, for the signal handlers installed before loading.
final class EngineBox: @unchecked Sendable {
    // Safety: written once by the main thread, read by signal handlers; guarded by `lock`.
    private let lock = NSLock()
    private var value: InferenceEngine?
    var engine: InferenceEngine? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
