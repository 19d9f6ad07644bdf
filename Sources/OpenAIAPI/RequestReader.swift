import OrderedJSON

/// Typed access to a request body's fields. Unknown fields are ignored; a present field of
/// the wrong type or out of range is a 400 naming the field (`param`), as OpenAI does.
struct RequestReader {
    let object: JSONObject
    let prefix: String

    init(_ value: JSONValue, prefix: String = "") throws(OpenAIError) {
        guard let o = value.objectValue else {
            throw .invalidRequest(prefix.isEmpty ? "the request body must be a JSON object" : "'\(prefix)' must be an object",
                                  param: prefix.isEmpty ? nil : prefix)
        }
        object = o
        self.prefix = prefix
    }

    func name(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }

    /// The raw value, nil when absent or null.
    func value(_ key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    func string(_ key: String) throws(OpenAIError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw .invalidRequest("'\(name(key))' must be a string", param: name(key)) }
        return s
    }

    func bool(_ key: String) throws(OpenAIError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.boolValue else { throw .invalidRequest("'\(name(key))' must be a boolean", param: name(key)) }
        return b
    }

    func int(_ key: String, min lo: Int? = nil, max hi: Int? = nil) throws(OpenAIError) -> Int? {
        guard let v = value(key) else { return nil }
        guard case .integer = v, let i = v.intValue else {
            throw .invalidRequest("'\(name(key))' must be an integer", param: name(key))
        }
        if let lo, i < lo { throw .invalidRequest("'\(name(key))' must be ≥ \(lo), got \(i)", param: name(key)) }
        if let hi, i > hi { throw .invalidRequest("'\(name(key))' must be ≤ \(hi), got \(i)", param: name(key)) }
        return i
    }

    func number(_ key: String, min lo: Double? = nil, max hi: Double? = nil, openMin: Bool = false) throws(OpenAIError) -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = v.doubleValue, d.isFinite else { throw .invalidRequest("'\(name(key))' must be a number", param: name(key)) }
        if let lo, openMin ? d <= lo : d < lo {
            throw .invalidRequest("'\(name(key))' must be \(openMin ? ">" : "≥") \(lo), got \(d)", param: name(key))
        }
        if let hi, d > hi { throw .invalidRequest("'\(name(key))' must be ≤ \(hi), got \(d)", param: name(key)) }
        return d
    }

    func array(_ key: String) throws(OpenAIError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard let a = v.arrayValue else { throw .invalidRequest("'\(name(key))' must be an array", param: name(key)) }
        return a
    }

    func object(_ key: String) throws(OpenAIError) -> JSONObject? {
        guard let v = value(key) else { return nil }
        guard let o = v.objectValue else { throw .invalidRequest("'\(name(key))' must be an object", param: name(key)) }
        return o
    }
}
