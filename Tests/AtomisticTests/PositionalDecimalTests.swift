import Foundation
import XCTest
@testable import Atomistic

/// The full-precision `.cfg` writer: shortest round-trip digits, never an
/// exponent (MLIP's fixed layout; motep's reader rejects `8e-06`).
final class PositionalDecimalTests: XCTestCase {
    func testPositionalText() {
        XCTAssertEqual(PositionalDecimal.text(8e-06), "0.000008")
        XCTAssertEqual(PositionalDecimal.text(-1.25e-7), "-0.000000125")
        XCTAssertEqual(PositionalDecimal.text(1.5e17), "150000000000000000.0")
        XCTAssertEqual(PositionalDecimal.text(2.5), "2.5")
        XCTAssertEqual(PositionalDecimal.text(-0.0), "-0.0")
        XCTAssertEqual(PositionalDecimal.text(1e16), "10000000000000000.0")
        XCTAssertEqual(PositionalDecimal.positional("1.000000e-05"), "0.00001")
        XCTAssertEqual(PositionalDecimal.positional("3.5E+2"), "350.0")
        XCTAssertEqual(PositionalDecimal.positional("inf"), "inf")
        XCTAssertEqual(PositionalDecimal.positional("abc"), "abc")
    }

    /// Every double, however small or large, round-trips through its
    /// positional text, which holds no exponent.
    func testRoundTripWithoutExponent() {
        var rng = SplitMix64(seed: 19)
        var values: [Double] = [Double.leastNonzeroMagnitude, .leastNormalMagnitude, 1e-300, 8e-06, 0.1, 1 / 3, 1e15, 1e16, 1.7976931348623157e308]
        for _ in 0..<20_000 {
            let x = Double(bitPattern: rng.next())
            if x.isFinite { values.append(x) }
            values.append(rng.uniform(-1, 1) * pow(10, Double(Int(rng.uniform(-30, 30)))))
        }
        for x in values {
            let t = PositionalDecimal.text(x)
            XCTAssertFalse(t.contains("e") || t.contains("E"), t)
            XCTAssertEqual(Double(t), x, t)
        }
    }

    /// A `.cfg` of tiny and huge numbers written at full precision has no
    /// exponent anywhere and reads back bit for bit.
    func testFullPrecisionCFGHasNoExponent() throws {
        var c = Configuration(cell: [Vec3(3.6, 0, 0), Vec3(0, 3.6, 1e-17), Vec3(0, 0, 3.6)], pbc: .all,
                              species: [0, 1], positions: [Vec3(0, 8e-06, -1e-9), Vec3(1.8, 1.8, 3e-21)])
        c.forces = [Vec3(1e-12, -2.5e-7, 0), Vec3(-1e-12, 2.5e-7, 123456789.125)]
        c.energy = -7.0e-8
        c.virial = Virial(xx: 1e-10, yy: 2, zz: 3e20, yz: -4e-5, xz: 0, xy: 5e-300)
        c.atomProperties = [AtomProperty(name: "nbh_grades", values: [1e-9, 2])]
        let text = try CFGFormat.format([c], style: .full)
        XCTAssertFalse(text.contains("e-") || text.contains("e+"), text)
        let back = try CFGFormat.parse(text, file: "t.cfg")[0]
        XCTAssertEqual(back.positions, c.positions)
        XCTAssertEqual(back.cell, c.cell)
        XCTAssertEqual(back.forces!, c.forces!)
        XCTAssertEqual(back.energy, c.energy)
        XCTAssertEqual(back.virial, c.virial)
        XCTAssertEqual(back.atomProperties[0].values, c.atomProperties[0].values)
    }
}
