import Foundation
import Atomistic
import MTP

/// The measured cost of a potential: time per energy-forces-virial call per
/// atom on one fixed structure, the same for every fit of every sweep, so
/// costs of different levels and cutoffs compare directly.
public enum CostMeter {
    /// The reference structure: ideal hcp Mg (a = 3.1842 A, c/a = 1.6282),
    /// 6 x 6 x 6 primitive cells, 432 atoms, all of species 0. Its density
    /// is that of a typical metal, so the number of neighbours within each
    /// cutoff (and with it the cost) is representative.
    public static let structureDescription = "hcp a=3.1842 c/a=1.6282, 6x6x6 primitive cells, species 0"

    public static func referenceStructure() -> Configuration {
        hcp(a: 3.1842, cOverA: 1.6282, cells: 6)
    }

    /// Ideal hcp: `cells`^3 primitive cells of two atoms each.
    public static func hcp(a: Double, cOverA: Double, cells n: Int) -> Configuration {
        let c = a * cOverA
        let a1 = Vec3(a, 0, 0), a2 = Vec3(-a / 2, a * 3.0.squareRoot() / 2, 0), a3 = Vec3(0, 0, c)
        let basis = [Vec3.zero, a1 * (1.0 / 3) + a2 * (2.0 / 3) + a3 * 0.5]
        var positions: [Vec3] = []
        for i in 0..<n { for j in 0..<n { for k in 0..<n {
            let origin = a1 * Double(i) + a2 * Double(j) + a3 * Double(k)
            for b in basis { positions.append(origin + b) }
        } } }
        let f = Double(n)
        return Configuration(cell: [a1 * f, a2 * f, a3 * f], pbc: .all,
                             species: [Int](repeating: 0, count: positions.count), positions: positions)
    }

    /// Best time of one call of `Evaluator.evaluate` (energy, forces,
    /// virial; the neighbour list built once outside the timing) per atom,
    /// in microseconds. After one warm-up call, calls are repeated until
    /// `minSeconds` have passed (at least `minCalls`, at most `maxCalls`);
    /// the minimum is least disturbed by other work on the machine.
    public static func measure(_ pot: Potential, minSeconds: Double = 0.5, minCalls: Int = 3,
                               maxCalls: Int = 200) throws -> CostMeasurement {
        let config = referenceStructure()
        let ev = try Evaluator(pot)
        let list = try NeighborList(config, cutoff: ev.cutoff)
        let ws = EvaluationWorkspace()
        _ = try ev.evaluate(config, neighbors: list, workspace: ws)
        let clock = ContinuousClock()
        var best = Double.infinity, total = 0.0, calls = 0
        while calls < maxCalls && (calls < minCalls || total < minSeconds) {
            let t0 = clock.now
            _ = try ev.evaluate(config, neighbors: list, workspace: ws)
            let d = clock.now - t0
            let s = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            best = min(best, s)
            total += s
            calls += 1
        }
        return CostMeasurement(structure: structureDescription, atoms: config.atomCount,
                               neighboursPerAtom: Double(list.pairCount) / Double(config.atomCount),
                               calls: calls, microsecondsPerAtom: best / Double(config.atomCount) * 1e6)
    }
}
