import XCTest
import Foundation
import Atomistic
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

    /// Exact linear relations among the scalars of MLIP's own templates (and
    /// so of ours, which span the same space): relations that hold in three
    /// dimensions only, e.g. at level 16 Cayley-Hamilton for the 3x3 matrix
    /// M_{0,2} (whose trace is M_{0,0}) ties tr(M^4) to lower traces.
    static let fingerprint12: UInt64 = 351_756_290_092_165_309

    static let identities: [Int: Int] = [16: 1, 18: 2, 20: 6]

    // MARK: Helpers

    /// Generated bases, one per even level, shared by the tests (generation
    /// of level 28 takes about a second in a debug build).
    static var generated: [Int: MomentBasis] = [:]
    static func generatedBasis(_ level: Int) throws -> MomentBasis {
        if let b = generated[level] { return b }
        let b = try BasisGenerator.basis(level: level)
        generated[level] = b
        return b
    }

    /// A deterministic generator (SplitMix64), so failures reproduce.
    typealias Rng = SplitMix64

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
        let maxNu = basis.basic.map(\.nu).max() ?? 0
        // powers[(j * 3 + axis) * (maxNu + 1) + n] = (u_j[axis])^n
        var powers = [Double](repeating: 1, count: env.r.count * 3 * (maxNu + 1))
        for (j, rj) in env.r.enumerated() {
            let u = rj / (rj * rj).sum().squareRoot()
            for axis in 0..<3 {
                let o = (j * 3 + axis) * (maxNu + 1)
                for n in stride(from: 1, through: maxNu, by: 1) { powers[o + n] = powers[o + n - 1] * u[axis] }
            }
        }
        m.withUnsafeMutableBufferPointer { mp in
            powers.withUnsafeBufferPointer { pw in
                let w = maxNu + 1
                for (slot, b) in basis.basic.enumerated() {
                    var s = 0.0
                    for j in 0..<env.r.count {
                        s += env.f[b.mu][j] * pw[(j * 3) * w + b.a] * pw[(j * 3 + 1) * w + b.b] * pw[(j * 3 + 2) * w + b.c]
                    }
                    mp[slot] = s
                }
            }
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

    /// Numerical rank of the first n columns of a row-major `rows` x `cols`
    /// matrix, for every n (result[n - 1]): Gram-Schmidt over unit-normalised
    /// columns, orthogonalising a second time when a column lost most of its
    /// norm; a column counts when what is left of it exceeds `tol`.
    static func rankProfile(_ a: [Double], rows: Int, cols: Int, tol: Double = 1e-8) -> [Int] {
        var c = [Double](repeating: 0, count: rows * cols)     // column-major
        for j in 0..<cols {
            var n = 0.0
            for i in 0..<rows { n += a[i * cols + j] * a[i * cols + j] }
            n = n.squareRoot()
            for i in 0..<rows { c[j * rows + i] = n > 0 ? a[i * cols + j] / n : 0 }
        }
        var profile: [Int] = []
        var accepted = 0
        var q = [Double](repeating: 0, count: rows * cols)
        c.withUnsafeMutableBufferPointer { cp in
            q.withUnsafeMutableBufferPointer { qp in
                let cb = cp.baseAddress!, qb = qp.baseAddress!
                for j in 0..<cols {
                    let v = cb + j * rows
                    var before = 1.0, pass = 0, norm = 0.0
                    while true {
                        var b = 0
                        while b < accepted {
                            let w = qb + b * rows
                            var d = 0.0, i = 0
                            while i < rows { d += w[i] * v[i]; i += 1 }
                            i = 0
                            while i < rows { v[i] -= d * w[i]; i += 1 }
                            b += 1
                        }
                        norm = 0
                        var i = 0
                        while i < rows { norm += v[i] * v[i]; i += 1 }
                        norm = norm.squareRoot()
                        pass += 1
                        if pass == 2 || norm > 0.5 * before { break }
                        before = norm
                    }
                    if norm > tol {
                        let w = qb + accepted * rows
                        var i = 0
                        while i < rows { w[i] = v[i] / norm; i += 1 }
                        accepted += 1
                    }
                    profile.append(accepted)
                }
            }
        }
        return profile
    }

    static func rank(_ a: [Double], rows: Int, cols: Int) -> Int {
        rankProfile(a, rows: rows, cols: cols).last ?? 0
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
        }
        for level in stride(from: 2, through: 28, by: 2) {
            let expected = try XCTUnwrap(Self.table[level])
            let basis = try Self.generatedBasis(level)
            XCTAssertEqual(basis.scalarCount, expected.a, "A at level \(level)")
            XCTAssertEqual(basis.radialFuncsCount, expected.k, "basis K at level \(level)")
            XCTAssertNil(basis.firstInconsistency(), "level \(level)")
            XCTAssertTrue(basis.basic.allSatisfy { $0.mu <= BasisGenerator.maxMu && $0.nu <= BasisGenerator.maxNu })
            XCTAssertEqual(Set(basis.scalarSlots).count, basis.scalarCount, "scalar slots repeat at level \(level)")
            // Factors fit MLIP's int.
            XCTAssertTrue(basis.contractions.allSatisfy { $0.mult > 0 && $0.mult <= Int(Int32.max) })
        }
        XCTAssertThrowsError(try BasisGenerator.basis(level: 1))
        XCTAssertThrowsError(try BasisGenerator.basis(level: 29))
    }

    /// Our sizes agree with the templates' own, where we have them.
    func testCountsMatchTemplates() throws {
        for level in stride(from: 2, through: 20, by: 2) {
            let theirs = try template(level: level)
            let ours = try Self.generatedBasis(level)
            XCTAssertEqual(ours.scalarCount, theirs.scalarCount, "level \(level)")
            XCTAssertEqual(ours.radialFuncsCount, theirs.radialFuncsCount, "level \(level)")
            XCTAssertEqual(ours.basic.count, theirs.basic.count, "basic moments at level \(level)")
        }
    }

    /// A generated basis survives the .mtp format.
    func testRoundTripThroughMTPFile() throws {
        let basis = try Self.generatedBasis(14)
        let pot = Potential(speciesCount: 1, minDist: 0.5, maxDist: 5, radialBasisSize: 8, basis: basis)
        let back = try MTPFile.parse(MTPFile.format(pot), file: "generated-14.mtp")
        XCTAssertEqual(back.basis, basis)
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
        var rng = Rng(seed: 20_240_601)
        for level in [6, 10, 14, 18, 20, 22, 24, 26, 28] {
            let basis = try Self.generatedBasis(level)
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

    /// The radial degree of every scalar: how many times each f_mu enters
    /// it (a code, base 8 per mu), propagated from the basic moments.
    static func radialDegrees(_ basis: MomentBasis) -> [Int] {
        var code = [Int](repeating: -1, count: basis.momentsCount)
        for (slot, b) in basis.basic.enumerated() { code[slot] = 1 << (3 * b.mu) }
        for t in basis.contractions { code[t.k] = code[t.i] + code[t.j] }
        return basis.scalarSlots.map { code[$0] }
    }

    /// Ranks of our scalars, of `theirs`, and of both together, as functions
    /// sampled in random environments. A scalar is a polynomial in the
    /// radial values, homogeneous of its radial degree, so any linear relation
    /// holds within each degree: ranks are summed over degrees (small blocks,
    /// fast in a debug build).
    static func spanRanks(_ ours: MomentBasis, _ theirs: MomentBasis, _ rng: inout Rng)
        -> (ours: Int, theirs: Int, both: Int) {
        let dOurs = radialDegrees(ours), dTheirs = radialDegrees(theirs)
        var blocks: [Int: (ours: [Int], theirs: [Int])] = [:]
        for (n, d) in dOurs.enumerated() { blocks[d, default: ([], [])].ours.append(n) }
        for (n, d) in dTheirs.enumerated() { blocks[d, default: ([], [])].theirs.append(n) }
        let rows = (blocks.values.map { max($0.ours.count, $0.theirs.count) }.max() ?? 0) + 24
        var x: [[Double]] = [], y: [[Double]] = []
        for _ in 0..<rows {
            let env = randomEnvironment(&rng, k: max(ours.radialFuncsCount, theirs.radialFuncsCount),
                                        neighbours: 16 + Int(rng.next() % 8))
            x.append(scalars(ours, env))
            y.append(scalars(theirs, env))
        }
        var result = (ours: 0, theirs: 0, both: 0)
        for d in blocks.keys.sorted() {
            let (o, t) = blocks[d]!
            var both: [Double] = [], alone: [Double] = []
            for r in 0..<rows {
                for n in o { both.append(x[r][n]) }
                for n in t { both.append(y[r][n]); alone.append(y[r][n]) }
            }
            let profile = rankProfile(both, rows: rows, cols: o.count + t.count)
            result.ours += o.isEmpty ? 0 : profile[o.count - 1]
            result.both += profile.last ?? 0
            result.theirs += rank(alone, rows: rows, cols: t.count)
        }
        return result
    }

    /// Our scalars and MLIP's span the same space of functions: on random
    /// environments, the columns [ours | theirs] have the rank of each part,
    /// which is A less the known identities.
    func testSameFunctionSpaceAsMLIPTemplates() throws {
        var rng = Rng(seed: 7)
        for level in stride(from: 2, through: 20, by: 2) {
            let ours = try Self.generatedBasis(level)
            let theirs = try template(level: level)
            let a = ours.scalarCount
            XCTAssertEqual(theirs.scalarCount, a)
            let rank = a - (Self.identities[level] ?? 0)
            let r = Self.spanRanks(ours, theirs, &rng)
            XCTAssertEqual(r.ours, rank, "level \(level): rank of our scalars")
            XCTAssertEqual(r.theirs, rank, "level \(level): rank of MLIP's scalars")
            XCTAssertEqual(r.both, rank, "level \(level): the spans differ")
        }
    }

    /// The span test can fail: replace one of our functions by another of the
    /// same radial degree that MLIP does not have, or by a duplicate.
    func testSpanCheckDetectsAWrongFunction() throws {
        var rng = Rng(seed: 11)
        let ours = try Self.generatedBasis(12)
        let theirs = try template(level: 12)
        var wrong = ours
        // The x component of M_{0,1} in place of M_{0,0}.
        let m00 = try XCTUnwrap(ours.basic.firstIndex { $0.mu == 0 && $0.nu == 0 })
        let n = try XCTUnwrap(ours.scalarSlots.firstIndex(of: m00))
        wrong.scalarSlots[n] = try XCTUnwrap(ours.basic.firstIndex { $0.mu == 0 && $0.a == 1 })
        var r = Self.spanRanks(wrong, theirs, &rng)
        XCTAssertGreaterThan(r.both, ours.scalarCount)
        // A repeated function: our rank drops.
        wrong = ours
        wrong.scalarSlots[wrong.scalarCount - 1] = wrong.scalarSlots[wrong.scalarCount - 2]
        r = Self.spanRanks(wrong, theirs, &rng)
        XCTAssertEqual(r.ours, ours.scalarCount - 1)
        XCTAssertEqual(r.theirs, ours.scalarCount)
    }

    func testGenerationIsDeterministic() throws {
        for level in [12, 22] {
            let a = try BasisGenerator.basis(level: level)
            let b = try BasisGenerator.basis(level: level)
            XCTAssertEqual(a, b, "level \(level)")
        }
        // Odd levels give the basis of the level below.
        XCTAssertEqual(try BasisGenerator.basis(level: 13), try BasisGenerator.basis(level: 12))
        XCTAssertEqual(try BasisGenerator.basis(level: 3), try BasisGenerator.basis(level: 2))
        // Across processes too (no dependence on hashing seeds): a fingerprint
        // of level 12 as generated when this test was written.
        let b = try Self.generatedBasis(12)
        var h: UInt64 = 1469598103934665603
        func mix(_ v: Int) { h = (h ^ UInt64(bitPattern: Int64(v))) &* 1099511628211 }
        for m in b.basic { mix(m.mu); mix(m.a); mix(m.b); mix(m.c) }
        for t in b.contractions { mix(t.i); mix(t.j); mix(t.mult); mix(t.k) }
        b.scalarSlots.forEach(mix)
        XCTAssertEqual([b.basic.count, b.contractions.count, b.momentsCount], [46, 129, 87])
        XCTAssertEqual(h, Self.fingerprint12, "level 12 basis changed (update the fingerprint if intended)")
    }
}
