import ArgumentParser
import Foundation
import ActiveLearning

struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Extrapolation grades of configurations (MaxVol active learning), alone or under mpirun.",
        discussion: """
        Like MLIP's `mlp calc-grade POT TRAIN IN OUT` (also run as `mtp calc-grade`): the active set of POT on TRAIN (the training rows of
        largest volume in the space of parameter derivatives, chosen by MaxVol) measures how far each
        configuration of IN lies outside the training data: grade <= 1 interpolates, > 1 extrapolates
        (MLIP's usual thresholds: select above 1.001 to 2, stop MD above 5 to 10). OUT is IN with
        `Feature MV_grade` per configuration (.cfg), an `MV_grade` info key (.extxyz), or a training store
        (.h5) with the same feature; --per-atom adds the per-atom grades of neighbourhood rows as the
        `nbh_grades` column. The active set is saved to POT.activeset (or --active-set) with digests of
        POT, TRAIN and the options, and reused while they match. Under `mpirun -np N` the training rows
        and the grading are split over the ranks; the set and the grades do not depend on N.
        See docs/active-learning.md.
        """,
        aliases: ["calc-grade"])

    @Argument(help: "The trained potential (.mtp).") var potential: String
    @Argument(help: "Its training set (.cfg, .extxyz, .h5).") var training: String
    @Argument(help: "Configurations to grade (.cfg, .extxyz, .h5).") var input: String
    @Argument(help: "Output (.cfg, .extxyz, .h5), written atomically.") var output: String
    @Flag(help: "Per-atom grades (neighbourhood rows; the `nbh_grades` column).") var perAtom = false
    @Option(help: "Grades above this are counted as 'select' in the summary.") var selectThreshold: Double = 1.001
    @Option(help: "Grades above this are counted as 'break' in the summary.") var breakThreshold: Double = 5
    @OptionGroup var set: ActiveSetArguments

    func validate() throws {
        _ = try set.options(perAtom: perAtom)
    }

    func run() throws {
        let store = try set.store(potential: potential, training: training, perAtom: perAtom)
        let grading = Grading(input: set.source(input), output: output, perAtom: perAtom,
                              selectThreshold: selectThreshold, breakThreshold: breakThreshold)
        try runCollectively { comm, say in
            let active = try store.load(comm, report: say)
            let s = try grading.run(active, comm)
            let n = Double(max(s.count, 1))
            say("graded \(s.count) configurations on \(s.ranks) rank\(s.ranks == 1 ? "" : "s") in \(String(format: "%.2f s", s.wallSeconds)) "
                + "(\(String(format: "%.3f", s.wallSeconds / n * 1e3)) ms per configuration; CPU \(String(format: "%.2f", s.cpuSeconds)) s over all ranks, "
                + "\(String(format: "%.3f", s.cpuSeconds / n * 1e3)) ms per configuration) -> \(output)")
            say(String(format: "  grade min %@, median %@, max %@; above %g (select): %d, above %g (break): %d",
                       ActiveSet.Grades.text(s.minimum), ActiveSet.Grades.text(s.median), ActiveSet.Grades.text(s.maximum),
                       selectThreshold, s.selected, breakThreshold, s.broken))
        }
    }
}
