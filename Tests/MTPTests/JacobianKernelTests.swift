import XCTest
import Atomistic
@testable import MTP

/// The fast Jacobian kernel (sparse dB/dm and Hessian, dense products)
/// against the reference kernel (forward tangents through the whole graph)
/// at levels 8-28, one and three species, in cells where every neighbour is
/// an image, where images of one atom repeat, and with several blocks.
final class JacobianKernelTests: XCTestCase {
    /// A potential of `level` with `species` species and random parameters
    /// of realistic size (radial ~1e-1, moments decreasing with level).
    static func randomPotential(level: Int, species: Int, cutoff: Double = 4.2, seed: UInt64) throws -> Potential {
        var pot = try Potential.untrained(level: level, speciesCount: species, minDist: 1.2, maxDist: cutoff)
        var rng = BasisGeneratorTests.Rng(seed: seed)
        pot.radialCoeffs = (0..<pot.radialCoeffCount).map { _ in rng.uniform(-0.3, 0.3) }
        pot.speciesCoeffs = (0..<species).map { _ in rng.uniform(-3, -1) }
        pot.momentCoeffs = (0..<pot.basis.scalarCount).map { _ in rng.uniform(-1, 1) }
        return pot
    }

    /// A sheared 3-atom cell (few atoms, many images) and a 2x2x2 bcc
    /// supercell with rattled atoms (16 atoms).
    static func cells(species s: Int, seed: UInt64) -> [Configuration] {
        var g = BasisGeneratorTests.Rng(seed: seed)
        var sheared = Configuration(cell: [Vec3(3.9, 0, 0), Vec3(2.4, 3.6, 0), Vec3(-1.7, 1.2, 3.7)], pbc: .all,
                                    species: (0..<3).map { $0 % s },
                                    positions: [Vec3(0, 0, 0), Vec3(1.9, 1.1, 0.9), Vec3(0.3, 2.4, 2.1)])
        for a in 0..<3 { sheared.positions[a] += Vec3(g.uniform(-0.15, 0.15), g.uniform(-0.15, 0.15), g.uniform(-0.15, 0.15)) }
        var positions: [Vec3] = []
        for x in 0..<2 { for y in 0..<2 { for z in 0..<2 {
            let o = Vec3(Double(x), Double(y), Double(z)) * 3.1
            positions.append(o + Vec3(g.uniform(-0.1, 0.1), g.uniform(-0.1, 0.1), g.uniform(-0.1, 0.1)))
            positions.append(o + Vec3(1.55, 1.55, 1.55) + Vec3(g.uniform(-0.1, 0.1), g.uniform(-0.1, 0.1), g.uniform(-0.1, 0.1)))
        }}}
        let bcc = Configuration(cell: [Vec3(6.2, 0, 0), Vec3(0, 6.2, 0), Vec3(0, 0, 6.2)], pbc: .all,
                                species: positions.indices.map { ($0 * 7 + 1) % s }, positions: positions)
        return [sheared, bcc]
    }

    func assertSame(_ pot: Potential, _ c: Configuration, _ label: String, blockBudget: Int? = nil,
                    blockAtoms: Int? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let ev = try Evaluator(pot)
        let nl = try NeighborList(c, cutoff: ev.cutoff)
        let saved = (JacobianWorkspace.blockBudgetBytes, JacobianWorkspace.blockAtoms)
        if let b = blockBudget { JacobianWorkspace.blockBudgetBytes = b }
        if let a = blockAtoms { JacobianWorkspace.blockAtoms = a }
        defer { (JacobianWorkspace.blockBudgetBytes, JacobianWorkspace.blockAtoms) = saved }
        let (e1, d1) = try ev.derivatives(c, neighbors: nl)
        let (e2, d2) = try ev.derivativesByTangents(c, neighbors: nl)
        XCTAssertEqual(e1.energy, e2.energy, accuracy: 1e-11 * max(1, abs(e2.energy)), label, file: file, line: line)
        for (x, y) in zip(e1.forces, e2.forces) {
            XCTAssertEqual(norm(x - y), 0, accuracy: 1e-10 * max(1, norm(y)), label, file: file, line: line)
        }
        XCTAssertEqual(e1.virial.voigt, e2.virial.voigt, accuracy: 1e-9, label, file: file, line: line)
        func compare(_ a: [Double], _ b: [Double], _ what: String) {
            XCTAssertEqual(a.count, b.count)
            let scale = max(1e-12, b.map(abs).max() ?? 0)
            var worst = 0.0, at = 0
            for x in a.indices where abs(a[x] - b[x]) > worst { worst = abs(a[x] - b[x]); at = x }
            XCTAssertLessThan(worst / scale, 1e-10, "\(label) \(what): entry \(at) \(a[at]) vs \(b[at])", file: file, line: line)
        }
        compare(d1.energy, d2.energy, "dE")
        compare(d1.forces, d2.forces, "dF")
        compare(d1.virial, d2.virial, "dW")
    }

    func testLowAndMiddleLevelsOneAndThreeSpecies() throws {
        for level in [8, 12, 16] {
            for species in [1, 3] {
                let pot = try Self.randomPotential(level: level, species: species, seed: UInt64(level * 10 + species))
                for (n, c) in Self.cells(species: species, seed: 3).enumerated() {
                    try assertSame(pot, c, "level \(level), \(species) species, cell \(n)")
                }
            }
        }
    }

    /// One atom per block (a tiny budget) gives the same numbers as one block.
    func testBlocksOfOneAtom() throws {
        let pot = try Self.randomPotential(level: 12, species: 2, seed: 5)
        let bcc = Self.cells(species: 2, seed: 4)[1]
        try assertSame(pot, bcc, "blocks of one atom", blockBudget: 1)
    }

    /// Blocks of three atoms (lanes partly empty, a species split over
    /// blocks) and of the whole cell (several chunks of lanes) give the
    /// same numbers as blocks of eight.
    func testBlocksOfThreeAtomsAndOfTheWholeCell() throws {
        let pot = try Self.randomPotential(level: 12, species: 3, seed: 6)
        let bcc = Self.cells(species: 3, seed: 5)[1]
        try assertSame(pot, bcc, "blocks of three atoms", blockAtoms: 3)
        try assertSame(pot, bcc, "one block", blockAtoms: 64)
        let one = try Self.randomPotential(level: 16, species: 1, seed: 7)
        try assertSame(one, Self.cells(species: 1, seed: 5)[1], "one species, blocks of three atoms", blockAtoms: 3)
    }

    /// Every atom in exactly one block, one species per block, at most the
    /// limit per block, and only the last block of a species short of it
    /// (in a small cell the force-column limit never closes a block).
    func testBlocksPartitionTheAtomsBySpecies() throws {
        for species in [1, 3] {
            let c = Self.cells(species: species, seed: 4)[1]
            let nl = try NeighborList(c, cutoff: 4.2)
            for limit in [1, 3, 8, 64] {
                let blocks = AtomBlocks(c, nl, cutoff: 4.2, basicCount: 100, budgetBytes: 64 << 20, atomLimit: limit).blocks
                XCTAssertEqual(blocks.flatMap { $0 }.sorted(), Array(0..<c.atomCount), "limit \(limit)")
                for b in blocks {
                    XCTAssertLessThanOrEqual(b.count, limit)
                    XCTAssertEqual(Set(b.map { c.species[$0] }).count, 1, "block \(b) mixes species")
                    XCTAssertEqual(b, b.sorted())
                }
                let perSpecies = Dictionary(grouping: c.species, by: { $0 }).values.map(\.count)
                XCTAssertEqual(blocks.count, perSpecies.map { ($0 + limit - 1) / limit }.reduce(0, +), "limit \(limit)")
            }
        }
    }

    func testHighLevels() throws {
        for (level, species) in [(20, 1), (24, 1), (24, 3), (28, 1)] {
            let pot = try Self.randomPotential(level: level, species: species, cutoff: 3.6, seed: UInt64(level + species))
            let c = Self.cells(species: species, seed: 9)[0]
            try assertSame(pot, c, "level \(level), \(species) species")
        }
    }

    /// Level 24 with three species (1,299 parameters): the derivatives of
    /// energy, forces and virial against central differences of the
    /// evaluator, for every 5th parameter, on a small configuration.
    func testThreeSpeciesLevel24AgainstFiniteDifferences() throws {
        let pot = try Self.randomPotential(level: 24, species: 3, cutoff: 3.6, seed: 11)
        let c = Self.cells(species: 3, seed: 2)[0]
        let nl = try NeighborList(c, cutoff: pot.maxDist)
        let (_, d) = try Evaluator(pot).derivatives(c, neighbors: nl)
        let P = pot.parameterCount
        XCTAssertEqual(P, 3 * 3 * 6 * 8 + 3 + 864)
        try Self.assertMatchCentralDifferences([d], potential: pot, config: c, parameters: stride(from: 0, to: P, by: 5),
                                               tolerance: 1e-6)
    }

    /// Each of `derivatives` (of `config` under `potential`) against central
    /// differences of the evaluator's energy, forces and virial in every
    /// parameter listed (step 1e-6 x max(1, |theta|)), to `tolerance`
    /// relative to the difference (absolute below 1).
    static func assertMatchCentralDifferences(_ derivatives: [EFSDerivatives], potential: Potential, config c: Configuration,
                                              parameters: some Sequence<Int>, tolerance: Double,
                                              file: StaticString = #filePath, line: UInt = #line) throws {
        var pot = potential
        let theta = pot.parameters, P = theta.count
        let nl = try NeighborList(c, cutoff: pot.maxDist)
        for x in parameters {
            let h = 1e-6 * max(1, abs(theta[x]))
            var plus = theta, minus = theta
            plus[x] += h; minus[x] -= h
            pot.parameters = plus
            let ep = try Evaluator(pot).evaluate(c, neighbors: nl)
            pot.parameters = minus
            let em = try Evaluator(pot).evaluate(c, neighbors: nl)
            let dE = (ep.energy - em.energy) / (2 * h)
            for d in derivatives {
                XCTAssertEqual(d.energy[x], dE, accuracy: tolerance * max(1, abs(dE)), "dE/dtheta_\(x)", file: file, line: line)
                for a in 0..<c.atomCount {
                    for comp in 0..<3 {
                        let fd = (ep.forces[a][comp] - em.forces[a][comp]) / (2 * h)
                        XCTAssertEqual(d.forces[(3 * a + comp) * P + x], fd, accuracy: tolerance * max(1, abs(fd)), "dF/dtheta_\(x)",
                                       file: file, line: line)
                    }
                }
                for v in 0..<6 {
                    let fd = (ep.virial.voigt[v] - em.virial.voigt[v]) / (2 * h)
                    XCTAssertEqual(d.virial[v * P + x], fd, accuracy: tolerance * max(1, abs(fd)), "dW/dtheta_\(x)",
                                   file: file, line: line)
                }
            }
        }
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, _ message: String,
                            file: StaticString, line: UInt) {
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy * max(1, abs(y)), message, file: file, line: line) }
}
