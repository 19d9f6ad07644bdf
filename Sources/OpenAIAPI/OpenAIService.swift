import Foundation
import HTTPServer
import LFMRuntime
import LFMTokenizer
import Logging
import OrderedJSON

/// The OpenAI-compatible API over one loaded model: routes, request validation, prompt
/// building, and the mapping of engine events to OpenAI responses and SSE chunks. It talks
/// to the engine only through `InferenceEngine.submit` / `RequestHandle.cancel`.
public final class OpenAIService: Sendable {
    /// Settings of the API layer.
    public struct Configuration: Sendable {
        /// The id served in `/v1/models` and accepted in `model` (any id is accepted when nil-matching is off).
        public var modelID: String
        /// Default `reasoning_format` (per request overridable).
        public var reasoning: ReasoningFormat = .auto
        /// Default max_tokens when a request gives none (bounded by the context).
        public var defaultMaxTokens: Int? = nil
        /// Reject requests whose `model` differs from `modelID` with 404.
        public var strictModelName = false
        /// Version string of `/version`.
        public var version = "0.1.0"
        /// Other servers' metric names also exposed on `/metrics` (``VLLMCompatMetrics``).
        public var metricsCompat: MetricsCompat = .vllm

        public init(modelID: String) { self.modelID = modelID }
    }

    public let engine: InferenceEngine
    public let configuration: Configuration
    let template: ChatTemplate?
    let tokenizer: Tokenizer
    let logger: Logger
    let created: Int
    let health: HealthState
    /// Prometheus metrics (served at /metrics).
    public let metrics: ServiceMetrics

    public init(engine: InferenceEngine, configuration: Configuration, health: HealthState = HealthState(),
                metrics: ServiceMetrics = ServiceMetrics(), logger: Logger) throws {
        self.engine = engine
        self.metrics = metrics
        self.configuration = configuration
        self.logger = logger
        self.health = health
        tokenizer = engine.model.tokenizer
        if let source = engine.model.chatTemplateSource {
            template = try ChatTemplate(source: source, bosToken: tokenizer.bosToken, eosToken: tokenizer.eosToken)
        } else {
            template = nil
        }
        created = Int(Date().timeIntervalSince1970)
        engine.setObserver(metrics)
    }

    /// Registers every endpoint on `router`.
    /// The OpenAI routes are also served without the `/v1` prefix, as llama-server does, for
    /// clients configured with a bare base URL.
    public func register(on router: inout Router) {
        for prefix in ["/v1", ""] {
            router.post(prefix + "/chat/completions") { [self] req, res in handleAsync(req, res) { try self.chatCompletions($0, $1) } }
            router.post(prefix + "/completions") { [self] req, res in handleAsync(req, res) { try self.completions($0, $1) } }
            router.get(prefix + "/models") { [self] _, res in res.respond(json(modelList())) }
            router.get(prefix + "/models/{id}") { [self] req, res in res.respond(modelResponse(req.pathParameters["id"] ?? "")) }
            // Hub ids contain a slash (`LiquidAI/LFM2-350M`): the SDK's models.retrieve sends it as is.
            router.get(prefix + "/models/{owner}/{name}") { [self] req, res in
                res.respond(modelResponse((req.pathParameters["owner"] ?? "") + "/" + (req.pathParameters["name"] ?? "")))
            }
        }
        router.get("/health") { [self] _, res in res.respond(healthResponse()) }
        router.get("/metrics") { [self] _, res in
            let stats = engine.stats
            var body = metrics.render(stats: stats, modelID: configuration.modelID, residentBytes: ProcessInfo.residentBytes)
            if configuration.metricsCompat == .vllm { body += Array(vllmMetrics(stats).utf8) }
            res.respond(HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], body: body))
        }
        router.get("/version") { [self] _, res in res.respond(json(["version": .string(configuration.version)])) }
        router.post("/tokenize") { [self] req, res in handleAsync(req, res) { try self.tokenize($0, $1) } }
        router.post("/detokenize") { [self] req, res in handleAsync(req, res) { try self.detokenize($0, $1) } }
    }

    /// The model-server-protocol metrics under vLLM's names for `stats`.
    func vllmMetrics(_ stats: EngineStats) -> String {
        let c = engine.configuration
        return VLLMCompatMetrics.render(stats: stats, modelName: configuration.modelID, blockSize: c.pageSize,
                                        cacheDType: String(describing: c.kvCacheType), prefixCaching: c.prefixCaching)
    }

    /// `GET /v1/models/{id}`: the served model, or 404 naming the id asked for.
    func modelResponse(_ id: String) -> HTTPResponse {
        let decoded = id.removingPercentEncoding ?? id
        if decoded == configuration.modelID { return json(modelObject()) }
        return error(.notFound("The model '\(decoded)' does not exist", param: "model"))
    }

    /// Runs a handler off the I/O thread (template rendering and tokenization take
    /// milliseconds) and turns thrown `OpenAIError`s into responses.
    func handleAsync(_ req: HTTPRequest, _ res: HTTPResponder,
                     _ body: @escaping @Sendable (HTTPRequest, HTTPResponder) throws -> Void) {
        let endpoint = req.path
        if let reason = health.unavailableReason {
            metrics.request(endpoint: endpoint, status: 503)
            res.respond(error(.unavailable(reason)))
            return
        }
        DispatchQueue.global(qos: .userInitiated).async {
            do {
                try body(req, res)
                self.metrics.request(endpoint: endpoint, status: 200)
            } catch let e as OpenAIError {
                self.metrics.request(endpoint: endpoint, status: e.status)
                res.respond(self.error(e))
            } catch {
                self.metrics.request(endpoint: endpoint, status: 500)
                res.respond(self.error(.server("\(error)")))
            }
        }
    }

    /// Parses a request body as JSON.
    func parseBody(_ req: HTTPRequest) throws(OpenAIError) -> JSONValue {
        guard !req.body.isEmpty else { throw .invalidRequest("the request body is empty; expected JSON") }
        do {
            return try JSONValue.parse(req.body)
        } catch {
            throw .invalidRequest("the request body is not valid JSON: \(error)")
        }
    }

    func checkModel(_ model: String?) throws(OpenAIError) {
        if configuration.strictModelName, let m = model, m != configuration.modelID {
            throw .notFound("The model '\(m)' does not exist", param: "model")
        }
    }

    func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: value.serializedBytes())
    }

    func error(_ e: OpenAIError) -> HTTPResponse { json(e.json, status: e.status) }

    func modelObject() -> JSONValue {
        ["id": .string(configuration.modelID), "object": "model", "created": .integer(Int64(created)), "owned_by": "lfm-serve",
         "max_model_len": .integer(Int64(engine.contextLength))]
    }

    func modelList() -> JSONValue { ["object": "list", "data": [modelObject()]] }

    func healthResponse() -> HTTPResponse {
        if let reason = health.unavailableReason {
            return json(["status": "unavailable", "reason": .string(reason)], status: 503)
        }
        return json(["status": "ok"])
    }

    /// Maps a submit failure to the OpenAI error it stands for.
    func submitError(_ e: any Error) -> OpenAIError {
        switch e as? SubmitError {
        case .queueFull?: return .rateLimited("\(e)")
        case .promptTooLong?, .emptyPrompt?: return .invalidRequest("\(e)", param: "messages", code: "context_length_exceeded")
        case .shuttingDown?: return .unavailable("\(e)")
        case nil: return .server("\(e)")
        }
    }
}

/// Whether the server can take requests (loading and draining answer 503).
public final class HealthState: Sendable {
    private let reason = Mutex<String?>(nil)
    public init(unavailable: String? = nil) { reason.withLock { $0 = unavailable } }
    /// nil when ready.
    public var unavailableReason: String? { reason.withLock { $0 } }
    public func set(unavailable: String?) { reason.withLock { $0 = unavailable } }
}

import Synchronization
