import XCTest
import Atomistic
import Structures
import Relaxation
@testable import Reference

/// The EAM Mg potential relaxed against LAMMPS's reference values: the
/// lattice and cohesive energy of hcp, and the vacancy formation energy.
final class MgRelaxationTests: XCTestCase {
    func testHcpLatticeParameters() throws {
        let eam = try EAMCalculator(file: EAMTests.fixture("Mg_mm.eam.fs"))
        // Start 3% off in a and c/a.
        let start = Lattice.hcp(a: 3.1842 * 1.03, cOverA: 1.6282 * 0.97).unitCell()
        let r = try relax(start, with: eam, options: RelaxationOptions(mode: .positionsAndCell, forceTolerance: 1e-4, stressTolerance: 1e-6))
        XCTAssertTrue(r.converged)
        let c = r.configuration
        let a = norm(c.cell[0]), cc = norm(c.cell[2])
        print(String(format: "EAM Mg hcp: a = %.5f A, c/a = %.5f, %.4f A^3/atom, E = %.5f eV/atom (%d steps)",
                     a, cc / a, c.volume / 2, r.labels.energy / 2, r.steps))
        XCTAssertEqual(a, 3.1842, accuracy: 3.1842e-3)
        XCTAssertEqual(cc / a, 1.6282, accuracy: 1.6282e-3)
        XCTAssertEqual(c.volume / 2, 22.762, accuracy: 22.762e-3)
        XCTAssertEqual(r.labels.energy / 2, -1.5287, accuracy: 1.5287e-3)
        // Still hexagonal: a = b, 120 degrees, c perpendicular.
        XCTAssertEqual(norm(c.cell[1]), a, accuracy: 1e-6)
        XCTAssertEqual(dot(c.cell[0], c.cell[1]) / (a * a), -0.5, accuracy: 1e-6)
        XCTAssertEqual(dot(c.cell[0], c.cell[2]), 0, accuracy: 1e-6)
    }

    /// E_vac = E(N-1) - (N-1)/N E(N), volume fixed at the perfect crystal's,
    /// ions relaxed, in the 288-atom 6x6x4 cell.
    func testVacancyFormationEnergy() throws {
        let eam = try EAMCalculator(file: EAMTests.fixture("Mg_mm.eam.fs"))
        let bulk = Lattice.hcp(a: 3.1842, cOverA: 1.6282).unitCell().supercell(6, 6, 4)
        XCTAssertEqual(bulk.atomCount, 288)
        let perfect = try eam.calculate(bulk).energy
        let r = try relax(bulk.removingAtom(at: 100), with: eam, options: RelaxationOptions(mode: .positions))
        XCTAssertTrue(r.converged)
        let n = Double(bulk.atomCount)
        let formation = r.labels.energy - (n - 1) / n * perfect
        print(String(format: "EAM Mg vacancy formation energy (288-atom cell, ions relaxed): %.4f eV in %d steps, max displacement %.4f A",
                     formation, r.steps, r.maxDisplacement))
        XCTAssertEqual(formation, 0.875, accuracy: 0.01)
        XCTAssertGreaterThan(r.maxDisplacement, 0.01)
    }

    func testOverlappingStartIsATypedFailure() throws {
        let eam = try EAMCalculator(file: EAMTests.fixture("Mg_mm.eam.fs"))
        var c = Lattice.hcp(a: 3.1842, cOverA: 1.6282).unitCell().supercell(2, 2, 2)
        c.positions[1] = c.positions[0] + Vec3(0.2, 0.1, 0)
        XCTAssertThrowsError(try relax(c, with: eam, options: RelaxationOptions(mode: .positions))) { error in
            guard case .overlappingAtoms = error as? RelaxationError else { return XCTFail("\(error)") }
        }
    }
}
