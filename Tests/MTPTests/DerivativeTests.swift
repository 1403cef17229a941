import XCTest
import Atomistic
@testable import MTP

/// Forces, virial and every parameter derivative against finite differences,
/// at several levels, for one and three species, in small and sheared cells.
final class DerivativeTests: XCTestCase {
    func potential(_ set: String, _ level: String) throws -> Potential {
        try MTPFile.read(path: ExactnessTests.fixture("\(set)/\(level)/pot.mtp"))
    }

    /// A 1-atom fcc cell (every neighbour is an image of the atom itself) and
    /// a strongly sheared 3-atom cell, with species drawn from 0..<s.
    func cells(speciesCount s: Int) -> [Configuration] {
        var g = BasisGeneratorTests.Rng(seed: 7)
        let tiny = Configuration(cell: [Vec3(0, 1.81, 1.81), Vec3(1.79, 0, 1.82), Vec3(1.8, 1.8, 0.05)], pbc: .all,
                                 species: [s - 1], positions: [Vec3(0.1, -0.2, 0.05)])
        var sheared = Configuration(cell: [Vec3(3.9, 0, 0), Vec3(2.4, 3.6, 0), Vec3(-1.7, 1.2, 3.7)], pbc: .all,
                                    species: (0..<3).map { $0 % s },
                                    positions: [Vec3(0, 0, 0), Vec3(1.9, 1.1, 0.9), Vec3(0.3, 2.4, 2.1)])
        for a in 0..<3 { sheared.positions[a] += Vec3(g.uniform(-0.5, 0.5), g.uniform(-0.5, 0.5), g.uniform(-0.5, 0.5)) * 0.3 }
        return [tiny, sheared]
    }

    func efs(_ ev: Evaluator, _ c: Configuration) throws -> EFS {
        try ev.evaluate(c, neighbors: NeighborList(c, cutoff: ev.cutoff))
    }

    func testForcesAndVirialAgainstFiniteDifferences() throws {
        for (set, level) in [("cubic", "06"), ("cubic", "12"), ("cubic", "16"), ("multi", "04"), ("multi", "10")] {
            let pot = try potential(set, level)
            let ev = try Evaluator(pot)
            for c in cells(speciesCount: pot.speciesCount) {
                let base = try efs(ev, c)
                let h = 1e-5
                var scale = 1e-3
                for f in base.forces { scale = max(scale, abs(f.x), abs(f.y), abs(f.z)) }
                for a in 0..<c.atomCount {
                    for x in 0..<3 {
                        var plus = c, minus = c
                        plus.positions[a][x] += h
                        minus.positions[a][x] -= h
                        let fd = -(try efs(ev, plus).energy - efs(ev, minus).energy) / (2 * h)
                        XCTAssertEqual(base.forces[a][x], fd, accuracy: 1e-6 * scale + 1e-7, "\(set)/\(level) force atom \(a) axis \(x)")
                    }
                }
                // W_ab = -dE/d(eps_ab) under a symmetric strain of cell and positions.
                let voigt = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
                let wScale = max(1e-3, base.virial.voigt.map(abs).max()!)
                for (v, (a, b)) in voigt.enumerated() {
                    func strained(_ e: Double) -> Configuration {
                        var eps = [[0.0, 0, 0], [0.0, 0, 0], [0.0, 0, 0]]
                        if a == b { eps[a][a] = e } else { eps[a][b] = e / 2; eps[b][a] = e / 2 }
                        func apply(_ r: Vec3) -> Vec3 {
                            Vec3((0..<3).map { col in r[col] + (0..<3).reduce(0.0) { $0 + r[$1] * eps[$1][col] } })
                        }
                        var s = c
                        s.cell = c.cell.map(apply)
                        s.positions = c.positions.map(apply)
                        return s
                    }
                    let fd = -(try efs(ev, strained(h)).energy - efs(ev, strained(-h)).energy) / (2 * h)
                    XCTAssertEqual(base.virial.voigt[v], fd, accuracy: 1e-6 * wScale + 1e-7, "\(set)/\(level) virial \(v)")
                }
            }
        }
    }

    func testParameterDerivativesAgainstFiniteDifferences() throws {
        for (set, level) in [("cubic", "06"), ("cubic", "10"), ("cubic", "16"), ("multi", "04"), ("multi", "08")] {
            let pot = try potential(set, level)
            let ev = try Evaluator(pot)
            for c in cells(speciesCount: pot.speciesCount) {
                let nl = try NeighborList(c, cutoff: ev.cutoff)
                let (base, d) = try ev.derivatives(c, neighbors: nl)
                // The derivative pass computes the same values as the fast pass.
                let fast = try ev.evaluate(c, neighbors: nl)
                XCTAssertEqual(base.energy, fast.energy, accuracy: 1e-9 * max(1, abs(fast.energy)))
                for (x, y) in zip(base.forces, fast.forces) { XCTAssertEqual(norm(x - y), 0, accuracy: 1e-9) }
                // The cheap energy gradient of the fast pass agrees too.
                var g = [Double](repeating: 0, count: pot.parameterCount)
                _ = try g.withUnsafeMutableBufferPointer { try ev.evaluate(c, neighbors: nl, energyGradient: $0.baseAddress) }
                for p in 0..<pot.parameterCount {
                    XCTAssertEqual(g[p], d.energy[p], accuracy: 1e-9 * max(1, abs(d.energy[p])), "\(set)/\(level) fast dE/dtheta \(p)")
                }

                let theta = pot.parameters
                let P = theta.count
                let n = c.atomCount
                func flat(_ e: EFS) -> [Double] { [e.energy] + e.forces.flatMap { [$0.x, $0.y, $0.z] } + e.virial.voigt }
                let analytic: [[Double]] = (0..<P).map { p in
                    [d.energy[p]] + (0..<(3 * n)).map { d.forces[$0 * P + p] } + (0..<6).map { d.virial[$0 * P + p] }
                }
                for p in 0..<P {
                    let h = 1e-6 * max(1, abs(theta[p]))
                    var up = pot, down = pot
                    var t = theta; t[p] += h; up.parameters = t
                    t = theta; t[p] -= h; down.parameters = t
                    let fp = flat(try efs(Evaluator(up), c)), fm = flat(try efs(Evaluator(down), c))
                    for q in 0..<fp.count {
                        let fd = (fp[q] - fm[q]) / (2 * h)
                        let scale = max(1e-2, abs(analytic[p][q]), abs(fd))
                        XCTAssertEqual(analytic[p][q], fd, accuracy: 2e-5 * scale,
                                       "\(set)/\(level) d(output \(q))/d(parameter \(p) of \(P))")
                    }
                }
            }
        }
    }

    /// The loss-gradient pass equals the Jacobian contracted with the same
    /// weights (the Jacobian itself is checked against finite differences
    /// above), for cells with fewer and more atoms than a block of lanes.
    func testWeightedGradientEqualsContractedJacobian() throws {
        var g = BasisGeneratorTests.Rng(seed: 11)
        for (set, level) in [("cubic", "02"), ("cubic", "08"), ("cubic", "16"), ("multi", "04"), ("multi", "10")] {
            let pot = try potential(set, level)
            let ev = try Evaluator(pot)
            var configs = cells(speciesCount: pot.speciesCount)
            // 12 atoms: one full block of lanes and a partial one.
            var big = Configuration(cell: [Vec3(7.3, 0, 0), Vec3(0.4, 5.6, 0), Vec3(-0.6, 0.3, 5.4)], pbc: .all,
                                    species: (0..<12).map { $0 % pot.speciesCount },
                                    positions: (0..<12).map { (a: Int) -> Vec3 in
                                        let x = Double(a % 3) * 2.4, y = Double((a / 3) % 2) * 2.7, z = Double(a / 6) * 2.6
                                        return Vec3(x, y, z)
                                    })
            for a in 0..<12 { big.positions[a] += Vec3(g.uniform(-0.3, 0.3), g.uniform(-0.3, 0.3), g.uniform(-0.3, 0.3)) }
            configs.append(big)
            let workspace = EvaluationWorkspace()
            for c in configs {
                let nl = try NeighborList(c, cutoff: ev.cutoff)
                let (_, d) = try ev.derivatives(c, neighbors: nl)
                let P = pot.parameterCount, n = c.atomCount
                let w = ResidualWeights(energy: g.uniform(-1, 1), forces: (0..<(3 * n)).map { _ in g.uniform(-1, 1) },
                                        virial: (0..<6).map { _ in g.uniform(-1, 1) })
                var expected = [Double](repeating: 0, count: P)
                for p in 0..<P {
                    var v = w.energy * d.energy[p]
                    for x in 0..<(3 * n) { v += w.forces[x] * d.forces[x * P + p] }
                    for x in 0..<6 { v += w.virial[x] * d.virial[x * P + p] }
                    expected[p] = v
                }
                for weights in [w, ResidualWeights(energy: w.energy), ResidualWeights(forces: w.forces), ResidualWeights(virial: w.virial)] {
                    var want = [Double](repeating: 0, count: P)
                    for p in 0..<P {
                        var v = weights.energy * d.energy[p]
                        for x in 0..<weights.forces.count { v += weights.forces[x] * d.forces[x * P + p] }
                        for x in 0..<weights.virial.count { v += weights.virial[x] * d.virial[x * P + p] }
                        want[p] = v
                    }
                    var got = [Double](repeating: 0, count: P)
                    try got.withUnsafeMutableBufferPointer {
                        try ev.accumulateGradient(c, neighbors: nl, weights: weights, into: $0.baseAddress!, workspace: workspace)
                    }
                    let scale = max(1e-8, want.map(abs).max()!)
                    for p in 0..<P {
                        XCTAssertEqual(got[p], want[p], accuracy: 1e-10 * scale, "\(set)/\(level) \(n) atoms parameter \(p) of \(P)")
                    }
                }
                XCTAssertFalse(expected.allSatisfy { $0 == 0 })
            }
        }
    }

    /// Rows kept between evaluations give the same numbers as rows gathered
    /// afresh, also after the radial coefficients change.
    func testNeighborhoodCacheMatchesFreshRows() throws {
        for (set, level) in [("cubic", "08"), ("multi", "06")] {
            var pot = try potential(set, level)
            var ev = try Evaluator(pot)
            let workspace = EvaluationWorkspace()
            for c in cells(speciesCount: pot.speciesCount) {
                let nl = try NeighborList(c, cutoff: ev.cutoff)
                let cache = try NeighborhoodCache(ev, config: c, neighbors: nl)
                for step in 0..<2 {
                    if step == 1 {
                        pot.radialCoeffs = pot.radialCoeffs!.enumerated().map { $0.element * (1 + 0.1 * Double($0.offset % 3 - 1)) }
                        ev = try Evaluator(pot)
                    }
                    let fresh = try ev.evaluate(c, neighbors: nl, workspace: workspace)
                    let kept = try ev.evaluate(c, cache: cache, workspace: workspace)
                    XCTAssertEqual(fresh, kept, "\(set)/\(level) step \(step)")
                    let w = ResidualWeights(energy: 0.3, forces: (0..<(3 * c.atomCount)).map { Double($0 % 7) - 3 },
                                            virial: [1, -2, 0.5, 0.1, -0.3, 0.2])
                    var a = [Double](repeating: 0, count: pot.parameterCount), b = a
                    try a.withUnsafeMutableBufferPointer { try ev.accumulateGradient(c, neighbors: nl, weights: w, into: $0.baseAddress!, workspace: workspace) }
                    try b.withUnsafeMutableBufferPointer { try ev.accumulateGradient(c, cache: cache, weights: w, into: $0.baseAddress!, workspace: workspace) }
                    XCTAssertEqual(a, b, "\(set)/\(level) step \(step)")
                }
            }
        }
    }

    /// One cache refilled for configuration after configuration (small,
    /// larger, small again: its memory grows and is reused) gives the same
    /// numbers as rows gathered afresh.
    func testRefilledNeighborhoodCacheMatchesFreshRows() throws {
        for (set, level) in [("cubic", "08"), ("multi", "06")] {
            let pot = try potential(set, level)
            let ev = try Evaluator(pot)
            let workspace = EvaluationWorkspace()
            let cs = cells(speciesCount: pot.speciesCount)
            let sequence = [cs[0], cs[1], cs[0], cs[1]]
            let first = try NeighborList(sequence[0], cutoff: ev.cutoff)
            let cache = try NeighborhoodCache(ev, config: sequence[0], neighbors: first)
            for (n, c) in sequence.enumerated() {
                let nl = try NeighborList(c, cutoff: ev.cutoff)
                try cache.refill(ev, config: c, neighbors: nl, tag: n)
                XCTAssertEqual(cache.tag, n)
                XCTAssertEqual(try ev.evaluate(c, neighbors: nl, workspace: workspace),
                               try ev.evaluate(c, cache: cache, workspace: workspace), "\(set)/\(level) #\(n)")
                let w = ResidualWeights(energy: -0.7, forces: (0..<(3 * c.atomCount)).map { Double($0 % 5) - 2 },
                                        virial: [0.2, 1, -0.5, 0.3, 0.1, -0.2])
                var a = [Double](repeating: 0, count: pot.parameterCount), b = a
                try a.withUnsafeMutableBufferPointer { try ev.accumulateGradient(c, neighbors: nl, weights: w, into: $0.baseAddress!, workspace: workspace) }
                try b.withUnsafeMutableBufferPointer { try ev.accumulateGradient(c, cache: cache, weights: w, into: $0.baseAddress!, workspace: workspace) }
                XCTAssertEqual(a, b, "\(set)/\(level) #\(n)")
            }
        }
    }
}
