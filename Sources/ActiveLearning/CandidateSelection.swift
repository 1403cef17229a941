import Foundation
import Atomistic
import Parallel
import TrainingStore

/// Chooses the candidates that most enlarge an active set (MLIP's
/// `select-add`, `ActiveSet.select`) and writes them, with their grades, for
/// labelling. Each rank makes the rows of its shard of the candidates; the
/// choice does not depend on the number of ranks.
public struct CandidateSelection: Sendable {
    public var candidates: ShardSource
    public var output: String
    public var threshold: Double
    public var limit: Int?

    public init(candidates: ShardSource, output: String, threshold: Double = 1.001, limit: Int? = nil) {
        self.candidates = candidates
        self.output = output
        self.threshold = threshold
        self.limit = limit
    }

    /// What the selection found, the same on every rank.
    public struct Summary: Sendable {
        public var candidates: Int
        /// Candidates grading above the threshold, and the largest grade (0: no candidates).
        public var above: Int
        public var maximumGrade: Double
        public var swaps: Int
        public var rowsAdded: Int
        /// Chosen candidates (written to the output).
        public var chosen: Int
        /// Wall time of selecting and writing.
        public var seconds: Double
    }

    /// Selects and writes the output. Collective: every rank calls it; a
    /// failure anywhere is thrown on every rank as the same `CollectiveFailure`.
    public func run(_ set: ActiveSet, _ comm: Communicator) throws -> Summary {
        let file = candidates.path
        let shard = try candidates.read(comm)
        try Collective.together(comm) { try shard.checkSpecies(of: set.potential, file: file) }
        let clock = ContinuousClock()
        let t0 = clock.now
        let selection = try Collective.together(comm) {
            do {
                return try set.select(candidates: shard.configurations, first: shard.range.lowerBound, threshold: threshold,
                                      limit: limit, communicator: comm)
            } catch { throw InputError(file: file, "\(error)") }
        }
        try Collective.onRoot(comm) {
            try GradeOutput.write(input: file, symbols: candidates.options.symbols, expected: shard.totalConfigurations,
                                  output: output, pick: selection.configurations) { k, _ in (selection.grades[k], nil) }
        }
        return Summary(candidates: shard.totalConfigurations, above: selection.grades.filter { $0 > threshold }.count,
                       maximumGrade: selection.grades.max() ?? 0, swaps: selection.swaps, rowsAdded: selection.rowsAdded,
                       chosen: selection.configurations.count, seconds: ProcessTime.seconds(clock.now - t0))
    }
}
