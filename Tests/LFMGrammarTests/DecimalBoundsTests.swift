import LFMGrammar
import Testing

/// Non-integral `minimum` / `maximum` / exclusive bounds on numbers, checked against the
/// value of every number written from a set of integer parts and fractions.
@Suite struct DecimalBoundsTests {
    static let numbers: [String] = {
        let ints = ["0", "1", "2", "12", "-0", "-1", "-2"]
        let fracs = ["", ".0", ".00", ".05", ".1", ".10", ".15", ".2", ".25", ".5", ".9", ".999", ".0001", ".4999"]
        return ints.flatMap { i in fracs.map { i + $0 } }
    }()

    @Test(arguments: [
        #"{"minimum":0.1}"#, #"{"maximum":1.5}"#, #"{"exclusiveMinimum":-0.25}"#, #"{"exclusiveMaximum":2.05}"#,
        #"{"minimum":-1.5,"maximum":0.25}"#, #"{"exclusiveMinimum":0.1,"exclusiveMaximum":1.25}"#,
        #"{"minimum":0.05,"maximum":0.05}"#, #"{"exclusiveMinimum":-2.5,"maximum":-0.1}"#,
        #"{"minimum":-0.5,"exclusiveMaximum":0}"#, #"{"exclusiveMinimum":0,"maximum":0.5}"#,
        #"{"minimum":0.0001}"#, #"{"maximum":12.4999}"#, #"{"minimum":1e-05}"#, #"{"maximum":-1e-05}"#,
        #"{"minimum":1.5,"exclusiveMinimum":true}"#,
    ])
    func boundsAgreeWithValues(bounds: String) throws {
        let json = "{\"type\":\"number\"," + bounds.dropFirst()
        let g = try ToyVocab.compiler.compile(schema(json))
        let o = try #require(try? JSONSchemaTestBounds(bounds))
        for text in Self.numbers {
            let v = try #require(Double(text))
            #expect(matches(g, tokens: ToyVocab.tokenize(text)) == o.holds(v), "\(json): \(text)")
        }
    }

    /// A far bound (DBL_MAX as "no limit") admits every number below 1e17 in magnitude.
    @Test func farBoundsAdmitNumbersBelow1e17() throws {
        let s = schema(#"{"type":"number","minimum":0,"maximum":1.79769e+308}"#)
        for ok in ["0", "0.0005", "1568714585", "99999999999999999.5"] { #expect(try accepts(s, ok), "\(ok)") }
        for bad in ["-1", "100000000000000000"] { #expect(try !accepts(s, bad), "\(bad)") }
        let i = schema(#"{"type":"integer","minimum":-1.7e308,"maximum":5}"#)
        for ok in ["-99999999999999999", "5", "-3"] { #expect(try accepts(i, ok), "\(ok)") }
        for bad in ["6", "-100000000000000000"] { #expect(try !accepts(i, bad), "\(bad)") }
        #expect((try? ToyVocab.compiler.compile(schema(#"{"type":"number","minimum":1e300}"#))) == nil)
    }

    @Test func emptyRangeMatchesNothing() {
        #expect((try? ToyVocab.compiler.compile(schema(#"{"type":"number","minimum":0.5,"maximum":0.25}"#))) == nil)
        #expect((try? ToyVocab.compiler.compile(schema(#"{"type":"number","exclusiveMinimum":0.5,"exclusiveMaximum":0.5}"#))) == nil)
    }
}

/// The bounds of a test case, read back as doubles (draft 4's boolean exclusives included).
private struct JSONSchemaTestBounds {
    var min: Double?, max: Double?, exMin: Double?, exMax: Double?

    init(_ json: String) throws {
        func number(_ key: String) -> Double? {
            guard let r = json.range(of: "\"\(key)\":") else { return nil }
            let rest = json[r.upperBound...].prefix { $0 != "," && $0 != "}" }
            return Double(rest)
        }
        min = number("minimum"); max = number("maximum")
        exMin = number("exclusiveMinimum"); exMax = number("exclusiveMaximum")
        if json.contains("\"exclusiveMinimum\":true") { exMin = min; min = nil }
    }

    func holds(_ v: Double) -> Bool {
        if let min, !(v >= min) { return false }
        if let max, !(v <= max) { return false }
        if let exMin, !(v > exMin) { return false }
        if let exMax, !(v < exMax) { return false }
        return true
    }
}
