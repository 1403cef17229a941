/// Decimal text without an exponent: the digits of a number in scientific
/// notation moved to their place (`8e-06` -> `0.000008`, `1.5e+17` ->
/// `150000000000000000.0`).
///
/// MLIP's `.cfg` layout is fixed-point, and readers that follow it (motep's,
/// for one) reject exponent forms. The value is unchanged: the positional
/// text denotes the same decimal number, so it reads back to the same
/// double; with the shortest round-trip digits it round-trips exactly.
public enum PositionalDecimal {
    /// The shortest round-trip digits of finite `x` (Swift's `description`)
    /// in positional notation. Non-finite values keep their usual text.
    public static func text(_ x: Double) -> String {
        let d = x.description
        return d.utf8.contains(UInt8(ascii: "e")) ? positional(d) : d
    }

    /// `text` in positional notation if it is a number in scientific form
    /// (`[-]d[.ddd](e|E)[+-]dd`); any other text is returned unchanged.
    public static func positional(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard let e = bytes.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }),
              let exponent = Int(String(decoding: bytes[(e + 1)...], as: UTF8.self)) else { return text }
        var mantissa = bytes[..<e]
        let negative = mantissa.first == UInt8(ascii: "-")
        if negative || mantissa.first == UInt8(ascii: "+") { mantissa = mantissa.dropFirst() }
        var digits: [UInt8] = []
        var integerDigits = 0
        var seenPoint = false
        for c in mantissa {
            if c == UInt8(ascii: ".") {
                guard !seenPoint else { return text }
                seenPoint = true
            } else if c &- 48 < 10 {
                digits.append(c)
                if !seenPoint { integerDigits += 1 }
            } else {
                return text
            }
        }
        guard !digits.isEmpty, abs(exponent) < 10_000 else { return text }
        // Leading zeros of the mantissa would only shift the point.
        while digits.count > 1, digits.first == UInt8(ascii: "0") { digits.removeFirst(); integerDigits -= 1 }
        while digits.count > 1, digits.last == UInt8(ascii: "0"), digits.count > integerDigits + exponent {
            digits.removeLast()
        }
        let point = integerDigits + exponent  // digits before the decimal point
        var out: [UInt8] = negative ? [UInt8(ascii: "-")] : []
        let zero = UInt8(ascii: "0")
        if point <= 0 {
            out += [zero, UInt8(ascii: ".")] + [UInt8](repeating: zero, count: -point) + digits
        } else if point >= digits.count {
            out += digits + [UInt8](repeating: zero, count: point - digits.count) + [UInt8(ascii: "."), zero]
        } else {
            out += digits[..<point] + [UInt8(ascii: ".")] + digits[point...]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
