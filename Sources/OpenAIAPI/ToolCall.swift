import OrderedJSON

/// One function call extracted from model output, in OpenAI's `tool_calls` shape.
public struct ToolCall: Sendable, Hashable {
    /// Position of the call within the whole response (0-based, counts across tool-call blocks).
    public var index: Int
    /// The call id (`call_…`), from the parser's ``ToolCallIDGenerator``.
    public var id: String
    /// The function name exactly as the model wrote it.
    public var name: String
    /// The arguments as compact JSON object text, keys in the order the model wrote them.
    public var arguments: String

    /// Creates a tool call.
    public init(index: Int, id: String, name: String, arguments: String) {
        self.index = index
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    /// Always `"function"`.
    public var type: String { "function" }

    /// The non-streamed message form:
    /// `{"id":…,"type":"function","function":{"name":…,"arguments":…}}`.
    public func jsonValue() -> JSONValue {
        .object(JSONObject([
            ("id", .string(id)),
            ("type", .string(type)),
            ("function", .object(JSONObject([("name", .string(name)), ("arguments", .string(arguments))]))),
        ]))
    }

    /// The streamed delta form, carrying the whole arguments string in one delta:
    /// `{"index":…,"id":…,"type":"function","function":{"name":…,"arguments":…}}`.
    public func streamDeltaJSONValue() -> JSONValue {
        .object(JSONObject([
            ("index", .integer(Int64(index))),
            ("id", .string(id)),
            ("type", .string(type)),
            ("function", .object(JSONObject([("name", .string(name)), ("arguments", .string(arguments))]))),
        ]))
    }
}
