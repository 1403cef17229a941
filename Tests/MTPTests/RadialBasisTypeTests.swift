import XCTest
import Atomistic
@testable import MTP

/// MLIP's `RBChebyshev_repuls`: below min_dist every basis function keeps
/// its value at min_dist and has zero r-derivative, so the energy is
/// bounded under compression; above min_dist it is plain `RBChebyshev`.
final class RadialBasisTypeTests: XCTestCase {
    /// A random level-`level` potential with min_dist `minDist`.
    func potential(level: Int = 12, species: Int = 1, minDist: Double, type: RadialBasisType, seed: UInt64 = 3) throws -> Potential {
        var pot = try JacobianKernelTests.randomPotential(level: level, species: species, cutoff: 4.2, seed: seed)
        pot.minDist = minDist
        pot.radialBasisType = type
        return pot
    }

    /// A min_dist between two neighbour distances of `c` near their median,
    /// so that pairs lie on both sides and none within 1e-3 A of it.
    func minDistSplitting(_ c: Configuration, cutoff: Double) throws -> Double {
        let nl = try NeighborList(c, cutoff: cutoff)
        let d = nl.distance.filter { $0 < cutoff }.sorted()
        var i = d.count / 2
        while i + 1 < d.count && d[i + 1] - d[i] < 2e-3 { i += 1 }
        XCTAssertLessThan(i + 1, d.count)
        return 0.5 * (d[i] + d[i + 1])
    }

    /// Two atoms `r` apart along a skew direction in a cell too large for images.
    func dimer(_ r: Double, species: [Int] = [0, 0]) -> Configuration {
        let u = Vec3(0.48, 0.6, 0.64)  // unit length
        return Configuration(cell: [Vec3(20, 0, 0), Vec3(0, 20, 0), Vec3(0, 0, 20)], pbc: .all, species: species,
                             positions: [Vec3(5, 5, 5), Vec3(5, 5, 5) + u * r])
    }

    func efs(_ pot: Potential, _ c: Configuration) throws -> EFS {
        let ev = try Evaluator(pot)
        return try ev.evaluate(c, neighbors: NeighborList(c, cutoff: ev.cutoff))
    }

    func testInsideMinDistTheDimerIsFlatAndBounded() throws {
        let repuls = try potential(minDist: 2.0, type: .chebyshevRepulsive)
        let atMin = try efs(repuls, dimer(2.0))
        for r in [1.9, 1.5, 1.0, 0.6] {
            let e = try efs(repuls, dimer(r))
            XCTAssertEqual(e.energy, atMin.energy, accuracy: 1e-12 * max(1, abs(atMin.energy)), "r = \(r)")
            for f in e.forces { XCTAssertEqual(norm(f), 0, accuracy: 1e-12, "no radial force inside min_dist, r = \(r)") }
        }
        // Plain RBChebyshev extends the polynomials: the energy moves.
        let plain = try potential(minDist: 2.0, type: .chebyshev)
        XCTAssertGreaterThan(abs(try efs(plain, dimer(1.0)).energy - (try efs(plain, dimer(2.0)).energy)), 1e-6)
        // Above min_dist the two bases are the same function.
        for r in [2.05, 2.9, 4.1] {
            let a = try efs(repuls, dimer(r)), b = try efs(plain, dimer(r))
            XCTAssertEqual(a.energy, b.energy, accuracy: 1e-12 * max(1, abs(b.energy)), "r = \(r)")
            XCTAssertEqual(norm(a.forces[1] - b.forces[1]), 0, accuracy: 1e-12 * max(1, norm(b.forces[1])), "r = \(r)")
        }
        // Continuous at min_dist: the jump across it shrinks with the gap
        // (a thousandth of it for a thousandth of the gap; the random
        // potential's forces are large).
        func jump(_ gap: Double) throws -> Double {
            abs(try efs(repuls, dimer(2.0 + gap)).energy - (try efs(repuls, dimer(2.0 - gap)).energy))
        }
        XCTAssertLessThan(try jump(1e-9), 2e-3 * (try jump(1e-6)) + 1e-12)
    }

    /// Forces and virial from the evaluator against finite differences of
    /// its energy, with pairs on both sides of min_dist (two species).
    func testForcesAgainstFiniteDifferencesAcrossMinDist() throws {
        let c = JacobianKernelTests.cells(species: 2, seed: 3)[0]
        let pot = try potential(level: 10, species: 2, minDist: try minDistSplitting(c, cutoff: 4.2), type: .chebyshevRepulsive)
        let nl = try NeighborList(c, cutoff: pot.maxDist)
        let inside = (0..<nl.distance.count).filter { nl.distance[$0] < pot.minDist }.count
        let outside = (0..<nl.distance.count).filter { nl.distance[$0] > pot.minDist && nl.distance[$0] < pot.maxDist }.count
        XCTAssertGreaterThan(inside, 0, "the test needs pairs inside min_dist")
        XCTAssertGreaterThan(outside, 0, "and outside it")
        let ev = try Evaluator(pot)
        let e0 = try ev.evaluate(c, neighbors: nl)
        let h = 1e-6
        for a in 0..<c.atomCount {
            for comp in 0..<3 {
                var p = c, m = c
                p.positions[a][comp] += h; m.positions[a][comp] -= h
                let fd = -(try efs(pot, p).energy - efs(pot, m).energy) / (2 * h)
                XCTAssertEqual(e0.forces[a][comp], fd, accuracy: 1e-6 * max(1, abs(fd)), "F[\(a)][\(comp)]")
            }
        }
    }

    /// Both Jacobian kernels (the fast one a fit uses and the reference
    /// one) against central differences in every parameter, with pairs on
    /// both sides of min_dist.
    func testParameterDerivativesAgainstFiniteDifferences() throws {
        let c = JacobianKernelTests.cells(species: 2, seed: 3)[0]
        let pot = try potential(level: 12, species: 2, minDist: try minDistSplitting(c, cutoff: 4.2), type: .chebyshevRepulsive, seed: 8)
        let nl = try NeighborList(c, cutoff: pot.maxDist)
        let (_, fast) = try Evaluator(pot).derivatives(c, neighbors: nl)
        let (_, reference) = try Evaluator(pot).derivativesByTangents(c, neighbors: nl)
        // The two kernels agree to rounding ...
        for (a, b) in [(fast.energy, reference.energy), (fast.forces, reference.forces), (fast.virial, reference.virial)] {
            let scale = max(1e-12, b.map(abs).max() ?? 0)
            for x in a.indices { XCTAssertEqual(a[x], b[x], accuracy: 1e-10 * scale) }
        }
        // ... and central differences to their truncation error (the random
        // potential is strongly non-linear in its radial coefficients).
        try JacobianKernelTests.assertMatchCentralDifferences([fast, reference], potential: pot, config: c,
                                                              parameters: 0..<pot.parameterCount, tolerance: 1e-5)
    }

    func testFileKeepsTheTypeAndRejectsUnknownOnes() throws {
        let pot = try potential(minDist: 1.9, type: .chebyshevRepulsive)
        let text = MTPFile.format(pot)
        XCTAssertTrue(text.contains("radial_basis_type = RBChebyshev_repuls\n"))
        let back = try MTPFile.parse(text, file: "repuls.mtp")
        XCTAssertEqual(back.radialBasisType, .chebyshevRepulsive)
        XCTAssertEqual(back, pot)
        XCTAssertEqual(try MTPFile.parse(MTPFile.format(try potential(minDist: 1.9, type: .chebyshev)), file: "p.mtp").radialBasisType,
                       .chebyshev)
        let bad = text.replacingOccurrences(of: "RBChebyshev_repuls", with: "RBShapeev")
        XCTAssertThrowsError(try MTPFile.parse(bad, file: "bad.mtp")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("bad.mtp"), message)
            XCTAssertTrue(message.contains("RBShapeev"), message)
            XCTAssertTrue(message.contains("RBChebyshev_repuls"), message)
        }
        // The untrained potential of `mtp basis --radial-basis-type`.
        let untrained = try Potential.untrained(level: 8, speciesCount: 1, minDist: 2, maxDist: 5, radialBasisType: .chebyshevRepulsive)
        XCTAssertEqual(untrained.radialBasisType, .chebyshevRepulsive)
    }
}
