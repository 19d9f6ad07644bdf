/// Names of the built-in filters and tests, checked when a template is compiled so that an
/// unknown filter or test is a compile-time error (as in Jinja), never a wrong render.
enum JinjaBuiltins {
    static let filters: Set<String> = ["tojson", "string", "safe", "escape", "e", "forceescape", "trim", "length", "count", "lower", "upper", "capitalize", "title", "replace", "default", "d", "items", "list", "first", "last", "reverse", "join", "sort", "unique", "min", "max", "sum", "map", "select", "reject", "selectattr", "rejectattr", "attr", "int", "float", "abs", "round", "indent", "wordcount", "dictsort"]
    static let tests: Set<String> = ["defined", "undefined", "none", "boolean", "true", "false", "string", "mapping", "number", "integer", "float", "iterable", "sequence", "callable", "escaped", "lower", "upper", "even", "odd", "divisibleby", "eq", "equalto", "ne", "lt", "lessthan", "gt", "greaterthan", "le", "ge", "in", "sameas", "filter", "test", "==", "!=", "<", "<=", ">", ">="]
}
