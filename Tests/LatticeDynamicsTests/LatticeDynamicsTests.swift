import XCTest
import Atomistic
import Reference
@testable import LatticeDynamics

/// A harmonic solid: E = u^T K u / 2 about fixed positions, F = -K u, so the
/// force constants are K exactly and central differences find them to rounding.
private struct HarmonicCalculator: Calculator {
    var rest: [Vec3]
    var k: [Double]              // 3n x 3n, symmetric, row-major
    var forceCount: Int? = nil   // to return a wrong number of forces
    var poison = false           // to return a NaN force
    var name: String { "harmonic" }
    var cutoff: Double { 3 }
    func calculate(_ config: Configuration) throws -> Labels {
        let n = rest.count
        var u = [Double](repeating: 0, count: 3 * n)
        for a in 0..<n { for c in 0..<3 { u[3 * a + c] = config.positions[a][c] - rest[a][c] } }
        var forces = [Vec3](repeating: .zero, count: forceCount ?? n)
        var energy = 0.0
        for r in 0..<(3 * n) {
            var f = 0.0
            for c in 0..<(3 * n) { f -= k[r * 3 * n + c] * u[c] }
            energy -= 0.5 * u[r] * f
            if r / 3 < forces.count { forces[r / 3][r % 3] = f }
        }
        if poison { forces[0].x = .nan }
        return Labels(energy: energy, forces: forces, virial: .zero)
    }
}

final class LatticeDynamicsTests: XCTestCase {
    /// A 3-atom cell and a random symmetric K.
    private func harmonic() -> (Configuration, HarmonicCalculator) {
        var rng = SplitMix64(seed: 7)
        let positions = [Vec3(0, 0, 0), Vec3(1.1, 0.2, 0.3), Vec3(0.4, 1.5, 0.9)]
        let config = Configuration(cell: [Vec3(3, 0, 0), Vec3(0, 3, 0), Vec3(0, 0, 3)], pbc: .all,
                                   species: [0, 0, 0], positions: positions)
        let d = 9
        var k = [Double](repeating: 0, count: d * d)
        for r in 0..<d { for c in r..<d {
            let v = Double(rng.next() % 2001) / 1000 - 1
            k[r * d + c] = v; k[c * d + r] = v
        }}
        return (config, HarmonicCalculator(rest: positions, k: k))
    }

    func testCentralDifferencesGiveTheHarmonicForceConstantsOfTheDisplacedAtoms() throws {
        let (config, calc) = harmonic()
        for nb in [1, 2, 3] {
            let phi = try ForceConstants.centralDifferences(of: config, displacedAtoms: nb, step: 0.01, calculator: calc)
            XCTAssertEqual(phi.count, 3 * nb * 9)
            for r in 0..<(3 * nb) {
                for c in 0..<9 { XCTAssertEqual(phi[r * 9 + c], calc.k[r * 9 + c], accuracy: 1e-9, "nb \(nb) (\(r), \(c))") }
            }
        }
        XCTAssertEqual(ForceConstants.displaced(config, atom: 2, axis: 1, by: -0.01).positions[2].y, 1.49, accuracy: 1e-15)
        XCTAssertEqual(ForceConstants.displaced(config, atom: 2, axis: 1, by: -0.01).positions[1], config.positions[1])
    }

    func testWrongForceCountsAndNonFiniteForcesAreErrorsThatSayWhich() throws {
        let (config, good) = harmonic()
        var short = good
        short.forceCount = 2
        XCTAssertThrowsError(try ForceConstants.centralDifferences(of: config, displacedAtoms: 1, step: 0.01, calculator: short)) {
            XCTAssertEqual("\($0)", "harmonic returned 2 and 2 forces for 3 atoms (atom 0 displaced along x)")
        }
        var bad = good
        bad.poison = true
        XCTAssertThrowsError(try ForceConstants.centralDifferences(of: config, displacedAtoms: 1, step: 0.01, calculator: bad)) {
            XCTAssertEqual("\($0)", "non-finite forces from harmonic")
        }
    }

    /// A 2x2 Hermitian matrix [[2, 1 - i], [1 + i, 3]]: eigenvalues (5 -+ sqrt 9) / 2 = 1 and 4.
    func testEigenvaluesAndVectorsOfAHermitianMatrix() throws {
        // Column-major interleaved: (0,0) (1,0) (0,1) (1,1).
        var m: [Double] = [2, 0, 1, 1, 1, -1, 3, 0]
        let original = m
        var solver = HermitianEigensolver(dimension: 2)
        let values = try solver.solve(&m, vectors: true)
        XCTAssertEqual(values[0], 1, accuracy: 1e-12)
        XCTAssertEqual(values[1], 4, accuracy: 1e-12)
        // M v = lambda v and |v| = 1 for each column.
        for col in 0..<2 {
            let v = (0..<2).map { (re: m[2 * ($0 + 2 * col)], im: m[2 * ($0 + 2 * col) + 1]) }
            XCTAssertEqual(v.map { $0.re * $0.re + $0.im * $0.im }.reduce(0, +), 1, accuracy: 1e-12)
            for r in 0..<2 {
                var re = 0.0, im = 0.0
                for c in 0..<2 {
                    let a = (re: original[2 * (r + 2 * c)], im: original[2 * (r + 2 * c) + 1])
                    re += a.re * v[c].re - a.im * v[c].im
                    im += a.re * v[c].im + a.im * v[c].re
                }
                XCTAssertEqual(re, values[col] * v[r].re, accuracy: 1e-12)
                XCTAssertEqual(im, values[col] * v[r].im, accuracy: 1e-12)
            }
        }
    }

    /// Finite differences leave M slightly non-Hermitian: the answer is that of
    /// (M + M^H) / 2, the same whichever triangle carries the asymmetry.
    func testTheHermitianPartIsSolvedWhicheverTriangleIsOff() throws {
        var solver = HermitianEigensolver(dimension: 2)
        var upperOff: [Double] = [2, 0, 1, 1, 1.2, -1.2, 3, 0]   // (0,1) off by (0.2, -0.2)
        var lowerOff: [Double] = [2, 0, 1.2, 1.2, 1, -1, 3, 0]   // (1,0) off by (0.2, 0.2) conjugated
        var part: [Double] = [2, 0, 1.1, 1.1, 1.1, -1.1, 3, 0]
        let a = try solver.solve(&upperOff, vectors: false)
        let b = try solver.solve(&lowerOff, vectors: false)
        let c = try solver.solve(&part, vectors: false)
        for i in 0..<2 {
            XCTAssertEqual(a[i], c[i], accuracy: 1e-12)
            XCTAssertEqual(b[i], c[i], accuracy: 1e-12)
        }
        XCTAssertLessThan(c[0], 1)   // |off-diagonal| grew from sqrt 2 to 1.1 sqrt 2
    }
}
