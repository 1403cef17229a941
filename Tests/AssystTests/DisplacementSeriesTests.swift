import XCTest
import Atomistic
@testable import Assyst

final class DisplacementSeriesTests: XCTestCase {
    /// The widest supercell within the atom limit; among equally wide ones
    /// the smallest.
    func testRepetitionsWidenTheNarrowestDirectionFirst() {
        var o = DisplacementSeriesOptions()
        o.maxAtoms = 16
        // A one-atom cubic cell: 2x2x2 (8 atoms); 2x2x3 and 2x2x4 are no wider.
        XCTAssertTrue(o.repetitions(atoms: 1, widths: (3, 3, 3)) == (2, 2, 2))
        // hcp-like two-atom cell, a-widths 2.77 A, c 5.2 A: 2x2x2 (16 atoms, 5.54 A wide) beats
        // 2x2x1 (8 atoms, 5.2 A); with 8 atoms at most, 2x2x1.
        XCTAssertTrue(o.repetitions(atoms: 2, widths: (2.77, 2.77, 5.2)) == (2, 2, 2))
        o.maxAtoms = 8
        XCTAssertTrue(o.repetitions(atoms: 2, widths: (2.77, 2.77, 5.2)) == (2, 2, 1))
        o.maxAtoms = 16
        // A cubic four-atom cell: no supercell of at most 16 atoms is wider, so the cell itself.
        XCTAssertTrue(o.repetitions(atoms: 4, widths: (4.5, 4.5, 4.5)) == (1, 1, 1))
        o.maxAtoms = 32
        XCTAssertTrue(o.repetitions(atoms: 4, widths: (4.5, 4.5, 4.5)) == (2, 2, 2))
        // A cell larger than the limit stays as it is.
        o.maxAtoms = 2
        XCTAssertTrue(o.repetitions(atoms: 3, widths: (1, 1, 1)) == (1, 1, 1))
    }

    func testOptionsAreChecked() {
        XCTAssertNoThrow(try DisplacementSeriesOptions().check())
        for (edit, name) in [({ (o: inout DisplacementSeriesOptions) in o.structures = -1 }, "--phonon-structures"),
                             ({ $0.copies = 0 }, "--phonon-copies"), ({ $0.maxAtoms = 0 }, "--phonon-max-atoms"),
                             ({ $0.displacement = 0 }, "--phonon-displacement"), ({ $0.displacement = .nan }, "--phonon-displacement")] {
            var o = DisplacementSeriesOptions()
            edit(&o)
            XCTAssertThrowsError(try o.check()) { XCTAssertTrue("\($0)".contains(name), "\($0)") }
        }
    }

    /// Copies of the supercell with zero-mean Gaussian displacements of the
    /// asked rms, the crystal's identity kept, the same for the same seed.
    func testCopiesAreDisplacedSupercellsOfTheCrystal() {
        let crystal = relaxedCrystal("229-1-0", a: 2.9, energyPerAtom: -1.5, group: "229")
        var o = DisplacementSeriesOptions()
        o.copies = 40
        o.maxAtoms = 27
        o.displacement = 0.05
        let copies = DisplacementSeries.series(of: crystal, options: o, seed: 7, minDistance: 1.5)
        XCTAssertEqual(copies.count, 40)
        let base = crystal.supercell(3, 3, 3)
        XCTAssertEqual(DisplacementSeries.supercell(of: crystal, options: o).positions, base.positions)
        var squares = 0.0, n = 0
        for (k, c) in copies.enumerated() {
            XCTAssertEqual(c.group, "PHONON")
            XCTAssertEqual(c.atomCount, 27)
            XCTAssertEqual(c.cell, base.cell)
            XCTAssertNil(c.energy)
            XCTAssertEqual(c.feature(AssystFeature.crystal), "229-1-0")
            XCTAssertEqual(c.feature(AssystFeature.detectedGroup), "229")
            XCTAssertEqual(c.feature(AssystFeature.copy), String(k))
            var mean = Vec3(0, 0, 0)
            for a in 0..<c.atomCount {
                // Displacement from the lattice site, through the periodic image nearest to it.
                var d = c.positions[a] - base.positions[a]
                for i in 0..<3 { d[i] -= 2.9 * 3 * (d[i] / (2.9 * 3)).rounded() }
                XCTAssertLessThan(norm(d), 0.5)
                mean += d
                squares += dot(d, d)
                n += 3
            }
            XCTAssertLessThan(norm(mean / Double(c.atomCount)), 1e-9, "no rigid translation")
        }
        // 40 x 27 x 3 = 3240 components (less the removed means): rms within 5 %.
        XCTAssertEqual((squares / Double(n)).squareRoot(), 0.05 * (26.0 / 27).squareRoot(), accuracy: 0.0025)
        XCTAssertEqual(DisplacementSeries.series(of: crystal, options: o, seed: 7, minDistance: 1.5), copies)
        XCTAssertNotEqual(DisplacementSeries.series(of: crystal, options: o, seed: 8, minDistance: 1.5), copies)
        // Copies that keep breaking the minimum distance are dropped, never kept.
        o.displacement = 1
        o.copies = 10
        let rough = DisplacementSeries.series(of: crystal, options: o, seed: 7, minDistance: 2.5)
        XCTAssertLessThan(rough.count, 10)
        XCTAssertTrue(rough.allSatisfy { !violatesMinimumDistance($0, 2.5) })
    }

    /// The supercell repeats the primitive cell, not the stored one: a
    /// conventional bcc cell (2 atoms) or a four-atom fcc cell becomes 2x2x2
    /// primitive cells, 8 atoms at the crystal's volume per atom.
    func testSupercellRepeatsThePrimitiveCell() {
        let a = 3.56
        var bcc = relaxedCrystal("229-2-0", a: a, atoms: 2, energyPerAtom: -1.51, group: "229")
        bcc.positions = [Vec3(0, 0, 0), Vec3(a / 2, a / 2, a / 2)]
        var fcc = relaxedCrystal("225-4-0", a: 4.5, atoms: 4, energyPerAtom: -1.52)
        fcc.positions = [Vec3(0, 0, 0), Vec3(0, 2.25, 2.25), Vec3(2.25, 0, 2.25), Vec3(2.25, 2.25, 0)]
        for crystal in [bcc, fcc] {
            let s = DisplacementSeries.supercell(of: crystal, options: DisplacementSeriesOptions())
            XCTAssertEqual(s.atomCount, 8)
            XCTAssertEqual(abs(determinant(s.cell)) / 8, abs(determinant(crystal.cell)) / Double(crystal.atomCount), accuracy: 1e-9)
            // Every supercell atom sits on a site of the crystal (cubic cells: per-axis fractions).
            func onSite(_ p: Vec3) -> Bool {
                crystal.positions.contains { (q: Vec3) -> Bool in
                    (0..<3).allSatisfy { (i: Int) -> Bool in
                        let d: Double = (p[i] - q[i]) / crystal.cell[i][i]
                        return abs(d - d.rounded()) < 1e-6
                    }
                }
            }
            XCTAssertTrue(s.positions.allSatisfy(onSite), "\(s.positions)")
        }
    }

    /// The stage displaces the lowest-energy distinct crystals, once each.
    func testStageTakesTheLowestDistinctCrystals() throws {
        let relaxed = [relaxedCrystal("a", a: 3.0, energyPerAtom: -1.0), relaxedCrystal("b", a: 2.9, energyPerAtom: -1.5),
                       relaxedCrystal("c", a: 2.9, energyPerAtom: -1.5), relaxedCrystal("d", a: 3.2, energyPerAtom: -0.5)]
        var o = DisplacementSeriesOptions()
        o.structures = 2
        o.copies = 3
        let stage = try DisplacementSeries.stage(from: relaxed, options: o, seed: 1, minDistance: 1.5).structures
        XCTAssertEqual(stage.map { $0.feature(AssystFeature.crystal)! }, ["b", "b", "b", "a", "a", "a"])
        var options = AssystOptions(element: "Mg", atomicVolume: 22.87)
        XCTAssertFalse(options.includes(.phonon))
        options.displacement = o
        XCTAssertTrue(options.includes(.phonon))
        XCTAssertEqual(try options.series(.phonon, from: relaxed).structures.count, 6)
    }
}
