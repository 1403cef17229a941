import XCTest
import CommandLineTesting
import Foundation
import Atomistic
@testable import TrainingStore

/// `StoreSummary` on a store small enough to count by hand.
final class StoreSummaryTests: TemporaryDirectoryTestCase {
    func box(_ a: Double) -> [Vec3] { [Vec3(a, 0, 0), Vec3(0, a, 0), Vec3(0, 0, a)] }

    /// Group A: simple cubic, a = 3.2 (six neighbours at 3.2, the next
    /// shell at 4.53 is beyond 4). Group B: two dimers 2.1 A apart in a 10 A
    /// box. No group: one lone, unlabelled atom (no neighbour within 4).
    func tinyStore() throws -> String {
        var cubic = Configuration(cell: box(3.2), pbc: .all, species: [0], positions: [.zero])
        cubic.energy = -3; cubic.forces = [.zero]; cubic.virial = Virial(voigt: [3, 3, 3, 0, 0, 0]); cubic.group = "A"
        var dimers: [Configuration] = []
        for e in [-5.0, -7.0] {
            var d = Configuration(cell: box(10), pbc: .all, species: [0, 0], positions: [.zero, Vec3(2.1, 0, 0)])
            d.energy = e; d.forces = [Vec3(0.3, 0, 0), Vec3(-0.3, 0.4, 0)]; d.virial = Virial(voigt: [1, 2, 3, 0, 0, 0]); d.group = "B"
            dimers.append(d)
        }
        let lone = Configuration(cell: box(10), pbc: .all, species: [0], positions: [Vec3(1, 1, 1)])
        let path = tmp + "/tiny.h5"
        try StoreWriter.write(TrainingSet(configurations: [cubic] + dimers + [lone], species: ["Mg"]), to: path)
        return path
    }

    func testCountsRangesAndHistograms() throws {
        // A chunk of 2 makes the read cross a chunk boundary.
        let s = try StoreSummary(path: try tinyStore(), histogramBinWidth: 0.5, maxDistance: 4, chunk: 2)
        XCTAssertEqual(s.configurationCount, 4)
        XCTAssertEqual(s.totalAtoms, 6)
        XCTAssertEqual(s.symbols, ["Mg"])
        XCTAssertEqual(s.speciesAtoms, [6])
        XCTAssertEqual(s.groupNames, ["A", "B", "(no group)"])
        XCTAssertEqual(s.groups.map(\.configurations), [1, 2, 1])
        XCTAssertEqual(s.groups.map(\.atoms), [1, 4, 1])
        XCTAssertEqual(s.usedGroups, [0, 1, 2])

        let b = s.groups[1]
        XCTAssertEqual(b.energyPerAtom, .init(min: -3.5, max: -2.5))
        XCTAssertEqual(try XCTUnwrap(b.forceMax), 0.5, accuracy: 1e-12)
        // Stress = -virial / volume, in GPa: components -3, -2, -1, 0 (x 1/1000 eV/A^3).
        XCTAssertEqual(try XCTUnwrap(b.stress).min, -3e-3 * LabelErrors.gpaPerEVPerA3, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(b.stress).max, 0)
        XCTAssertEqual(s.groups[0].energyPerAtom, .init(min: -3, max: -3))
        XCTAssertEqual([s.groups[2].withEnergy, s.groups[2].withForces, s.groups[2].withStress], [0, 0, 0])
        XCTAssertTrue(s.table[0].hasSuffix("4 configurations, 6 atoms"), s.table[0])
        XCTAssertTrue(s.table.last!.hasSuffix("(1 without energy, 1 without forces, 1 without stress)"), s.table.last!)

        let h = try XCTUnwrap(s.histograms)
        XCTAssertEqual(h.bins, 8)
        var cubicPairs = [Double](repeating: 0, count: 8), cubicNearest = cubicPairs
        cubicPairs[6] = 6; cubicNearest[6] = 1            // 3.2 A is in [3.0, 3.5)
        var dimerPairs = [Double](repeating: 0, count: 8)
        dimerPairs[4] = 4                                  // 2.1 A, two atoms per dimer, two dimers
        XCTAssertEqual(h.pairs, [cubicPairs, dimerPairs, [Double](repeating: 0, count: 8)])
        XCTAssertEqual(h.nearest, [cubicNearest, dimerPairs, [Double](repeating: 0, count: 8)])
        // Per atom of the group: 6 neighbours per cubic atom, 1 per dimer atom.
        XCTAssertEqual(s.perAtom(h.pairs).map { $0.reduce(0, +) }, [6, 1, 0])
        XCTAssertEqual(h.center(6), 3.25)
        // Shortest distance per group: 3.2 A, 2.1 A, none within 4 A.
        XCTAssertEqual(h.shortest[0], 3.2, accuracy: 1e-12)
        XCTAssertEqual(h.shortest[1], 2.1, accuracy: 1e-12)
        XCTAssertEqual(h.shortest[2], .infinity)
    }

    func testWithoutHistogramsReadsCountsOnly() throws {
        let s = try StoreSummary(path: try tinyStore())
        XCTAssertNil(s.histograms)
        XCTAssertEqual(s.groups.map(\.atoms), [1, 4, 1])
    }
}
