import XCTest
import Foundation
@testable import MTP

/// Tests of the generated moment bases: sizes against MLIP's templates
/// (table of docs/mtp-model.md), rotation invariance, the same function
/// space as MLIP's templates, determinism.
final class BasisGeneratorTests: XCTestCase {
    /// level: (K, A) of MLIP's shipped templates.
    static let table: [Int: (k: Int, a: Int)] = [
        2: (1, 1), 4: (1, 2), 6: (2, 5), 8: (2, 9), 10: (3, 16), 12: (3, 29), 14: (4, 52),
        16: (4, 92), 18: (5, 163), 20: (5, 288), 22: (6, 500), 24: (6, 864), 26: (6, 1464), 28: (6, 2445),
    ]

    // MARK: Helpers

    /// A deterministic generator (SplitMix64), so failures reproduce.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func uniform(_ lo: Double = 0, _ hi: Double = 1) -> Double {
            lo + (hi - lo) * Double(next() >> 11) / Double(1 << 53)
        }
        mutating func normal() -> Double {
            let u = max(uniform(), 1e-300), v = uniform()
            return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
        }
    }

    /// A random environment: neighbour vectors and radial values f[mu][j].
    struct Environment { var r: [SIMD3<Double>]; var f: [[Double]] }

    static func randomEnvironment(_ rng: inout Rng, k: Int, neighbours: Int) -> Environment {
        var r: [SIMD3<Double>] = []
        for _ in 0..<neighbours {
            let d = rng.uniform(1.5, 5)
            var u = SIMD3(rng.normal(), rng.normal(), rng.normal())
            u /= (u * u).sum().squareRoot()
            r.append(d * u)
        }
        let f = (0..<k).map { _ in (0..<neighbours).map { _ in rng.uniform(-1, 1) } }
        return Environment(r: r, f: f)
    }

    /// Every moment slot of `basis` in environment `env`: basic moments
    /// sum_j f_mu(r_j) (x/r)^a (y/r)^b (z/r)^c, then the contractions in order.
    static func moments(_ basis: MomentBasis, _ env: Environment) -> [Double] {
        var m = [Double](repeating: 0, count: basis.momentsCount)
        for (slot, b) in basis.basic.enumerated() {
            var s = 0.0
            for (j, rj) in env.r.enumerated() {
                let u = rj / (rj * rj).sum().squareRoot()
                s += env.f[b.mu][j] * pow(u.x, Double(b.a)) * pow(u.y, Double(b.b)) * pow(u.z, Double(b.c))
            }
            m[slot] = s
        }
        m.withUnsafeMutableBufferPointer { mp in
            for t in basis.contractions { mp[t.k] += Double(t.mult) * mp[t.i] * mp[t.j] }
        }
        return m
    }

    static func scalars(_ basis: MomentBasis, _ env: Environment) -> [Double] {
        let m = moments(basis, env)
        return basis.scalarSlots.map { m[$0] }
    }

    /// A random rotation matrix (rows), from a random unit quaternion.
    static func randomRotation(_ rng: inout Rng) -> [SIMD3<Double>] {
        var q = SIMD4(rng.normal(), rng.normal(), rng.normal(), rng.normal())
        q /= (q * q).sum().squareRoot()
        let (w, x, y, z) = (q[0], q[1], q[2], q[3])
        return [
            SIMD3(1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)),
            SIMD3(2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)),
            SIMD3(2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)),
        ]
    }

    /// Numerical rank of the columns of a row-major `rows` x `cols` matrix:
    /// modified Gram-Schmidt (two passes) over unit-normalised columns; a
    /// column counts when what is left of it exceeds `tol`.
    static func rank(_ a: [Double], rows: Int, cols: Int, tol: Double = 1e-7) -> Int {
        // Column-major copy, normalised.
        var c = [Double](repeating: 0, count: rows * cols)
        for j in 0..<cols {
            var n = 0.0
            for i in 0..<rows { n += a[i * cols + j] * a[i * cols + j] }
            n = n.squareRoot()
            for i in 0..<rows { c[j * rows + i] = n > 0 ? a[i * cols + j] / n : 0 }
        }
        var accepted = 0
        c.withUnsafeMutableBufferPointer { p in
            var q = [Double](repeating: 0, count: rows * cols)
            q.withUnsafeMutableBufferPointer { qp in
                for j in 0..<cols {
                    let v = p.baseAddress! + j * rows
                    for _ in 0..<2 {
                        for b in 0..<accepted {
                            let w = qp.baseAddress! + b * rows
                            var d = 0.0
                            for i in 0..<rows { d += w[i] * v[i] }
                            for i in 0..<rows { v[i] -= d * w[i] }
                        }
                    }
                    var n = 0.0
                    for i in 0..<rows { n += v[i] * v[i] }
                    n = n.squareRoot()
                    if n > tol {
                        let w = qp.baseAddress! + accepted * rows
                        for i in 0..<rows { w[i] = v[i] / n }
                        accepted += 1
                    }
                }
            }
        }
        return accepted
    }

    func template(level: Int) throws -> MomentBasis {
        let name = String(format: "initial-%02d", level)
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "mtp",
                                                  subdirectory: "Fixtures/templates"),
                                "missing fixture \(name).mtp")
        return try MTPFile.read(path: url.path).basis
    }

    // MARK: Tests

    func testCountsMatchMLIPTable() throws {
        for level in 2...28 {
            let even = level - level % 2
            let expected = try XCTUnwrap(Self.table[even])
            XCTAssertEqual(BasisGenerator.radialFuncsCount(level: level), expected.k, "K at level \(level)")
            let basis = try BasisGenerator.basis(level: level)
            XCTAssertEqual(basis.scalarCount, expected.a, "A at level \(level)")
            XCTAssertEqual(basis.radialFuncsCount, expected.k, "basis K at level \(level)")
            XCTAssertNil(basis.firstInconsistency(), "level \(level)")
            XCTAssertTrue(basis.basic.allSatisfy { $0.mu <= BasisGenerator.maxMu && $0.nu <= BasisGenerator.maxNu })
            XCTAssertEqual(Set(basis.scalarSlots).count, basis.scalarCount, "scalar slots repeat at level \(level)")
        }
        XCTAssertThrowsError(try BasisGenerator.basis(level: 1))
        XCTAssertThrowsError(try BasisGenerator.basis(level: 29))
    }

    /// Our sizes agree with the templates' own, where we have them.
    func testCountsMatchTemplates() throws {
        for level in stride(from: 2, through: 20, by: 2) {
            let theirs = try template(level: level)
            let ours = try BasisGenerator.basis(level: level)
            XCTAssertEqual(ours.scalarCount, theirs.scalarCount, "level \(level)")
            XCTAssertEqual(ours.radialFuncsCount, theirs.radialFuncsCount, "level \(level)")
            XCTAssertEqual(ours.basic.count, theirs.basic.count, "basic moments at level \(level)")
        }
    }

    /// Graphs: one per isomorphism class, each of the right level and degrees.
    func testGraphsAreDistinctAndWellFormed() {
        for level in [8, 16] {
            let graphs = BasisGenerator.graphs(level: level)
            for g in graphs {
                let n = g.labels.count
                XCTAssertLessThanOrEqual(n, 4)
                let lev = g.labels.reduce(0) { $0 + 2 + 4 * $1.mu + $1.nu }
                XCTAssertLessThanOrEqual(lev, level)
                for v in 0..<n {
                    XCTAssertEqual(g.edges[v][v], 0)
                    XCTAssertEqual(g.edges[v].reduce(0, +), g.labels[v].nu)
                }
            }
        }
    }

    func testScalarsAreRotationInvariant() throws {
        var rng = Rng(state: 20_240_601)
        for level in [6, 10, 14, 18, 20, 22, 24] {
            let basis = try BasisGenerator.basis(level: level)
            for _ in 0..<2 {
                let env = Self.randomEnvironment(&rng, k: basis.radialFuncsCount, neighbours: 12)
                let rot = Self.randomRotation(&rng)
                var turned = env
                turned.r = env.r.map { v in SIMD3((rot[0] * v).sum(), (rot[1] * v).sum(), (rot[2] * v).sum()) }
                let a = Self.scalars(basis, env), b = Self.scalars(basis, turned)
                var worst = 0.0, worstIndex = 0
                for n in a.indices {
                    let rel = abs(a[n] - b[n]) / max(abs(a[n]), abs(b[n]), 1e-300)
                    if rel > worst { worst = rel; worstIndex = n }
                }
                XCTAssertLessThan(worst, 1e-10, "level \(level): scalar \(worstIndex) changes under rotation")
                // The test must be able to fail: a non-scalar slot does change.
                let m1 = Self.moments(basis, env), m2 = Self.moments(basis, turned)
                if let x = basis.basic.firstIndex(where: { $0.nu == 1 }) {
                    XCTAssertGreaterThan(abs(m1[x] - m2[x]), 1e-6)
                }
            }
        }
    }

    /// Our scalars and MLIP's span the same space of functions: on random
    /// environments, the columns [ours | theirs] have the rank of each part.
    func testSameFunctionSpaceAsMLIPTemplates() throws {
        var rng = Rng(state: 7)
        for level in stride(from: 2, through: 20, by: 2) {
            let ours = try BasisGenerator.basis(level: level)
            let theirs = try template(level: level)
            let a = ours.scalarCount
            XCTAssertEqual(theirs.scalarCount, a)
            let rows = a + 24
            var matrix: [Double] = [], ourCols: [Double] = [], theirCols: [Double] = []
            for _ in 0..<rows {
                let env = Self.randomEnvironment(&rng, k: ours.radialFuncsCount,
                                                 neighbours: 16 + Int(rng.next() % 8))
                let x = Self.scalars(ours, env), y = Self.scalars(theirs, env)
                ourCols += x
                theirCols += y
                matrix += x
                matrix += y
            }
            let rOurs = Self.rank(ourCols, rows: rows, cols: a)
            let rTheirs = Self.rank(theirCols, rows: rows, cols: a)
            let rBoth = Self.rank(matrix, rows: rows, cols: 2 * a)
            XCTAssertEqual(rOurs, a, "level \(level): our scalars are not independent")
            XCTAssertEqual(rTheirs, a, "level \(level): MLIP's scalars are not independent")
            XCTAssertEqual(rBoth, a, "level \(level): the spans differ")
        }
    }

    /// The span test can fail: drop one of our functions for another
    /// function of the same level that MLIP does not have.
    func testSpanCheckDetectsAWrongFunction() throws {
        var rng = Rng(state: 11)
        let ours = try BasisGenerator.basis(level: 8)
        let theirs = try template(level: 8)
        var wrong = ours
        // Replace the last scalar with a rotation-dependent component (x).
        wrong.scalarSlots[wrong.scalarCount - 1] = try XCTUnwrap(ours.basic.firstIndex { $0.nu == 1 })
        let a = ours.scalarCount, rows = a + 24
        var matrix: [Double] = []
        for _ in 0..<rows {
            let env = Self.randomEnvironment(&rng, k: ours.radialFuncsCount, neighbours: 16)
            matrix += Self.scalars(wrong, env) + Self.scalars(theirs, env)
        }
        XCTAssertGreaterThan(Self.rank(matrix, rows: rows, cols: 2 * a), a)
    }

    func testGenerationIsDeterministic() throws {
        for level in [12, 22] {
            let a = try BasisGenerator.basis(level: level)
            let b = try BasisGenerator.basis(level: level)
            XCTAssertEqual(a, b, "level \(level)")
        }
        // Odd levels give the basis of the level below.
        XCTAssertEqual(try BasisGenerator.basis(level: 13), try BasisGenerator.basis(level: 12))
    }
}
