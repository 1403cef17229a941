import Foundation
import Atomistic
import Parallel
import TrainingStore

/// Grades configurations against an active set (MLIP's `calc-grade`): each
/// rank grades its shard of the input, the grades are gathered in
/// configuration order, and rank 0 writes the input with `MV_grade` (and,
/// per atom, `nbh_grades`) to the output. The grades do not depend on the
/// number of ranks.
public struct Grading: Sendable {
    public var input: ShardSource
    public var output: String
    /// Per-atom grades too (the set must have neighbourhood rows).
    public var perAtom: Bool
    public var selectThreshold: Double
    public var breakThreshold: Double

    public init(input: ShardSource, output: String, perAtom: Bool = false,
                selectThreshold: Double = 1.001, breakThreshold: Double = 5) {
        self.input = input
        self.output = output
        self.perAtom = perAtom
        self.selectThreshold = selectThreshold
        self.breakThreshold = breakThreshold
    }

    /// What grading found, the same on every rank.
    public struct Summary: Sendable {
        /// Graded configurations and the ranks that shared them.
        public var count: Int
        public var ranks: Int
        /// Wall time of reading and grading, and CPU time of grading summed over the ranks.
        public var wallSeconds: Double
        public var cpuSeconds: Double
        /// Over configurations; 0 when there are none. An infinite grade sorts last.
        public var minimum: Double
        public var median: Double
        public var maximum: Double
        /// Configurations grading above `selectThreshold` and `breakThreshold`.
        public var selected: Int
        public var broken: Int
    }

    /// Grades the input and writes the output. Collective: every rank calls
    /// it; a failure anywhere is thrown on every rank as the same
    /// `CollectiveFailure`.
    public func run(_ set: ActiveSet, _ comm: Communicator) throws -> Summary {
        let file = input.path
        let clock = ContinuousClock()
        let t0 = clock.now
        let shard = try input.read(comm)
        var grades: [Double] = [], atoms: [Double] = []
        var cpu = 0.0
        try Collective.together(comm) {
            try shard.checkSpecies(of: set.potential, file: file)
            let cpu0 = ProcessTime.cpuSeconds()
            defer { cpu = ProcessTime.cpuSeconds() - cpu0 }
            for (n, c) in shard.configurations.enumerated() {
                do {
                    let g = try set.grades(of: c)
                    grades.append(g.grade)
                    if perAtom { atoms += g.atoms! }
                } catch { throw shard.located(error, in: file, local: n) }
            }
        }
        let wall = ProcessTime.seconds(clock.now - t0)
        let allGrades = comm.allGatherOrdered(grades)
        let allAtoms = perAtom ? comm.allGatherOrdered(atoms) : []
        let cpuTotal = comm.allGatherOrdered([cpu]).reduce(0, +)
        try Collective.onRoot(comm) {
            var o = 0
            try GradeOutput.write(input: file, symbols: input.options.symbols, expected: shard.totalConfigurations,
                                  output: output) { k, atomCount in
                defer { o += perAtom ? atomCount : 0 }
                return (allGrades[k], perAtom ? Array(allAtoms[o..<(o + atomCount)]) : nil)
            }
        }
        let finite = allGrades.filter(\.isFinite).sorted()
        let ordered = finite + [Double](repeating: .infinity, count: allGrades.count - finite.count)
        return Summary(count: shard.totalConfigurations, ranks: comm.size, wallSeconds: wall, cpuSeconds: cpuTotal,
                       minimum: allGrades.min() ?? 0, median: ordered.isEmpty ? 0 : ordered[ordered.count / 2],
                       maximum: allGrades.max() ?? 0,
                       selected: allGrades.filter { $0 > selectThreshold }.count,
                       broken: allGrades.filter { $0 > breakThreshold }.count)
    }
}
