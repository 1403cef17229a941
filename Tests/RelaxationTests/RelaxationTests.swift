import XCTest
import Atomistic
import Reference
import Structures
@testable import Relaxation

/// A shifted Lennard-Jones pair potential: a cheap calculator with exact
/// forces and virial, so these tests check the relaxation, not a potential.
final class LennardJones: Calculator {
    let epsilon = 0.2, sigma = 2.3
    let cutoff = 5.5
    var name: String { "lj" }

    func calculate(_ config: Configuration) throws -> Labels {
        let list = try NeighborList(config, cutoff: cutoff)
        func pair(_ r: Double) -> (Double, Double) {
            let s6 = pow(sigma / r, 6)
            return (4 * epsilon * (s6 * s6 - s6), -24 * epsilon * (2 * s6 * s6 - s6) / r)
        }
        let shift = pair(cutoff).0
        var energy = 0.0
        var forces = [Vec3](repeating: .zero, count: config.atomCount)
        var w = [[0.0, 0, 0], [0.0, 0, 0], [0.0, 0, 0]]
        for i in 0..<config.atomCount {
            for p in list.offsets[i]..<list.offsets[i + 1] {
                let r = list.distance[p]
                let (e, de) = pair(r)
                energy += 0.5 * (e - shift)
                let d = Vec3(list.dx[p], list.dy[p], list.dz[p])
                let g = 0.5 * de / r * d          // half of dE/dr_ij
                forces[i] += g
                forces[Int(list.neighbor[p])] -= g
                for a in 0..<3 { for b in 0..<3 { w[a][b] -= g[a] * d[b] } }
            }
        }
        return Labels(energy: energy, forces: forces, virial: Virial(matrix: w))
    }
}

final class RelaxationTests: XCTestCase {
    let lj = LennardJones()

    func rattled(_ c: Configuration, _ amplitude: Double, seed: UInt64 = 1) -> Configuration {
        var state = seed
        var r = c
        for a in 0..<r.atomCount {
            var v = Vec3.zero
            for x in 0..<3 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                v[x] = (Double(state >> 11) / Double(1 << 53) - 0.5) * 2 * amplitude
            }
            r.positions[a] += v
        }
        return r
    }

    func fractional(_ c: Configuration) -> [Vec3] {
        let m = c.cell
        let det = determinant(m)
        let inv = [cross(m[1], m[2]) / det, cross(m[2], m[0]) / det, cross(m[0], m[1]) / det]
        return c.positions.map { Vec3(dot($0, inv[0]), dot($0, inv[1]), dot($0, inv[2])) }
    }

    func stress(_ r: RelaxationResult) -> [Double] { r.labels.stress(volume: r.configuration.volume) }

    func assertSameFractional(_ a: Configuration, _ b: Configuration, file: StaticString = #filePath, line: UInt = #line) {
        for (x, y) in zip(fractional(a), fractional(b)) { XCTAssertLessThan(norm(x - y), 1e-9, file: file, line: line) }
    }

    func testVolumeModeScalesIsotropically() throws {
        let start = rattled(Lattice.fcc(a: 3.3).unitCell().supercell(2, 2, 2), 0.05)
        let r = try relax(start, with: lj, options: RelaxationOptions(mode: .volume, stressTolerance: 1e-5))
        XCTAssertTrue(r.converged)
        XCTAssertGreaterThan(r.configuration.volume, start.volume * 1.05)
        let s = cbrt(r.configuration.volume / start.volume)
        for k in 0..<3 { XCTAssertLessThan(norm(r.configuration.cell[k] - s * start.cell[k]), 1e-9) }
        assertSameFractional(start, r.configuration)
        let mean = stress(r)[0...2].reduce(0, +) / 3
        XCTAssertLessThan(abs(mean), 1e-5)
        XCTAssertLessThan(r.maxDisplacement, 1e-9)   // the cell change is removed
        XCTAssertEqual(r.configuration.energy, r.labels.energy)
    }

    func testVolumeModeUnderPressure() throws {
        let start = Lattice.fcc(a: 3.5).unitCell()
        let p = 0.01   // eV/A^3, 1.6 GPa
        let r = try relax(start, with: lj, options: RelaxationOptions(mode: .volume, stressTolerance: 1e-6, pressure: p))
        XCTAssertTrue(r.converged)
        for k in 0..<3 { XCTAssertEqual(stress(r)[k], -p, accuracy: 1e-6) }
    }

    func testCellShapeKeepsFractionalCoordinates() throws {
        let shear = [Vec3(1.04, 0.05, 0), Vec3(0.0, 0.97, 0.03), Vec3(0.02, 0, 1.01)]
        let start = Lattice.fcc(a: 3.5).unitCell().supercell(1, 1, 2).deformed(by: shear)
        let r = try relax(start, with: lj, options: RelaxationOptions(mode: .cellShape, stressTolerance: 1e-5))
        XCTAssertTrue(r.converged)
        for s in stress(r) { XCTAssertLessThan(abs(s), 1e-5) }
        assertSameFractional(start, r.configuration)
        XCTAssertLessThan(r.maxDisplacement, 1e-9)
    }

    func testPositionsModeKeepsTheCell() throws {
        var start = rattled(Lattice.fcc(a: 3.55).unitCell().supercell(2, 2, 2), 0.02)
        start.positions[3] += Vec3(0.3, 0, 0)
        let r = try relax(start, with: lj, options: RelaxationOptions(mode: .positions, forceTolerance: 1e-4))
        XCTAssertTrue(r.converged)
        XCTAssertEqual(r.configuration.cell, start.cell)
        for f in r.labels.forces { XCTAssertLessThan(norm(f), 1e-4) }
        XCTAssertGreaterThan(r.maxDisplacement, 0.25)
        XCTAssertLessThan(r.maxDisplacement, 0.4)
        XCTAssertLessThan(r.labels.energy, try lj.calculate(start).energy)
    }

    func testPositionsAndVolumeKeepsTheCellShape() throws {
        let start = rattled(Lattice.fcc(a: 3.5).unitCell().supercell(2, 2, 2).removingAtom(at: 0), 0.03)
        let r = try relax(start, with: lj, options: RelaxationOptions(mode: .positionsAndVolume))
        XCTAssertTrue(r.converged)
        let s = cbrt(r.configuration.volume / start.volume)
        XCTAssertNotEqual(s, 1, accuracy: 1e-3)
        for k in 0..<3 { XCTAssertLessThan(norm(r.configuration.cell[k] - s * start.cell[k]), 1e-9) }
        for f in r.labels.forces { XCTAssertLessThan(norm(f), 1e-3) }
        XCTAssertLessThan(abs(stress(r)[0...2].reduce(0, +) / 3), 1e-4)
    }

    func testPositionsAndCellRelaxesEverything() throws {
        let shear = [Vec3(1.03, 0.04, 0), Vec3(0.0, 0.98, 0.02), Vec3(0.01, 0, 1.02)]
        let start = rattled(Lattice.fcc(a: 3.5).unitCell().supercell(2, 1, 1).deformed(by: shear), 0.05)
        let r = try relax(start, with: lj, options: RelaxationOptions(mode: .positionsAndCell, forceTolerance: 1e-4, stressTolerance: 1e-5))
        XCTAssertTrue(r.converged)
        for s in stress(r) { XCTAssertLessThan(abs(s), 1e-5) }
        for f in r.labels.forces { XCTAssertLessThan(norm(f), 1e-4) }
        // Relaxed fcc LJ: every nearest neighbour at the same distance.
        let list = try NeighborList(r.configuration, cutoff: 3)
        XCTAssertLessThan(list.distance.max()! - list.distance.min()!, 1e-3)
    }

    func testLateralFixedMovesOnlyTheThirdAxis() throws {
        // A slab: 3 layers of fcc(001) with vacuum, lateral cell strained.
        var slab = Lattice.fcc(a: 3.45).unitCell().supercell(2, 2, 2)
        slab.cell[2] = Vec3(0.3, 0.2, 20)  // a tilted third vector
        let start = rattled(slab, 0.02)
        let r = try relax(start, with: lj, options: RelaxationOptions(mode: .positionsLateralFixed))
        XCTAssertTrue(r.converged)
        XCTAssertEqual(r.configuration.cell[0], start.cell[0])
        XCTAssertEqual(r.configuration.cell[1], start.cell[1])
        XCTAssertNotEqual(norm(r.configuration.cell[2]), norm(start.cell[2]))
        // The third vector keeps its direction.
        XCTAssertLessThan(norm(cross(r.configuration.cell[2], start.cell[2])) / (norm(start.cell[2]) * norm(r.configuration.cell[2])), 1e-12)
        for f in r.labels.forces { XCTAssertLessThan(norm(f), 1e-3) }
    }

    func testFailuresAreTyped() throws {
        // Tension on a finite-range potential: the cell expands without end.
        let start = Lattice.fcc(a: 3.55).unitCell()
        XCTAssertThrowsError(try relax(start, with: lj, options: RelaxationOptions(mode: .volume, pressure: -0.5))) { error in
            guard case .runawayCell = error as? RelaxationError else { return XCTFail("\(error)") }
        }
        var molecule = Configuration(species: [0, 0], positions: [.zero, Vec3(3, 0, 0)])
        XCTAssertThrowsError(try relax(molecule, with: lj, options: RelaxationOptions(mode: .volume))) { error in
            guard case .needsPeriodicCell = error as? RelaxationError else { return XCTFail("\(error)") }
        }
        molecule.positions[1].x = 2.4
        let r = try relax(molecule, with: lj, options: RelaxationOptions(mode: .positions, forceTolerance: 1e-5))
        XCTAssertTrue(r.converged)
        XCTAssertEqual(norm(r.configuration.positions[1] - r.configuration.positions[0]), pow(2, 1.0 / 6) * 2.3, accuracy: 1e-4)
        // Not converged within maxSteps: reported, not thrown.
        let short = try relax(rattled(Lattice.fcc(a: 3.55).unitCell().supercell(2, 2, 2), 0.1), with: lj,
                              options: RelaxationOptions(mode: .positions, maxSteps: 3))
        XCTAssertFalse(short.converged)
        XCTAssertEqual(short.steps, 3)
    }
}
