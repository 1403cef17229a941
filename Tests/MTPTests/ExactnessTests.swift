import XCTest
import Atomistic
@testable import MTP

/// A fixture the tests need is not where it should be: a failure, never a skip.
struct MissingFixture: Error, CustomStringConvertible {
    var path: String
    var description: String { "fixture \(path) not found" }
}

/// Evaluating MLIP-trained potentials must reproduce MLIP's own
/// `mlp calc-efs` output to the digits MLIP printed.
final class ExactnessTests: XCTestCase {
    static func fixture(_ path: String) throws -> String {
        guard let url = Bundle.module.url(forResource: path, withExtension: nil, subdirectory: "Fixtures/mlip-reference") else {
            throw MissingFixture(path: "Fixtures/mlip-reference/\(path)")  // fixtures are part of the package
        }
        return url.path
    }

    /// MLIP prints energies with 12 decimals, forces with 6 and PlusStress
    /// with 5: agreement means a difference of at most half a unit in the
    /// last printed place (with a hair of slack for the decimal rounding).
    func check(set: String, level: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let pot = try MTPFile.read(path: Self.fixture("\(set)/\(level)/pot.mtp"))
        let reference = try CFGFormat.read(path: Self.fixture("\(set)/\(level)/calc-efs.first100.cfg"))
        XCTAssertEqual(reference.count, 100)
        let evaluator = try Evaluator(pot)
        var worst = (e: 0.0, f: 0.0, w: 0.0)
        for ref in reference {
            let nl = try NeighborList(ref, cutoff: evaluator.cutoff)
            let efs = try evaluator.evaluate(ref, neighbors: nl)
            // Beyond the printed digits, both codes round: the energy is a sum
            // of terms c0 + xi_a B_a that cancel to a small total, so its
            // floating-point error scales with the size of those terms. The
            // allowance is 16 ulps of that size (a typical error of a sum of a
            // few hundred terms, summed in different orders by the two codes).
            let scale = try termMagnitude(evaluator, ref, nl)
            worst.e = max(worst.e, abs(efs.energy - ref.energy!) - scale * 16 * Double.ulpOfOne)
            for (a, b) in zip(efs.forces, ref.forces!) { let d: Vec3 = a - b; worst.f = max(worst.f, abs(d.x), abs(d.y), abs(d.z)) }
            for (a, b) in zip(efs.virial.voigt, ref.virial!.voigt) { worst.w = max(worst.w, abs(a - b)) }
        }
        XCTAssertLessThanOrEqual(worst.e, 0.5e-12 * 1.02, "\(set)/\(level) energy", file: file, line: line)
        XCTAssertLessThanOrEqual(worst.f, 0.5e-6 * 1.02, "\(set)/\(level) forces", file: file, line: line)
        XCTAssertLessThanOrEqual(worst.w, 0.5e-5 * 1.02, "\(set)/\(level) PlusStress", file: file, line: line)
        print("exactness \(set)/\(level): max |dE| \(worst.e), |dF| \(worst.f), |dW| \(worst.w)")
    }

    /// sum_i |c0| + sum_a |xi_a sum_i B_a(i)|: the size of the terms whose
    /// sum is the energy.
    func termMagnitude(_ ev: Evaluator, _ c: Configuration, _ nl: NeighborList) throws -> Double {
        var dE = [Double](repeating: 0, count: ev.parameterCount)
        _ = try dE.withUnsafeMutableBufferPointer { try ev.evaluate(c, neighbors: nl, energyGradient: $0.baseAddress) }
        let pot = ev.potential
        let offset = pot.radialCoeffCount + pot.speciesCount
        var total = 0.0
        for z in c.species { total += abs(pot.speciesCoeffs![z]) }
        for (a, xi) in pot.momentCoeffs!.enumerated() { total += abs(xi * dE[offset + a]) }
        return total
    }

    func testCubicLevels() throws {
        for level in ["02", "04", "06", "08", "10", "12", "14", "16", "18", "20"] { try check(set: "cubic", level: level) }
    }

    func testThreeSpeciesLevels() throws {
        for level in ["02", "04", "06", "08", "10"] { try check(set: "multi", level: level) }
    }
}
