import Foundation
import XCTest
@testable import Atomistic

/// The fast number conversions must agree exactly with the C library and
/// with Swift's own parsers; these tests compare them on many random and
/// adversarial inputs.
final class NumberFormattingTests: XCTestCase {
    /// The (width, decimals) pairs `CFGFormat` writes in `.mlip` style.
    private static let writerFields: [(width: Int, decimals: Int)] = [
        (17, 6), (14, 6), (15, 6), (13, 6), (12, 6),  // cell, positions, forces
        (17, 5), (16, 5), (12, 5),                    // extra atom columns, PlusStress
        (24, 12),                                     // energy and weights
    ]

    /// Values that stress the fixed-point fast path: decimal near-ties,
    /// exact binary ties, rounding up to the next power of ten, signed
    /// zeros, tiny and huge magnitudes, and their neighbouring doubles.
    private static func adversarialValues() -> [Double] {
        var values: [Double] = [
            0, -0.0, 0.0000005, -0.0000005, 0.0000015, 0.0000025, 0.00000049999999999999, 1.2345675, -1.2345675,
            1.23456785, 2.5, 0.5, 1.5, -0.5, 0.125, 0.000005, 0.000015, 0.00000500000001, 9.9999995, -9.9999995,
            99.9999996, 0.9999999, 0.99999995, 999999.9999995, 9.999995, 99999.999995, 0.9999995, -0.99999951,
            9.9999999999995, 999.9999999999995, 0.0000000000005, -0.0000000000005, 1e-300, -1e-300, Double.leastNonzeroMagnitude,
            -Double.leastNonzeroMagnitude, 1e15, 9e15, 9.007199254740992e15, 9.007199254740993e15, 1e16, 1e17, 1e22, 1e23,
            -123456789.5, 1.7976931348623157e308, -1.7976931348623157e308, 2.2250738585072014e-308,
            7.361913230306, 80.64915, -0.37300, 5.415, 1.805, 7.22, 3.61, 0.1, 0.2, 0.3, 1.0 / 3.0,
        ]
        // Exact binary ties at d decimals: 5^d (2j+1) / 2^(d+1).
        for d in [5, 6, 12] {
            let five = pow(5.0, Double(d)), two = pow(2.0, Double(d + 1))
            for j in 0..<20 { values.append(five * Double(2 * j + 1) / two) }
        }
        // Decimal near-ties k.dddddd5 at 5, 6 and 12 decimals.
        for k in 0..<200 {
            for d in [5, 6, 12] {
                values.append((Double(k) * 1.37 + 0.5) / pow(10, Double(d)))
                values.append(Double(k) + 0.5 / pow(10, Double(d)))
                values.append(Double(k) * 0.001 + 0.5 / pow(10, Double(d)))
            }
        }
        // Neighbours and negatives of all of the above.
        var all: [Double] = []
        for v in values where v.isFinite {
            all += [v, -v, v.nextUp, v.nextDown, -v.nextUp, -v.nextDown]
        }
        return all.filter { $0.isFinite }
    }

    private static func randomValues(count: Int) -> [Double] {
        var rng = TestRandom(seed: 2024)
        var values: [Double] = []
        values.reserveCapacity(count)
        while values.count < count {
            let v: Double
            switch rng.next() % 8 {
            case 0: v = Double(bitPattern: rng.next())  // any finite double
            case 1: v = rng.uniform(-1, 1) * pow(10, Double(Int(rng.next() % 40) - 20))
            case 2: v = Double(Int(rng.next() % 20_000_001) - 10_000_000) / 1e6 + 5e-7  // near ties, 6 decimals
            case 3: v = Double(Int(rng.next() % 20_000_001) - 10_000_000) / 1e5 - 5e-6  // near ties, 5 decimals
            case 4: v = rng.uniform(-1000, 1000) + 5e-13  // near ties, 12 decimals
            case 5: v = rng.uniform(-1e16, 1e16)
            default: v = rng.uniform(-100, 100)
            }
            if v.isFinite { values.append(v) }
        }
        return values
    }

    /// `appendFixed` equals `String(format: "%*.*f")` for every field the
    /// writer uses, on ~1e5 random and adversarial values. Each value is
    /// checked at all three precisions, the width rotating over the
    /// writer's widths for that precision (so every pair sees ~25k values).
    func testFixedMatchesPrintf() {
        let values = Self.adversarialValues() + Self.randomValues(count: 100_000)
        var mismatches = 0
        for (k, x) in values.enumerated() {
            for decimals in [5, 6, 12] {
                let widths = Self.writerFields.filter { $0.decimals == decimals }.map(\.width)
                let width = widths[k % widths.count]
                let expected = String(format: "%*.*f", Int32(width), Int32(decimals), x)
                let got = NumberFormatting.fixed(x, width: width, decimals: decimals)
                let separated = NumberFormatting.fixed(x, width: width, decimals: decimals, separated: true)
                let expectedSeparated = expected.first == " " ? expected : " " + expected
                if got != expected || separated != expectedSeparated {
                    mismatches += 1
                    if mismatches <= 10 {
                        XCTFail("\(x.debugDescription) %\(width).\(decimals)f: got '\(got)' / '\(separated)', printf '\(expected)'")
                    }
                }
            }
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssertGreaterThan(values.count, 100_000)
    }

    /// The adversarial values at every (width, decimals) pair the writer uses,
    /// and some other precisions (0 decimals has no point).
    func testFixedMatchesPrintfOnAdversarialValuesForAllFields() {
        let fields = Self.writerFields + [(0, 0), (5, 0), (1, 1), (10, 3), (30, 18), (40, 20)]
        for x in Self.adversarialValues() {
            for f in fields {
                let expected = String(format: "%*.*f", Int32(f.width), Int32(f.decimals), x)
                XCTAssertEqual(NumberFormatting.fixed(x, width: f.width, decimals: f.decimals), expected,
                               "\(x.debugDescription) %\(f.width).\(f.decimals)f")
            }
        }
        XCTAssertEqual(NumberFormatting.fixed(-0.0, width: 14, decimals: 6), "     -0.000000")
        XCTAssertEqual(NumberFormatting.fixed(-1e-9, width: 12, decimals: 6), "   -0.000000")
        XCTAssertEqual(NumberFormatting.fixed(9.9999999, width: 12, decimals: 6), "   10.000000")
        XCTAssertEqual(NumberFormatting.fixed(-123456789.5, width: 12, decimals: 6, separated: true), " -123456789.500000")
    }

    func testIntegersAndPadding() {
        var out: [UInt8] = []
        for (v, w) in [(0, 4), (7, 14), (-12, 5), (123456, 3), (Int.min, 5), (Int.max, 30)] {
            out.removeAll()
            NumberFormatting.appendInteger(v, width: w, to: &out)
            let s = String(v)
            XCTAssertEqual(String(decoding: out, as: UTF8.self),
                           s.count >= w ? " " + s : String(repeating: " ", count: w - s.count) + s)
        }
        for x in [0.1, -0.0, 1e-300, 1.0 / 3.0, 123456789012345678.0, -2.5] {
            out.removeAll()
            NumberFormatting.appendShortest(x, width: 16, to: &out)
            let s = "\(x)"
            XCTAssertEqual(String(decoding: out, as: UTF8.self),
                           s.count >= 16 ? " " + s : String(repeating: " ", count: 16 - s.count) + s)
        }
    }

    // MARK: Parsing

    private func simpleDouble(_ s: String) -> Double? {
        var s = s
        return s.withUTF8 { NumberFormatting.parseSimpleDouble($0) }
    }

    private func simpleInt(_ s: String) -> Int? {
        var s = s
        return s.withUTF8 { NumberFormatting.parseSimpleInt($0) }
    }

    /// Whatever the fast path accepts, it parses bit for bit as `Double(_:)`.
    func testSimpleDoubleMatchesSwift() {
        var texts = [
            "0", "-0", "+0", "0.", ".5", "+.5", "-.5", "5.", "-0.000000", "0.000000", "1e5", "1E5", "1e+5", "1e-5",
            "1.5e-5", "7.361913230306", "-1.215224", "80.64915", "9007199254740992", "9007199254740993",
            "9007199254740993e-3", "12345678901234567e-5", "1234567890123456789", "12345678901234567890",
            "0.1e-22", "1e22", "1e23", "1e-22", "1e-23", "4.9e-324", "1e-400", "1e999", "1e0005", "00000000000000000000001.5",
            "1.00000000000000000000000000001", "0.000000000000000000000000000000", "2.2250738585072014e-308",
            "", ".", "-", "+", "e5", "1e", "1e+", "1.0d0", "--1", "+-1", "1..0", "1.0.0", "0x1p3", "nan", "inf", "1_000",
            " 1", "1 ", "١", "１",
        ]
        var rng = TestRandom(seed: 11)
        for _ in 0..<50_000 {
            let mantissa = String(rng.next() % 10_000_000_000_000_000)
            let digits = Array(mantissa)
            let point = Int(rng.next() % UInt64(digits.count + 1))
            var s = (rng.next() % 2 == 0 ? "-" : "") + String(digits[..<point]) + "." + String(digits[point...])
            if rng.next() % 3 == 0 { s += "e" + String(Int(rng.next() % 60) - 30) }
            texts.append(s)
            texts.append(String(format: "%.6f", rng.uniform(-50, 50)))
        }
        var accepted = 0
        for t in texts {
            guard let fast = simpleDouble(t) else { continue }
            accepted += 1
            guard let slow = Double(t) else { XCTFail("fast path accepted '\(t)', Double(_:) does not"); continue }
            XCTAssertEqual(fast.bitPattern, slow.bitPattern, "'\(t)': fast \(fast), Double(_:) \(slow)")
        }
        XCTAssertGreaterThan(accepted, texts.count / 2)
        // The common forms take the fast path.
        XCTAssertEqual(simpleDouble("-0.000000")?.sign, .minus)
        XCTAssertEqual(simpleDouble("5.415000"), 5.415)
        XCTAssertNil(simpleDouble("1e"))
        XCTAssertNil(simpleDouble("nan"))
    }

    func testSimpleIntMatchesSwift() {
        for t in ["0", "-0", "+0", "7", "-12", "+12", "123456789012345678", "1234567890123456789",
                  "9223372036854775807", "9223372036854775808", "-9223372036854775808", "", "-", "+", "1.0", "1e3",
                  " 1", "1 ", "--1", "١"] {
            if let fast = simpleInt(t) { XCTAssertEqual(fast, Int(t), "'\(t)'") }
        }
        XCTAssertEqual(simpleInt("32"), 32)
        XCTAssertNil(simpleInt("2.5"))
    }
}
