import XCTest
import Atomistic
@testable import Assyst

final class PerturbationTests: XCTestCase {
    /// A 4-atom orthorhombic crystal with room between the atoms.
    let crystal = Configuration(cell: [Vec3(4, 0, 0), Vec3(0.5, 4.5, 0), Vec3(0, 0.3, 5)], pbc: .all, species: [0, 0, 0, 0],
                                positions: [Vec3(0, 0, 0), Vec3(2.2, 2.1, 0.3), Vec3(0.3, 2.4, 2.6), Vec3(2.4, 0.2, 2.4)])

    /// The deformation gradient between two cells (rows): new = old F^T.
    func gradient(_ old: [Vec3], _ new: [Vec3]) -> Mat3 { (Mat3(old).inverse! * Mat3(new)).transposed }

    /// `count` draws of `kind` from the stream of `seed`, each with its
    /// deformation gradient from the crystal.
    func draws(_ kind: PerturbationKind, _ options: PerturbationOptions, seed: UInt64, count: Int) -> [(copy: Configuration, f: Mat3)] {
        var rng = AssystRandom(seed: seed)
        return (0..<count).map { _ in
            let c = Perturbation.draw(crystal, kind: kind, options: options, rng: &rng)
            return (c, gradient(crystal.cell, c.cell))
        }
    }

    /// A homogeneous strain: the copy's fractional coordinates are the crystal's.
    func assertFractionalCoordinatesUnchanged(_ c: Configuration, line: UInt = #line) {
        for (a, b) in zip(c.fractionalPositions(), crystal.fractionalPositions()) { XCTAssertEqual(norm(a - b), 0, accuracy: 1e-12, line: line) }
    }

    func testTriaxStrainIsDiagonalWithinTheAmplitude() {
        var options = PerturbationOptions(minDistance: 1)
        options.triaxAmplitude = 0.3
        var largest = 0.0
        for (c, f) in draws(.triax, options, seed: 1, count: 200) {
            for i in 0..<3 {
                for j in 0..<3 where i != j { XCTAssertEqual(f[i][j], 0, accuracy: 1e-12) }
                XCTAssertLessThanOrEqual(abs(f[i][i] - 1), 0.3 + 1e-12)
                largest = max(largest, abs(f[i][i] - 1))
            }
            assertFractionalCoordinatesUnchanged(c)
        }
        XCTAssertGreaterThan(largest, 0.28)
    }

    func testShearStrainIsSymmetricOffDiagonalWithinTheAmplitude() {
        var options = PerturbationOptions(minDistance: 1)
        options.shearAmplitude = 0.2
        var largest = 0.0
        for (_, f) in draws(.shear, options, seed: 2, count: 200) {
            for i in 0..<3 {
                XCTAssertEqual(f[i][i], 1, accuracy: 1e-12)
                for j in 0..<3 where i != j {
                    XCTAssertEqual(f[i][j], f[j][i], accuracy: 1e-12)
                    XCTAssertLessThanOrEqual(abs(f[i][j]), 0.2 + 1e-12)
                    largest = max(largest, abs(f[i][j]))
                }
            }
        }
        XCTAssertGreaterThan(largest, 0.19)
    }

    func testRattleDisplacementsHaveTheRequestedMeanAndStrainStaysSmall() {
        let options = PerturbationOptions(minDistance: 1)   // 0.5 A mean, 5% strain
        var sum = 0.0, count = 0
        for (c, f) in draws(.rattle, options, seed: 3, count: 500) {
            for i in 0..<3 { for j in 0..<3 {
                XCTAssertLessThanOrEqual(abs(f[i][j] - (i == j ? 1 : 0)), 0.05 + 1e-12)
            } }
            // Displacement = new position - strained old position, nearest image.
            let inverse = Mat3(c.cell).inverse!
            for (old, new) in zip(crystal.positions, c.positions) {
                let d = periodicDifference(rowTimes(new, inverse), rowTimes(f.apply(old), inverse))
                sum += norm(rowTimes(d, Mat3(c.cell))); count += 1
            }
        }
        XCTAssertEqual(sum / Double(count), 0.5, accuracy: 0.02)
    }

    func testStrainIsASmallSymmetricStrainOfEveryComponent() {
        let options = PerturbationOptions(minDistance: 1)   // 2%
        var largestDiagonal = 0.0, largestShear = 0.0
        for (c, f) in draws(.strain, options, seed: 5, count: 300) {
            for i in 0..<3 { for j in 0..<3 {
                XCTAssertEqual(f[i][j], f[j][i], accuracy: 1e-12)
                XCTAssertLessThanOrEqual(abs(f[i][j] - (i == j ? 1 : 0)), 0.02 + 1e-12)
                if i == j { largestDiagonal = max(largestDiagonal, abs(f[i][i] - 1)) } else { largestShear = max(largestShear, abs(f[i][j])) }
            } }
            assertFractionalCoordinatesUnchanged(c)
        }
        XCTAssertGreaterThan(largestDiagonal, 0.019)
        XCTAssertGreaterThan(largestShear, 0.019)
    }

    func testPerturbedCopiesKeepTheMinimumDistanceOrAreDropped() {
        var options = PerturbationOptions(minDistance: 2.5)
        options.tries = 50
        var rng = AssystRandom(seed: 4)
        var kept = 0
        for kind in PerturbationKind.allCases {
            for _ in 0..<20 {
                guard let c = Perturbation.perturb(crystal, kind: kind, options: options, rng: &rng) else { continue }
                kept += 1
                XCTAssertGreaterThanOrEqual(bruteForceShortest(c), 2.5)
                XCTAssertNil(c.energy)
            }
        }
        XCTAssertGreaterThan(kept, 30)
        // Impossible: no copy, rather than a copy that breaks the rule.
        options.minDistance = 10
        options.tries = 5
        XCTAssertNil(Perturbation.perturb(crystal, kind: .rattle, options: options, rng: &rng))
    }
}
