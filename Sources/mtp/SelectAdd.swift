import ArgumentParser
import Foundation
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
        let store = try set.store(potential: potential, training: training, perAtom: false)
        let selection = CandidateSelection(candidates: set.source(candidates), output: output, threshold: threshold, limit: limit)
        try runCollectively { comm, say in
            let active = try store.load(comm, report: say)
            let s = try selection.run(active, comm)
            say("\(s.candidates) candidates, \(s.above) grade above \(threshold) (max \(ActiveSet.Grades.text(s.maximumGrade))); "
                + "\(s.swaps) MaxVol swaps put \(s.rowsAdded) of their rows in the set: "
                + "\(s.chosen) chosen in \(String(format: "%.2f s", s.seconds)) -> \(output)")
        }
    }
}
