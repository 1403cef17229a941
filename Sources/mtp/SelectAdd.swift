import ArgumentParser
import Foundation
import Atomistic
import MTP
import Parallel
import ActiveLearning

struct SelectAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "select-add",
        abstract: "Choose the candidate configurations that most enlarge the active set, for labelling.",
        discussion: """
        Like MLIP's `mlp select-add POT TRAIN CANDIDATES NEW`: candidates grading above --threshold
        against the active set of POT on TRAIN compete; MaxVol swaps their rows into the set while any
        row has a coefficient above the threshold, so that of several similar extrapolating candidates
        only those still adding volume are kept. The chosen candidates are written to -o (in candidate
        order, with `Feature MV_grade`), ready for labelling and adding to TRAIN. With --limit, at most
        that many are chosen. The active set is reused or saved as by `mtp grade`; under
        `mpirun -np N` the work is split over the ranks and the choice does not depend on N.
        """)

    @Argument(help: "The trained potential (.mtp).") var potential: String
    @Argument(help: "Its training set (.cfg, .extxyz, .h5).") var training: String
    @Argument(help: "Candidate configurations (.cfg, .extxyz, .h5).") var candidates: String
    @Option(name: .shortAndLong, help: "Where to write the chosen candidates (.cfg, .extxyz, .h5).") var output: String
    @Option(help: "Candidates must grade, and swaps must enlarge the volume, above this.") var threshold: Double = 1.001
    @Option(help: "At most this many candidates are chosen.") var limit: Int?
    @OptionGroup var set: ActiveSetArguments

    func validate() throws {
        _ = try set.options(perAtom: false)
        guard threshold >= 1 && threshold.isFinite else { throw ValidationError("--threshold must be at least 1") }
        if let limit, limit < 1 { throw ValidationError("--limit must be positive") }
    }

    func run() throws {
        try ActiveLearningCLI.run { comm in
            func say(_ s: String) { if comm.isRoot { print(s); fflush(stdout) } }
            let (pot, active) = try ActiveLearningCLI.trainedPotentialAndActiveSet(potential, training: training, arguments: set,
                                                                                   perAtom: false, comm: comm, say: say)
            var failure: Error? = nil
            var local: [Configuration] = [], first = 0, total = 0
            do {
                (local, first, total, _) = try ActiveLearningCLI.shard(candidates, symbols: set.symbols, comm: comm)
                try ActiveLearningCLI.checkSpecies(local, first: first, file: candidates, potential: pot)
            } catch { failure = error }
            try ActiveLearningCLI.agree(comm, failure)
            let clock = ContinuousClock()
            let t0 = clock.now
            let selection = try ActiveLearningCLI.together(candidates) {
                try active.select(candidates: local, first: first, threshold: threshold, limit: limit, communicator: comm)
            }
            guard comm.isRoot else { return }
            let (all, symbols) = try ActiveLearningCLI.readAll(candidates, symbols: set.symbols)
            guard all.count == total else { throw InputError(file: candidates, "changed while it was being read") }
            let chosen = selection.configurations.map { k -> Configuration in
                var c = all[k]
                c.setGrades(selection.grades[k], atoms: nil)
                return c
            }
            try ActiveLearningCLI.write(chosen, to: output, symbols: symbols)
            let above = selection.grades.filter { $0 > threshold }.count
            say("\(total) candidates, \(above) grade above \(threshold) (max \(gradeText(selection.grades.max() ?? 0))); "
                + "\(selection.swaps) MaxVol swaps put \(selection.rowsAdded) of their rows in the set: "
                + "\(chosen.count) chosen in \(ActiveLearningCLI.seconds(clock.now - t0)) -> \(output)")
        }
    }
}
