/// Formatting of `Double`s exactly as Python's `repr(float)` / `str(float)` does.
///
/// Python prints the shortest digit string that round-trips (as Swift's `description` does),
/// but chooses between positional and scientific notation by its own rule: scientific when the
/// decimal exponent is < -4 or ≥ 16, with at least two exponent digits (`1e-05`, `1e+16`),
/// and positional numbers always carry a fraction (`1.0`).
package enum PythonFloat {
    /// `repr(x)` for a Python float: `1.0`, `0.1`, `1e-05`, `1e+16`, `inf`, `nan`.
    package static func repr(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        if x == 0 { return x.sign == .minus ? "-0.0" : "0.0" }
        let (digits, decpt) = shortestDigits(abs(x))
        var out = x < 0 ? "-" : ""
        let n = digits.count
        if decpt <= -4 || decpt > 16 {
            out.append(digits[digits.startIndex])
            if n > 1 {
                out.append(".")
                out.append(contentsOf: digits.dropFirst())
            }
            let exp = decpt - 1
            out.append(exp < 0 ? "e-" : "e+")
            let e = abs(exp)
            if e < 10 { out.append("0") }
            out.append(String(e))
        } else if decpt <= 0 {
            out.append("0.")
            out.append(String(repeating: "0", count: -decpt))
            out.append(contentsOf: digits)
        } else if decpt >= n {
            out.append(contentsOf: digits)
            out.append(String(repeating: "0", count: decpt - n))
            out.append(".0")
        } else {
            out.append(contentsOf: digits.prefix(decpt))
            out.append(".")
            out.append(contentsOf: digits.dropFirst(decpt))
        }
        return out
    }

    /// The shortest round-trip decimal digits of a positive finite `x` and the position of the
    /// decimal point (value = 0.d1d2… × 10^decpt), taken from Swift's shortest-digit printer.
    static func shortestDigits(_ x: Double) -> (digits: String, decpt: Int) {
        let text = x.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        var digits = ""
        var pointPosition: Int?
        for ch in mantissa {
            if ch == "." { pointPosition = digits.count } else { digits.append(ch) }
        }
        var decpt = (pointPosition ?? digits.count) + exponent
        // Strip leading zeros (each shifts the point) and trailing zeros.
        while digits.first == "0" {
            digits.removeFirst()
            decpt -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        if digits.isEmpty { return ("0", 1) }
        return (digits, decpt)
    }
}
