import LFMGrammar
import OrderedJSON

/// The structured-output fields of a request, in every dialect users send them (docs/api.md,
/// "Structured outputs"): OpenAI `response_format` (`json_object`, `json_schema`), llama-server's
/// top-level `json_schema` / `grammar` (and a `schema` inside `response_format`), and vLLM's
/// `structured_outputs` / `guided_json|regex|choice|grammar`. At most one may be given.
struct StructuredOutputRequest: Sendable, Equatable {
    /// What to constrain the output to.
    var spec: GrammarSpec
    /// The request field it came from (named in errors).
    var param: String

    /// Reads the fields; nil when the request does not constrain its output.
    static func read(_ r: RequestReader) throws(OpenAIError) -> StructuredOutputRequest? {
        var found: [StructuredOutputRequest] = []
        if let rf = r.value("response_format"), let s = try responseFormat(rf) { found.append(s) }
        if let js = r.value("json_schema"), !js.isNull { found.append(.init(spec: try schema(js, param: "json_schema"), param: "json_schema")) }
        if let g = r.value("grammar"), !g.isNull {
            guard let text = g.stringValue else { throw .invalidRequest("'grammar' must be a string (GBNF)", param: "grammar") }
            found.append(.init(spec: .gbnf(text), param: "grammar"))
        }
        if let so = r.value("structured_outputs"), !so.isNull {
            let o = try RequestReader(so, prefix: "structured_outputs")
            found += try vllm(o, prefix: "structured_outputs.", keys: ["json": "json", "regex": "regex", "choice": "choice",
                                                                         "grammar": "grammar", "json_object": "json_object"])
        }
        found += try vllm(r, prefix: "", keys: ["guided_json": "json", "guided_regex": "regex", "guided_choice": "choice",
                                               "guided_grammar": "grammar"])
        guard found.count <= 1 else {
            throw .invalidRequest("only one structured-output field may be given; got \(found.map { "'\($0.param)'" }.joined(separator: " and "))",
                                  param: found[1].param)
        }
        return found.first
    }

    /// OpenAI `response_format` (and llama-server's `schema` inside it).
    static func responseFormat(_ rf: JSONValue) throws(OpenAIError) -> StructuredOutputRequest? {
        let o = try RequestReader(rf, prefix: "response_format")
        let type = try o.string("type") ?? "text"
        switch type {
        case "text": return nil
        case "json_object":
            if let s = o.value("schema"), !s.isNull {
                return .init(spec: try schema(s, param: "response_format.schema"), param: "response_format.schema")
            }
            return .init(spec: .jsonObject, param: "response_format")
        case "json_schema":
            if let js = o.value("json_schema") {
                let j = try RequestReader(js, prefix: "response_format.json_schema")
                let strict = try j.bool("strict") ?? false
                _ = try j.string("name")
                guard let s = j.value("schema") else {
                    throw .invalidRequest("'response_format.json_schema.schema' is required", param: "response_format.json_schema.schema")
                }
                return .init(spec: try schema(s, param: "response_format.json_schema.schema", strict: strict),
                             param: "response_format.json_schema.schema")
            }
            if let s = o.value("schema") {   // llama-server's short form
                return .init(spec: try schema(s, param: "response_format.schema"), param: "response_format.schema")
            }
            throw .invalidRequest("'response_format.json_schema' is required when type is \"json_schema\"", param: "response_format.json_schema")
        default:
            throw .invalidRequest("'response_format.type' must be \"text\", \"json_object\" or \"json_schema\"; got '\(type)'",
                                  param: "response_format.type")
        }
    }

    /// vLLM's fields (`structured_outputs.*` or the older `guided_*`), mapped by `keys` to kinds.
    static func vllm(_ r: RequestReader, prefix: String, keys: KeyValuePairs<String, String>) throws(OpenAIError) -> [StructuredOutputRequest] {
        var out: [StructuredOutputRequest] = []
        for (key, kind) in keys {
            guard let v = r.value(key), !v.isNull else { continue }
            let param = prefix + key
            switch kind {
            case "json": out.append(.init(spec: try schema(v, param: param), param: param))
            case "regex", "grammar":
                guard let text = v.stringValue else { throw .invalidRequest("'\(param)' must be a string", param: param) }
                out.append(.init(spec: kind == "regex" ? .regex(text) : .gbnf(text), param: param))
            case "choice":
                guard let list = v.arrayValue, !list.isEmpty, list.allSatisfy({ $0.stringValue != nil }) else {
                    throw .invalidRequest("'\(param)' must be a non-empty array of strings", param: param)
                }
                out.append(.init(spec: .choice(list.compactMap(\.stringValue)), param: param))
            default:   // json_object
                guard let b = v.boolValue else { throw .invalidRequest("'\(param)' must be a boolean", param: param) }
                if b { out.append(.init(spec: .jsonObject, param: param)) }
            }
        }
        return out
    }

    /// A JSON Schema given as an object, a boolean, or a string holding JSON (vLLM accepts all three).
    static func schema(_ v: JSONValue, param: String, strict: Bool = false) throws(OpenAIError) -> GrammarSpec {
        switch v {
        case .object, .bool: return .jsonSchema(v, strict: strict)
        case .string(let text):
            guard let parsed = try? JSONValue.parse(text), parsed.objectValue != nil || parsed.boolValue != nil else {
                throw .invalidRequest("'\(param)' must be a JSON Schema (an object, or a string holding one)", param: param)
            }
            return .jsonSchema(parsed, strict: strict)
        default:
            throw .invalidRequest("'\(param)' must be a JSON Schema object", param: param)
        }
    }
}
