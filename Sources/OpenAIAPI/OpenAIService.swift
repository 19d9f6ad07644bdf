import Foundation
import HTTPServer
import LFMRuntime
import LFMTokenizer
import Locking
import Logging
import OrderedJSON

/// The OpenAI-compatible API over one loaded model: routes, request validation, prompt
/// building, and the mapping of engine events to OpenAI responses and SSE chunks. It talks
/// to the engine only through `InferenceEngine.submit` / `RequestHandle.cancel`.
public final class OpenAIService: Sendable {
    /// Settings of the API layer.
    public struct Configuration: Sendable {
        /// The id served in `/v1/models`; a request's `model` must equal it only when
        /// ``strictModelName`` is set (otherwise any `model` is accepted).
        public var modelID: String
        /// Default `reasoning_format` (per request overridable).
        public var reasoning: ReasoningFormat = .auto
        /// Default max_tokens when a request gives none (bounded by the context).
        public var defaultMaxTokens: Int? = nil
        /// Default think-block token budget (nil: no limit; per request `reasoning_budget` / `reasoning_effort`).
        public var reasoningBudget: Int? = nil
        /// Reject requests whose `model` differs from `modelID` with 404.
        public var strictModelName = false
        /// Version string of `/version`.
        public var version = "0.1.0"
        /// Other servers' metric names also exposed on `/metrics` (``VLLMCompatMetrics``).
        public var metricsCompat: MetricsCompat = .vllm
        /// The loop guard of requests that do not set `loop_guard` (nil: off).
        public var loopGuard: LoopGuardSettings? = nil

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
    /// Grammar compilation and constraint planning (structured outputs).
    let structuredOutputs: StructuredOutputs

    public init(engine: InferenceEngine, configuration: Configuration, health: HealthState = HealthState(),
                metrics: ServiceMetrics = ServiceMetrics(), logger: Logger) throws {
        self.engine = engine
        self.metrics = metrics
        self.configuration = configuration
        self.logger = logger
        self.health = health
        tokenizer = engine.model.tokenizer
        structuredOutputs = StructuredOutputs(tokenizer: tokenizer, endIDs: engine.model.stopTokenIDs)
        if let source = engine.model.chatTemplateSource {
            template = try ChatTemplate(source: source, bosToken: tokenizer.bosToken, eosToken: tokenizer.eosToken)
        } else {
            template = nil
        }
        created = Int(Date().timeIntervalSince1970)
        engine.setObserver(metrics)
    }

    /// Builds what structured outputs need before the first request asks for it (the grammar
    /// compiler's view of the vocabulary and the shared JSON rules); the server calls it while
    /// it still reports "loading model".
    public func prepareStructuredOutputs() {
        structuredOutputs.prepare()
    }

    /// Registers every endpoint of ``routes`` on `router`.
    public func register(on router: inout Router, metricsRequireKey: Bool = false) {
        for route in Self.routes {
            router.add(route.method, route.pattern, isPublic: route.isPublic(metricsRequireKey: metricsRequireKey), handler(for: route))
        }
    }

    /// The handler of one endpoint.
    func handler(for route: APIRoute) -> Router.Handler {
        let pattern = route.pattern
        switch route.endpoint {
        case .chatCompletions: return { [self] req, res in handleAsync(req, res, endpoint: pattern) { try self.chatCompletions($0, $1) } }
        case .completions: return { [self] req, res in handleAsync(req, res, endpoint: pattern) { try self.completions($0, $1) } }
        case .models: return { [self] _, res in res.respond(json(modelList())) }
        case .model: return { [self] req, res in res.respond(modelResponse(req.pathParameters["id"] ?? "")) }
        case .ownedModel:
            // Hub ids contain a slash (`LiquidAI/LFM2-350M`): the SDK's models.retrieve sends it as is.
            return { [self] req, res in
                res.respond(modelResponse((req.pathParameters["owner"] ?? "") + "/" + (req.pathParameters["name"] ?? "")))
            }
        case .health: return { [self] _, res in res.respond(healthResponse()) }
        case .liveness: return { _, res in res.respond(DeferredRoutes.livenessResponse) }
        case .metrics:
            return { [self] _, res in
                let stats = engine.stats
                var body = metrics.render(stats: stats, modelID: configuration.modelID, residentBytes: ProcessInfo.residentBytes)
                if configuration.metricsCompat == .vllm { body += Array(vllmMetrics(stats).utf8) }
                res.respond(HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], body: body))
            }
        case .version: return { [self] _, res in res.respond(json(["version": .string(configuration.version)])) }
        case .tokenize: return { [self] req, res in handleAsync(req, res, endpoint: pattern) { try self.tokenize($0, $1) } }
        case .detokenize: return { [self] req, res in handleAsync(req, res, endpoint: pattern) { try self.detokenize($0, $1) } }
        case .messages:
            return { [self] req, res in handleAsync(req, res, endpoint: pattern, errorBody: route.errorBody) { try self.messages($0, $1) } }
        case .countTokens:
            return { [self] req, res in handleAsync(req, res, endpoint: pattern, errorBody: route.errorBody) { try self.countTokens($0, $1) } }
        case .responses: return { [self] req, res in handleAsync(req, res, endpoint: pattern) { try self.responses($0, $1) } }
        }
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
    /// Requests are counted by their route pattern (bounded label values) and their real
    /// outcome: the status sent, or 499 when the client left before any response.
    /// `errorBody` shapes the errors (OpenAI's unless the route's API has its own).
    func handleAsync(_ req: HTTPRequest, _ res: HTTPResponder, endpoint: String,
                     errorBody: @escaping @Sendable (OpenAIError) -> JSONValue = { $0.json },
                     _ body: @escaping @Sendable (HTTPRequest, HTTPResponder) throws -> Void) {
        res.onFinish { [metrics] outcome in metrics.request(endpoint: endpoint, status: outcome.status) }
        if let reason = health.unavailableReason {
            let e = OpenAIError.unavailable(reason)
            res.respond(json(errorBody(e), status: e.status))
            return
        }
        DispatchQueue.global(qos: .userInitiated).async {
            do {
                try body(req, res)
            } catch let e as OpenAIError {
                res.respond(self.json(errorBody(e), status: e.status))
            } catch {
                let e = OpenAIError.server("\(error)")
                res.respond(self.json(errorBody(e), status: e.status))
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

    /// A JSON response; 429 and 503 say when to retry (`Retry-After`, RFC 9110 §10.2.3),
    /// which the official SDKs honour.
    func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        var r = HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: value.serializedBytes())
        if status == 429 || status == 503 { r.headers.add(name: "Retry-After", value: "1") }
        return r
    }

    /// The error response; 429 and 503 say when to retry (`Retry-After`, RFC 9110 §10.2.3),
    /// which the official SDKs honour.
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
    /// `param` names the request field holding the prompt (`messages` or `prompt`).
    func submitError(_ e: any Error, param: String) -> OpenAIError {
        switch e as? SubmitError {
        case .queueFull?: return .rateLimited("\(e)")
        case .promptTooLong?, .emptyPrompt?: return .invalidRequest("\(e)", param: param, code: "context_length_exceeded")
        case .tooManyChoices?: return .invalidRequest("\(e)", param: "n")
        case .shuttingDown?: return .unavailable("\(e)")
        case nil: return .server("\(e)")
        }
    }
}

/// Whether the server can take requests (loading and draining answer 503).
public final class HealthState: Sendable {
    private let reason = Locked<String?>(nil)
    public init(unavailable: String? = nil) { reason.withLock { $0 = unavailable } }
    /// nil when ready.
    public var unavailableReason: String? { reason.withLock { $0 } }
    public func set(unavailable: String?) { reason.withLock { $0 = unavailable } }
}
