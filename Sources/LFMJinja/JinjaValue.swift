import OrderedJSON

/// A value inside a running Jinja template, modelled on the Python objects Jinja works with.
///
/// Templates receive data converted from ``OrderedJSON/JSONValue`` (objects keep key order),
/// and produce values of the same kinds. Dictionary keys are strings (JSON data never has
/// other keys; a template building a dict with non-string keys gets an error).
public enum JinjaValue: Sendable {
    /// Jinja's default `Undefined`: prints as `''`, is falsy, iterates as empty, and raises
    /// ``TemplateError/Kind-swift.enum/undefined`` on attribute access, calls and arithmetic.
    /// The payload is the message used when it fails (e.g. `'foo' is undefined`).
    case undefined(String)
    /// Python `None`.
    case none
    /// Python `bool`.
    case bool(Bool)
    /// Python `int` (64-bit here).
    case int(Int)
    /// Python `float`.
    case float(Double)
    /// Python `str`.
    case string(String)
    /// Python `list`.
    case list([JinjaValue])
    /// Python `tuple` (printed with parentheses; otherwise like a list).
    case tuple([JinjaValue])
    /// Python `dict` with string keys, insertion-ordered.
    case dict(OrderedMap<JinjaValue>)
    /// Interpreter objects: namespaces, macros, functions, bound methods, the loop variable.
    case object(JinjaObject)

    /// An undefined value for the variable `name`.
    static func undefinedName(_ name: String) -> JinjaValue {
        .undefined("'\(name)' is undefined")
    }
}

/// Signature of a global function injected into templates (e.g. `strftime_now`).
///
/// Receives positional and keyword arguments; throw ``TemplateError`` to fail the render.
public typealias JinjaFunction = @Sendable (_ arguments: JinjaArguments) throws(TemplateError) -> JinjaValue

/// Arguments of a call from a template: positional values and keyword values in call order.
public struct JinjaArguments: Sendable {
    /// Positional arguments.
    public var positional: [JinjaValue]
    /// Keyword arguments, in call order.
    public var keywords: [(name: String, value: JinjaValue)]

    /// Creates an argument list.
    public init(positional: [JinjaValue] = [], keywords: [(name: String, value: JinjaValue)] = []) {
        self.positional = positional
        self.keywords = keywords
    }

    /// The argument at `index` or named `name`, or nil if absent.
    public func value(_ index: Int, _ name: String) -> JinjaValue? {
        if let kw = keywords.first(where: { $0.name == name }) { return kw.value }
        guard index >= 0 && index < positional.count else { return nil }
        return positional[index]
    }
}

/// An opaque interpreter object (namespace, macro, function, method, loop state).
public struct JinjaObject: Sendable {
    indirect enum Kind: Sendable {
        /// `namespace(...)`: index into the interpreter's namespace storage.
        case namespace(Int)
        /// A macro or `caller`: index into the interpreter's macro table.
        case macro(Int, name: String)
        /// A built-in global that needs the interpreter (`namespace`, `range`, `dict`, `cycler`, …).
        case builtin(String)
        /// A host function.
        case function(String, JinjaFunction)
        /// `receiver.name`, resolved when called.
        case method(JinjaValue, String)
        /// The `loop` variable of a for loop.
        case loop(LoopState)
    }

    let kind: Kind
}

/// The state behind a `loop` variable.
struct LoopState: Sendable {
    var items: [JinjaValue]
    var index0: Int
    var depth0: Int
}

extension JinjaValue {
    /// Converts JSON data into template data (objects keep their key order; integers stay ints).
    public init(_ json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .integer(let i): self = Int(exactly: i).map { .int($0) } ?? .float(Double(i))
        case .double(let d): self = .float(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(a.map(JinjaValue.init))
        case .object(let o): self = .dict(o.mapValues(JinjaValue.init))
        }
    }

    /// Converts to JSON, as Python's `json.dumps` sees the value.
    /// - Throws: ``TemplateError`` for undefined values and interpreter objects (not serialisable).
    public func toJSON() throws(TemplateError) -> JSONValue {
        switch self {
        case .none: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .integer(Int64(i))
        case .float(let d): return .double(d)
        case .string(let s): return .string(s)
        case .list(let a), .tuple(let a):
            var out: [JSONValue] = []
            out.reserveCapacity(a.count)
            for v in a { out.append(try v.toJSON()) }
            return .array(out)
        case .dict(let d):
            var o = JSONObject(minimumCapacity: d.count)
            for (k, v) in d { o[k] = try v.toJSON() }
            return .object(o)
        case .undefined:
            throw TemplateError(.type, "Object of type Undefined is not JSON serializable")
        case .object(let obj):
            throw TemplateError(.type, "Object of type \(obj.typeName) is not JSON serializable")
        }
    }

    /// Python truthiness.
    public var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let a), .tuple(let a): return !a.isEmpty
        case .dict(let d): return !d.isEmpty
        case .object: return true
        }
    }

    /// True for `undefined`.
    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// The Python type name used in error messages (`str`, `int`, `dict`, …).
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .object(let o): return o.typeName
        }
    }

    /// Numeric view for arithmetic: bools count as ints, as in Python.
    var number: Number? {
        switch self {
        case .int(let i): return .int(i)
        case .bool(let b): return .int(b ? 1 : 0)
        case .float(let d): return .float(d)
        default: return nil
        }
    }

    /// Elements of a list or tuple.
    var sequenceElements: [JinjaValue]? {
        switch self {
        case .list(let a), .tuple(let a): return a
        default: return nil
        }
    }
}

/// A Python number used by arithmetic.
enum Number {
    case int(Int)
    case float(Double)

    var double: Double {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        }
    }
}

extension JinjaObject {
    /// The Python-ish type name (`Namespace`, `Macro`, `function`, `LoopContext`).
    var typeName: String {
        switch kind {
        case .namespace: return "Namespace"
        case .macro: return "Macro"
        case .builtin, .function: return "function"
        case .method: return "builtin_function_or_method"
        case .loop: return "LoopContext"
        }
    }
}

extension JinjaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    /// A string literal.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer literal.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// A float literal.
    public init(floatLiteral value: Double) { self = .float(value) }
    /// A boolean literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A list literal.
    public init(arrayLiteral elements: JinjaValue...) { self = .list(elements) }
    /// A dict literal (order kept).
    public init(dictionaryLiteral elements: (String, JinjaValue)...) { self = .dict(OrderedMap(elements)) }
}
