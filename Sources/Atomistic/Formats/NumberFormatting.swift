#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Fast, exact number <-> text conversion for the text formats.
///
/// The writers append ASCII bytes to a `[UInt8]` buffer instead of
/// concatenating `String`s, and the readers parse numbers straight from
/// the UTF-8 bytes of the file. Every fast path here is exact: where exactness
/// cannot be proved cheaply (a value close to a rounding tie, a mantissa with
/// too many digits, ...) the code falls back to the C library or to Swift's
/// own parser, so the results are always those of `printf` / `Double(_:)`.
enum NumberFormatting {
    // MARK: - Fixed point (printf "%W.Df")

    /// Powers of ten that are exact both as `Double` (up to 1e22) and as
    /// `UInt64` (up to 1e19); index = exponent.
    private static let powersOfTen: [UInt64] = (0...18).map { k in (0..<k).reduce(UInt64(1)) { r, _ in r * 10 } }

    /// Largest scaled magnitude handled by the integer fast path: below
    /// 2^53 every double is an integer or has an exactly representable
    /// fractional part, and the rounded integer fits in `UInt64`.
    private static let fastLimit = 9.0e15

    /// Appends C's `printf("%*.*f", width, decimals, x)` for finite `x`,
    /// byte for byte, including the rounding of ties and the sign of
    /// negative values that round to zero (`-0.000000`).
    ///
    /// Fast path: `s = |x| * 10^decimals` is computed in double precision.
    /// 10^decimals is exact, so `s` differs from the exact product by at
    /// most half an ulp, i.e. at most `s * 2^-53`. Rounding the exact
    /// product to the nearest integer (what printf does, exactly) gives the
    /// same integer as rounding `s` unless `s` lies within that error of a
    /// midpoint `k + 0.5`; we require twice the margin and otherwise, or when
    /// `s` is too large for the integer arithmetic, call `snprintf` itself.
    ///
    /// With `separated`, a number that fills its field (or overflows it),
    /// and so would have no leading space, gets one, so that it stays a
    /// separate token in a whitespace-separated file.
    static func appendFixed(_ x: Double, width: Int, decimals: Int, separated: Bool = false, to out: inout [UInt8]) {
        let negative = x.sign == .minus
        let magnitude = abs(x)
        if decimals <= 18 && magnitude.isFinite {
            let s = magnitude * Double(powersOfTen[decimals])
            if s < fastLimit {
                let whole = s.rounded(.down)
                let fraction = s - whole  // exact for s < 2^53
                if abs(fraction - 0.5) > s * 0x1p-52 {
                    let q = UInt64(whole) + (fraction > 0.5 ? 1 : 0)
                    appendScaled(q, negative: negative, width: width, decimals: decimals, separated: separated, to: &out)
                    return
                }
            }
        }
        appendPrintf(x, width: width, decimals: decimals, separated: separated, to: &out)
    }

    /// `appendFixed` as a `String` (for tests and one-off uses).
    static func fixed(_ x: Double, width: Int, decimals: Int, separated: Bool = false) -> String {
        var out: [UInt8] = []
        appendFixed(x, width: width, decimals: decimals, separated: separated, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the decimal `q / 10^decimals` with exactly `decimals`
    /// fractional digits, an optional minus sign, right-aligned in `width`.
    private static func appendScaled(_ q: UInt64, negative: Bool, width: Int, decimals: Int, separated: Bool,
                                     to out: inout [UInt8]) {
        // Digits in reverse order into a small stack buffer: at most 20
        // digits, a point and a leading zero.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            var n = 0
            var q = q
            for _ in 0..<decimals {
                buffer[n] = UInt8(truncatingIfNeeded: q % 10) &+ 48
                q /= 10
                n += 1
            }
            if decimals > 0 {
                buffer[n] = UInt8(ascii: ".")
                n += 1
            }
            repeat {
                buffer[n] = UInt8(truncatingIfNeeded: q % 10) &+ 48
                q /= 10
                n += 1
            } while q > 0
            let length = n + (negative ? 1 : 0)
            appendSpaces(max(width - length, separated ? 1 : 0), to: &out)
            if negative { out.append(UInt8(ascii: "-")) }
            while n > 0 {
                n -= 1
                out.append(buffer[n])
            }
        }
    }

    /// The slow path: C's own `snprintf`, so ties and huge values are
    /// formatted exactly as MLIP (which uses printf) formats them.
    static func appendPrintf(_ x: Double, width: Int, decimals: Int, separated: Bool = false, to out: inout [UInt8]) {
        var capacity = 64
        while true {
            let done = withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer -> Bool in
                let n = withVaList([Int32(width), Int32(decimals), x]) {
                    vsnprintf(buffer.baseAddress!, capacity, "%*.*f", $0)
                }
                precondition(n >= 0, "vsnprintf failed")
                if Int(n) >= capacity {
                    capacity = Int(n) + 1
                    return false
                }
                if separated && (n == 0 || buffer[0] != CChar(UInt8(ascii: " "))) { out.append(UInt8(ascii: " ")) }
                for k in 0..<Int(n) { out.append(UInt8(bitPattern: buffer[k])) }
                return true
            }
            if done { return }
        }
    }

    // MARK: - Other numbers

    /// Appends `count` spaces.
    @inline(__always)
    static func appendSpaces(_ count: Int, to out: inout [UInt8]) {
        for _ in 0..<count { out.append(UInt8(ascii: " ")) }
    }

    /// Appends the decimal text of `value` right-aligned in `width`, with
    /// at least one leading space (so it stays a separate token).
    static func appendInteger(_ value: Int, width: Int, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            var n = 0
            var q = value.magnitude
            repeat {
                buffer[n] = UInt8(truncatingIfNeeded: q % 10) &+ 48
                q /= 10
                n += 1
            } while q > 0
            let length = n + (value < 0 ? 1 : 0)
            appendSpaces(max(width - length, 1), to: &out)
            if value < 0 { out.append(UInt8(ascii: "-")) }
            while n > 0 {
                n -= 1
                out.append(buffer[n])
            }
        }
    }

    /// Appends Swift's shortest round-trip text of `x` (`x.description`),
    /// right-aligned in `width`, with at least one leading space.
    static func appendShortest(_ x: Double, width: Int, to out: inout [UInt8]) {
        var text = x.description
        text.withUTF8 { bytes in
            appendSpaces(max(width - bytes.count, 1), to: &out)
            out.append(contentsOf: bytes)
        }
    }

    /// Appends `text` right-aligned in `width` (counted in Characters, as
    /// the writers always did), with at least one leading space.
    static func appendPadded(_ text: String, width: Int, to out: inout [UInt8]) {
        appendSpaces(max(width - text.count, 1), to: &out)
        out.append(contentsOf: text.utf8)
    }

    // MARK: - Parsing

    /// Exact powers of ten as doubles, 10^0 ... 10^22.
    private static let doublePowersOfTen: [Double] = (0...22).map { k in Double(powersOfTen[min(k, 18)]) * pow(10, Double(max(k - 18, 0))) }

    /// The double of the decimal literal in `bytes`, via Clinger's exact
    /// fast path, or nil if the text is not of the simple form
    /// `[+-]digits[.digits][(e|E)[+-]digits]` with at most 19 significant
    /// digits whose value the fast path can represent exactly. Callers
    /// then fall back to `Double(_:)`, which decides everything else.
    ///
    /// Why exact: with a mantissa m < 2^53 and |exponent| <= 22, both `m`
    /// and 10^|exponent| are exact doubles, so one IEEE multiplication or
    /// division yields the correctly rounded value, just as `Double(_:)`.
    /// Every text accepted here is also accepted by `Double(_:)`.
    static func parseSimpleDouble(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        let n = bytes.count
        var negative = false
        if i < n && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        var significant = 0     // significant digits accumulated in `mantissa`
        var digits = 0          // all mantissa digits seen
        var exponent = 0        // decimal exponent of the last mantissa digit
        while i < n, bytes[i] &- 48 < 10 {
            let d = bytes[i] &- 48
            if significant > 0 || d != 0 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                significant += 1
            }
            digits += 1
            i += 1
        }
        if i < n && bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < n, bytes[i] &- 48 < 10 {
                let d = bytes[i] &- 48
                if significant > 0 || d != 0 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    significant += 1
                }
                exponent -= 1
                digits += 1
                i += 1
            }
        }
        guard digits > 0, significant <= 19 else { return nil }
        if i < n && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            var negativeExponent = false
            if i < n && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
                negativeExponent = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var e = 0
            var exponentDigits = 0
            while i < n, bytes[i] &- 48 < 10 {
                e = e * 10 + Int(bytes[i] &- 48)
                exponentDigits += 1
                guard exponentDigits <= 6 else { return nil }
                i += 1
            }
            guard exponentDigits > 0 else { return nil }
            exponent += negativeExponent ? -e : e
        }
        guard i == n else { return nil }
        let value: Double
        if mantissa == 0 {
            value = 0
        } else {
            guard mantissa <= 1 << 53, exponent >= -22, exponent <= 22 else { return nil }
            value = exponent < 0 ? Double(mantissa) / doublePowersOfTen[-exponent]
                                 : Double(mantissa) * doublePowersOfTen[exponent]
        }
        return negative ? -value : value
    }

    /// The integer in `bytes` if it is `[+-]digits` with at most 18 digits
    /// (so it cannot overflow), else nil; callers fall back to `Int(_:)`.
    static func parseSimpleInt(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = bytes.count
        var negative = false
        if i < n && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        guard n - i > 0, n - i <= 18 else { return nil }
        var value = 0
        while i < n {
            let d = bytes[i] &- 48
            guard d < 10 else { return nil }
            value = value * 10 + Int(d)
            i += 1
        }
        return negative ? -value : value
    }
}
