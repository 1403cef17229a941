import XCTest
import Atomistic
import Structures
import Relaxation
@testable import Reference

/// `makeCalculator(spec:)`: both routes give calculators that work, and bad
/// specs say what is accepted.
final class CalculatorSpecTests: XCTestCase {
    func testEAMAndMTPSpecs() throws {
        let eam = try makeCalculator(spec: "eam:" + EAMTests.fixture("Mg_mm.eam.fs"))
        XCTAssertEqual(eam.name, "eam:Mg_mm.eam.fs")
        XCTAssertEqual(eam.cutoff, 7.5)
        XCTAssertTrue(eam is EAMCalculator)

        let mtp = try makeCalculator(spec: "mtp:" + EAMTests.fixture("cu-level08.mtp"))
        XCTAssertEqual(mtp.name, "mtp:cu-level08.mtp")
        XCTAssertEqual(mtp.cutoff, 5.0)
        // The MTP as a calculator relaxes fcc Cu (EMT-trained: a near 3.6 A).
        let r = try relax(Lattice.fcc(a: 3.7).unitCell(), with: mtp, options: RelaxationOptions(mode: .volume))
        XCTAssertTrue(r.converged)
        XCTAssertEqual(norm(r.configuration.cell[0]), 3.6, accuracy: 0.1)
    }

    func testBadSpecs() throws {
        for spec in ["Mg_mm.eam.fs", "lammps:x", "eam:", "vasp-handoff:dir"] {
            XCTAssertThrowsError(try makeCalculator(spec: spec)) { error in
                XCTAssertEqual(error as? CalculatorSpecError, CalculatorSpecError(spec: spec))
                XCTAssertTrue("\(error)".contains("eam:FILE"))
            }
        }
        XCTAssertThrowsError(try makeCalculator(spec: "mtp:/nonexistent.mtp")) { error in
            XCTAssertEqual((error as? InputError)?.file, "/nonexistent.mtp")
        }
    }
}
