import XCTest
import Atomistic
import MTP
@testable import ActiveLearning

/// dV_i/dtheta, the rows of neighbourhood mode.
final class SiteGradientTests: XCTestCase {
    func configurations(speciesCount s: Int) -> [Configuration] {
        var g = SplitMix64(seed: 3)
        var c = ActiveSetTests.training[4]
        c.species = c.species.indices.map { $0 % s }
        for a in 0..<c.atomCount { c.positions[a] += Vec3(g.uniform(-0.2, 0.2), g.uniform(-0.2, 0.2), g.uniform(-0.2, 0.2)) }
        let cluster = Configuration(species: (0..<5).map { $0 % s },
                                    positions: [Vec3(0, 0, 0), Vec3(2.4, 0.1, 0), Vec3(0.2, 2.5, 0.3), Vec3(1.3, 1.2, 2.1), Vec3(-1.9, 1.0, -1.2)])
        return [c, cluster]
    }

    func testSiteRowsSumToTheEnergyRowAndMatchFiniteDifferences() throws {
        for name in ["cubic-10.mtp", "multi-04.mtp"] {
            let pot = try MTPFile.read(path: fixture(name))
            let ev = try Evaluator(pot)
            let P = pot.parameterCount
            for c in configurations(speciesCount: pot.speciesCount) {
                let nl = try NeighborList(c, cutoff: ev.cutoff)
                let rows = try ev.siteEnergyGradients(c, neighbors: nl)
                var dE = [Double](repeating: 0, count: P)
                _ = try dE.withUnsafeMutableBufferPointer { try ev.evaluate(c, neighbors: nl, energyGradient: $0.baseAddress!) }
                for p in 0..<P {
                    let sum = (0..<c.atomCount).reduce(0.0) { $0 + rows[$1 * P + p] }
                    XCTAssertEqual(sum, dE[p], accuracy: 1e-10 * max(1, abs(dE[p])), "\(name) parameter \(p)")
                }
                // Central differences of every site energy in every parameter.
                let theta = pot.parameters
                for p in stride(from: 0, to: P, by: 1) {
                    let h = 1e-6 * max(1, abs(theta[p]))
                    var plus = pot, minus = pot
                    var tp = theta, tm = theta
                    tp[p] += h; tm[p] -= h
                    plus.parameters = tp; minus.parameters = tm
                    let vp = try Evaluator(plus).evaluate(c, neighbors: nl).siteEnergies
                    let vm = try Evaluator(minus).evaluate(c, neighbors: nl).siteEnergies
                    for i in 0..<c.atomCount {
                        let fd = (vp[i] - vm[i]) / (2 * h)
                        XCTAssertEqual(rows[i * P + p], fd, accuracy: 1e-6 * max(1, abs(fd)), "\(name) atom \(i) parameter \(p)")
                    }
                }
            }
        }
    }
}
