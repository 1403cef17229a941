import ArgumentParser
import MTP
import Plotting
import Foundation
import Fitting
import Parallel
import Sweep
import TrainingStore

/// `mtp sweep`: the arguments of `SweepDriver`.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Fit every (level, cutoff) of a grid side by side on groups of ranks; tabulate and plot error against cost.",
        discussion: """
        mpirun -np N mtp sweep DATA --levels 8:24:2 --cutoffs 5.2,6.5,8.2 --out DIR
        Plans every fit, estimates its cost (parameters x cutoff^3), splits the N ranks into groups and
        runs the groups side by side; by default (--schedule dynamic) each group takes the next fit of one
        queue, longest first, whenever it finishes one. DIR/sweep.json: busy time per rank, idle share. Per fit, in
        DIR/fits: NAME.mtp (trained), NAME.untrained.mtp (as `mtp basis` writes it), NAME.log, NAME.json
        (settings, errors per group, iterations, wall time, condition number, and the measured cost: best
        time per force call per atom on 6x6x6 hcp Mg, measured on rank 0 after all training, one fit at a time). Then DIR/summary.csv, DIR/summary.md and
        plots (rmse-vs-level, cost-vs-error with the Pareto front; data and gnuplot scripts beside).
        With --valid FILE every fit is also evaluated on FILE after each iteration (--stop-on-valid N: stops and
        keeps the best); records and summaries get validation columns and the Pareto front is on the validation errors.
        Rerunning the same command skips fits whose record matches the settings and redoes the others.
        Each fit equals `mtp train` run alone with the same settings (the same code runs both).
        """)

    @Argument(help: "Training set (any format `mtp convert` reads).") var data: String
    @Option(help: "Levels: FIRST:LAST[:STEP] (step 2 by default) or a list, e.g. 8:24:2 or 8,16.") var levels: String
    @Option(help: "Cutoffs (A), e.g. 5.2,6.5,8.2.") var cutoffs: String
    @Option(help: "Smallest interatomic distance of the radial basis (A).") var minDist: Double = 1.8
    @Option(help: "Train only on configurations of these groups (comma-separated).") var groups: String?
    @Option(help: "Multiply the loss weights of every configuration of a group by a factor, e.g. TRIAX=0.2,SHEAR=0.5.") var groupWeights: String?
    @Option(help: "Multiply the loss weights of every configuration by a factor from its energy per atom above the set's lowest: E0[,p=P] for 1/(1+dE/E0)^p or kT=T[,floor=F] for max(exp(-dE/kT), F) (eV/atom).") var energyWeights: String?
    @Option(name: .customLong("out"), help: "Output directory (created if missing).") var out: String
    @Option(help: "Number of species (default: from the data).") var speciesCount: Int?
    @Option(help: "Number of Chebyshev polynomials in the radial basis.") var radialBasisSize: Int = 8
    @Option(help: RadialBasisType.help) var radialBasisType: RadialBasisType = .chebyshev
    @OptionGroup var training: TrainingArguments
    @Option(help: "How fits go to groups of ranks: dynamic (one queue, longest first, a group takes the next fit when it finishes one), static (each group's fits fixed at the start) or serial (every fit on all ranks, one after the other).")
    var schedule: String = SweepOptions(data: "", levels: [], cutoffs: [], out: "").schedule.rawValue
    @OptionGroup var plots: PlotArguments
    var format: String { plots.format }
    @Option(help: "Iteration limits of single levels in place of --max-iter, e.g. 16=25 (with --grow: the lower level's short fit).") var maxIterAt: String?
    @Flag(help: "Start each level's fit from the next lower level's trained potential at the same cutoff, carried into the larger basis (mtp grow); the levels then train lowest first.") var grow = false
    @Option(help: "Save each fit's progress every N iterations, to continue a killed sweep mid-fit.") var checkpointEvery: Int = 5

    func validate() throws {
        guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be at least 1") }
        guard minDist >= 0 else { throw ValidationError("--min-dist must be non-negative") }
        guard radialBasisSize >= 2 else { throw ValidationError("--radial-basis-size must be at least 2") }
        if let s = speciesCount, s < 1 { throw ValidationError("--species-count must be at least 1") }
        do { _ = try sweepOptions() } catch { throw ValidationError("\(error)") }
        if let g = groups, groupList(g).isEmpty { throw ValidationError("--groups needs at least one group name") }
    }

    func groupList(_ s: String) -> [String] {
        s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func sweepOptions() throws -> SweepOptions {
        var o = SweepOptions(data: data, levels: try Plan.levels(levels), cutoffs: try Plan.cutoffs(cutoffs, minDist: minDist),
                             out: out)
        o.minDist = minDist
        o.radialBasisSize = radialBasisSize
        o.radialBasisType = radialBasisType
        o.speciesCount = speciesCount
        o.groups = groups.map(groupList)
        o.groupWeights = try groupWeights.map { try GroupWeights(parsing: $0) }
        o.energyWeights = try energyWeights.map { try EnergyWeights(parsing: $0) }
        o.symbols = training.symbols
        o.training = training.options
        o.checkpointEvery = checkpointEvery
        o.plotFormat = format
        o.validation = training.valid
        o.stopOnValid = training.stopOnValid
        o.grow = grow
        o.maxIterationsAt = try maxIterAt.map { try Plan.iterationLimits($0) } ?? [:]
        guard let kind = SweepScheduleKind(rawValue: schedule) else {
            throw ValidationError("--schedule '\(schedule)': expected one of \(SweepScheduleKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        o.schedule = kind
        return o
    }

    func run() throws {
        var failed = false
        try runCollectively { world, _ in
            let report = SweepReporter(info: { print($0); fflush(stdout) },
                                       error: { FileHandle.standardError.write(Data("mtp: error: \($0)\n".utf8)) })
            failed = try SweepDriver(options: try sweepOptions(), report: report).run(world)
        }
        if failed { throw ExitCode(1) }
    }
}
