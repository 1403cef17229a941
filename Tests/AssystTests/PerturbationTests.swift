import XCTest
import Atomistic
@testable import Assyst

final class PerturbationTests: XCTestCase {
    /// A 4-atom orthorhombic crystal with room between the atoms.
    let crystal = Configuration(cell: [Vec3(4, 0, 0), Vec3(0.5, 4.5, 0), Vec3(0, 0.3, 5)], pbc: .all, species: [0, 0, 0, 0],
                                positions: [Vec3(0, 0, 0), Vec3(2.2, 2.1, 0.3), Vec3(0.3, 2.4, 2.6), Vec3(2.4, 0.2, 2.4)])

    /// The deformation gradient between two cells (rows): new = old F^T.
    func gradient(_ old: [Vec3], _ new: [Vec3]) -> Mat3 { (Mat3(old).inverse! * Mat3(new)).transposed }

    func testTriaxStrainIsDiagonalWithinTheAmplitude() {
        var options = PerturbationOptions(minDistance: 1)
        options.triaxAmplitude = 0.3
        var rng = AssystRandom(seed: 1)
        var largest = 0.0
        for _ in 0..<200 {
            let c = Perturbation.draw(crystal, kind: .triax, options: options, rng: &rng)
            let f = gradient(crystal.cell, c.cell)
            for i in 0..<3 {
                for j in 0..<3 where i != j { XCTAssertEqual(f[i][j], 0, accuracy: 1e-12) }
                XCTAssertLessThanOrEqual(abs(f[i][i] - 1), 0.3 + 1e-12)
                largest = max(largest, abs(f[i][i] - 1))
            }
            // Fractional coordinates unchanged.
            for (a, b) in zip(c.fractionalPositions(), crystal.fractionalPositions()) { XCTAssertEqual(norm(a - b), 0, accuracy: 1e-12) }
        }
        XCTAssertGreaterThan(largest, 0.28)
    }

    func testShearStrainIsSymmetricOffDiagonalWithinTheAmplitude() {
        var options = PerturbationOptions(minDistance: 1)
        options.shearAmplitude = 0.2
        var rng = AssystRandom(seed: 2)
        var largest = 0.0
        for _ in 0..<200 {
            let f = gradient(crystal.cell, Perturbation.draw(crystal, kind: .shear, options: options, rng: &rng).cell)
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
        var rng = AssystRandom(seed: 3)
        var sum = 0.0, count = 0
        for _ in 0..<500 {
            let c = Perturbation.draw(crystal, kind: .rattle, options: options, rng: &rng)
            let f = gradient(crystal.cell, c.cell)
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
        var rng = AssystRandom(seed: 5)
        var largestDiagonal = 0.0, largestShear = 0.0
        for _ in 0..<300 {
            let c = Perturbation.draw(crystal, kind: .strain, options: options, rng: &rng)
            let f = gradient(crystal.cell, c.cell)
            for i in 0..<3 { for j in 0..<3 {
                XCTAssertEqual(f[i][j], f[j][i], accuracy: 1e-12)
                XCTAssertLessThanOrEqual(abs(f[i][j] - (i == j ? 1 : 0)), 0.02 + 1e-12)
                if i == j { largestDiagonal = max(largestDiagonal, abs(f[i][i] - 1)) } else { largestShear = max(largestShear, abs(f[i][j])) }
            } }
            // A homogeneous strain: fractional coordinates unchanged.
            for (a, b) in zip(c.fractionalPositions(), crystal.fractionalPositions()) { XCTAssertEqual(norm(a - b), 0, accuracy: 1e-12) }
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
