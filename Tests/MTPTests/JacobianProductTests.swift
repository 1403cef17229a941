import XCTest
import Atomistic
@testable import MTP

/// The Jacobian-vector product (`Evaluator.jacobianProduct`) against the
/// explicit Jacobian of the Jacobian kernel (itself checked against finite
/// differences in DerivativeTests), one and three species, cells smaller
/// and larger than a block of lanes, from fresh rows and from kept ones.
final class JacobianProductTests: XCTestCase {
    func configurations(speciesCount s: Int, _ g: inout BasisGeneratorTests.Rng) -> [Configuration] {
        let tiny = Configuration(cell: [Vec3(0, 1.81, 1.81), Vec3(1.79, 0, 1.82), Vec3(1.8, 1.8, 0.05)], pbc: .all,
                                 species: [s - 1], positions: [Vec3(0.1, -0.2, 0.05)])
        var big = Configuration(cell: [Vec3(7.3, 0, 0), Vec3(0.4, 5.6, 0), Vec3(-0.6, 0.3, 5.4)], pbc: .all,
                                species: (0..<12).map { $0 % s },
                                positions: (0..<12).map { (a: Int) -> Vec3 in
                                    Vec3(Double(a % 3) * 2.4, Double((a / 3) % 2) * 2.7, Double(a / 6) * 2.6)
                                })
        for a in 0..<12 { big.positions[a] += Vec3(g.uniform(-0.3, 0.3), g.uniform(-0.3, 0.3), g.uniform(-0.3, 0.3)) }
        return [tiny, big]
    }

    func testProductEqualsExplicitJacobian() throws {
        var g = BasisGeneratorTests.Rng(seed: 23)
        for (set, level) in [("cubic", "02"), ("cubic", "08"), ("cubic", "16"), ("multi", "04"), ("multi", "10")] {
            let pot = try MTPFile.read(path: ExactnessTests.fixture("\(set)/\(level)/pot.mtp"))
            let ev = try Evaluator(pot)
            let P = pot.parameterCount
            let workspace = EvaluationWorkspace()
            for c in configurations(speciesCount: pot.speciesCount, &g) {
                let nl = try NeighborList(c, cutoff: ev.cutoff)
                let (_, d) = try ev.derivatives(c, neighbors: nl)
                let cache = try NeighborhoodCache(ev, config: c, neighbors: nl)
                let before = try ev.evaluate(c, cache: cache, workspace: workspace)
                // A random direction, and each kind of parameter alone.
                let v = (0..<P).map { _ in g.uniform(-1, 1) }
                let radial = pot.radialCoeffCount
                var onlyRadial = v, onlyLinear = v
                for p in 0..<P { if p < radial { onlyLinear[p] = 0 } else { onlyRadial[p] = 0 } }
                for dir in [v, onlyRadial, onlyLinear] {
                    func contracted(_ rows: [Double], _ row: Int) -> Double {
                        var s = 0.0
                        for p in 0..<P { s += rows[row * P + p] * dir[p] }
                        return s
                    }
                    let wantE = contracted(d.energy, 0)
                    let wantF = (0..<(3 * c.atomCount)).map { contracted(d.forces, $0) }
                    let wantW = (0..<6).map { contracted(d.virial, $0) }
                    for (name, got) in [("rows", try ev.jacobianProduct(c, neighbors: nl, direction: ev.direction(dir), workspace: workspace)),
                                        ("cache", try ev.jacobianProduct(c, cache: cache, direction: ev.direction(dir), workspace: workspace))] {
                        let label = "\(set)/\(level) \(c.atomCount) atoms, \(name)"
                        XCTAssertEqual(got.energy, wantE, accuracy: 1e-10 * max(abs(wantE), 1e-8), label)
                        let fScale = max(wantF.map(abs).max()!, 1e-8)
                        for x in 0..<(3 * c.atomCount) {
                            XCTAssertEqual(got.forces[x / 3][x % 3], wantF[x], accuracy: 1e-10 * fScale, "\(label) force \(x)")
                        }
                        let wScale = max(wantW.map(abs).max()!, 1e-8)
                        for x in 0..<6 { XCTAssertEqual(got.virial.voigt[x], wantW[x], accuracy: 1e-10 * wScale, "\(label) virial \(x)") }
                    }
                }
                // The kept rows hold the evaluator's own radial functions again.
                XCTAssertEqual(try ev.evaluate(c, cache: cache, workspace: workspace), before, "\(set)/\(level)")
            }
        }
    }
}
