import ArgumentParser
import Foundation
import Atomistic
import MTP
import Parallel
import TrainingStore
import ActiveLearning

/// The options `grade` and `select-add` share: which rows make the active
/// set, where it is kept, and how the training set is read.
struct ActiveSetArguments: ParsableArguments {
    @Option(help: "Weight of the energy-per-atom row (configuration mode; default 1 unless --per-atom).")
    var energyWeight: Double?
    @Option(help: "Weight of the 3N force rows (default 0).") var forceWeight: Double?
    @Option(help: "Weight of the six stress rows, virial per atom (default 0).") var stressWeight: Double?
    @Option(help: "Weight of the per-atom site-energy rows (neighbourhood mode; default 0, or 1 with --per-atom).")
    var nbhWeight: Double?
    @Option(help: "The active set file (default POT.activeset). Reused when it matches the potential, training set and options; otherwise recomputed and rewritten.")
    var activeSet: String?
    @Option(help: "Singular values (of unit-norm parameter columns) below this fraction of the largest are treated as zero.")
    var rankTolerance: Double = 1e-13
    @Option(help: "MaxVol stops when no training row has a coefficient above 1 + this.")
    var swapTolerance: Double = 1e-9
    @Option(help: "Element symbols of species 0, 1, ... (for extended XYZ), e.g. Cu,Ag.") var species: String?

    func rows(perAtom: Bool) throws -> RowSettings {
        let any = energyWeight != nil || forceWeight != nil || stressWeight != nil || nbhWeight != nil
        let base = perAtom && !any ? RowSettings.neighbourhood : RowSettings(energyWeight: any ? 0 : 1)
        let r = RowSettings(energyWeight: energyWeight ?? base.energyWeight, forceWeight: forceWeight ?? 0,
                            stressWeight: stressWeight ?? 0, nbhWeight: nbhWeight ?? base.nbhWeight)
        guard r.isValid else { throw ValidationError("row weights must be finite, non-negative and at least one positive") }
        if perAtom && r.nbhWeight == 0 { throw ValidationError("--per-atom needs neighbourhood rows: pass --nbh-weight 1 (or no weights at all)") }
        return r
    }

    func options(perAtom: Bool) throws -> ActiveSetOptions {
        guard rankTolerance > 0 && rankTolerance < 1 else { throw ValidationError("--rank-tolerance must lie in (0, 1)") }
        guard swapTolerance >= 0 && swapTolerance.isFinite else { throw ValidationError("--swap-tolerance must be non-negative") }
        return ActiveSetOptions(rows: try rows(perAtom: perAtom), rankTolerance: rankTolerance, swapTolerance: swapTolerance)
    }

    var symbols: [String]? { species.map { $0.split(separator: ",").map(String.init) } }
}

/// Collective steps of the active-learning commands.
enum ActiveLearningCLI {
    /// An error every rank raised together, with the same message: printed once, by rank 0.
    struct SharedFailure: Error, CustomStringConvertible { var description: String }

    /// Throws on every rank when any rank failed, with the lowest failing
    /// rank's error, so that no rank waits in a collective.
    static func agree(_ comm: Communicator, _ failure: Error?) throws {
        if let message = Collective.firstFailure(failure.map { "\($0)" }, comm) { throw SharedFailure(description: message) }
    }

    /// A collective library step whose errors every rank raises alike.
    static func together<T>(_ file: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            throw SharedFailure(description: "\(InputError(file: file, "\(error)"))")
        }
    }

    static func run(_ body: (Communicator) throws -> Void) throws {
        let comm = Communicator.start()
        defer { Communicator.finish() }
        do {
            try body(comm)
        } catch let e as ExitCode {
            Communicator.finish()
            throw e
        } catch {
            // Rank 0 alone reaches the writing steps; shared failures are printed once.
            if comm.isRoot || !(error is SharedFailure) {
                FileHandle.standardError.write(Data("mtp: error: \(error)\n".utf8))
            }
            Communicator.finish()
            throw ExitCode(1)
        }
    }

    /// This rank's shard of a configuration file (`ShardSource`).
    static func shard(_ path: String, symbols: [String]?, comm: Communicator) throws
        -> (local: [Configuration], first: Int, total: Int, symbols: [String]?) {
        let s = try ShardSource(path: path, options: FormatOptions(symbols: symbols)).read(comm)
        return (s.configurations, s.range.lowerBound, s.totalConfigurations, s.species)
    }

    static func checkSpecies(_ configs: [Configuration], first: Int, file: String, potential: Potential) throws {
        for (n, c) in configs.enumerated() {
            for (a, z) in c.species.enumerated() where z < 0 || z >= potential.speciesCount {
                throw ConfigurationFormats.located(EvaluationError.speciesOutOfRange(atom: a, species: z, speciesCount: potential.speciesCount),
                                                 in: file, configuration: first + n)
            }
        }
    }

    /// The trained potential at `potentialPath` and its active set, as both
    /// `grade` and `select-add` start.
    static func trainedPotentialAndActiveSet(_ potentialPath: String, training: String, arguments: ActiveSetArguments,
                                            perAtom: Bool, comm: Communicator,
                                            say: (String) -> Void) throws -> (Potential, ActiveSet) {
        let pot = try MTPFile.read(path: potentialPath)
        guard pot.isTrained else { throw InputError(file: potentialPath, "\(EvaluationError.untrained)") }
        let set = try activeSet(potential: pot, potentialPath: potentialPath, training: training, arguments: arguments,
                                options: try arguments.options(perAtom: perAtom), comm: comm, say: say)
        return (pot, set)
    }

    /// The active set of (potential, training set): read from `path` when
    /// it is current, else built on all ranks and written by rank 0.
    static func activeSet(potential: Potential, potentialPath: String, training: String, arguments: ActiveSetArguments,
                          options: ActiveSetOptions, comm: Communicator, say: (String) -> Void) throws -> ActiveSet {
        let path = arguments.activeSet ?? ActiveSet.defaultPath(potential: potentialPath)
        var failure: Error? = nil
        var local: [Configuration] = [], first = 0, total = 0
        do {
            (local, first, total, _) = try shard(training, symbols: arguments.symbols, comm: comm)
            if total == 0 { throw InputError(file: training, "the training set is empty") }
            try checkSpecies(local, first: first, file: training, potential: potential)
        } catch { failure = error }
        try agree(comm, failure)
        let clock = ContinuousClock()
        let t0 = clock.now
        let digest = ActiveSet.trainingDigest(local: local, communicator: comm)
        // Rank 0 decides, so that every rank takes the same branch.
        var current = [comm.isRoot && ActiveSet.isCurrent(path: path, potential: potential, trainingDigest: digest, options: options) ? 1.0 : 0]
        comm.broadcast(&current)
        let set: ActiveSet
        if current[0] == 1 {
            var loaded: ActiveSet? = nil
            do { loaded = try ActiveSet.load(path: path, potential: potential) } catch { failure = error }
            try agree(comm, failure)
            set = loaded!
            say("active set: \(path) (current: \(set.rank) rows of \(set.trainingCount) training configurations), loaded in \(seconds(clock.now - t0))")
        } else {
            set = try together(training) {
                try ActiveSet.build(potential: potential, local: local, first: first, totalCount: total,
                                    options: options, communicator: comm)
            }
            if comm.isRoot {
                do { try set.write(to: path) } catch { failure = error }
            }
            try agree(comm, failure)
            say("active set: \(set.rank) rows chosen by MaxVol from \(total) training configurations in \(seconds(clock.now - t0)) -> \(path)")
        }
        say(String(format: "  parameters %d, rank %d (%d directions left out, %d parameters unused by the training set), singular value ratio kept %.2e / dropped %.2e, max training coefficient %.6f",
                   set.parameterCount, set.rank, set.droppedDirections, set.zeroParameters.count,
                   set.smallestKept, set.largestDropped, set.maxTrainingCoefficient))
        return set
    }

    static func seconds(_ d: Duration) -> String {
        String(format: "%.2f s", Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }

    /// Writes `configs` to `path` in the format its name gives (MLIP's
    /// digits for .cfg; a .h5 output is a training store with the grades as
    /// features and per-atom properties).
    static func write(_ configs: [Configuration], to path: String, symbols: [String]?) throws {
        try ConfigurationFormats.write(ConfigurationData(configurations: configs, symbols: symbols), to: path,
                                       options: FormatOptions(symbols: symbols, mlipDigits: true))
    }

    /// All configurations of `path` (on the calling rank only).
    static func readAll(_ path: String, symbols: [String]?) throws -> (configs: [Configuration], symbols: [String]?) {
        let d = try ConfigurationFormats.read(path, options: FormatOptions(symbols: symbols))
        return (d.configurations, d.symbols)
    }
}

extension Configuration {
    /// Sets MLIP's `Feature MV_grade` (replacing an earlier one) and, when
    /// given, the per-atom `nbh_grades` column.
    mutating func setGrades(_ grade: Double, atoms: [Double]?) {
        features.removeAll { $0.key == "MV_grade" }
        features.append(Feature(key: "MV_grade", value: gradeText(grade)))
        if let atoms {
            atomProperties.removeAll { $0.name == "nbh_grades" }
            // Files hold finite numbers only: a row outside the training
            // space (grade +infinity) is written as 1e300.
            atomProperties.append(AtomProperty(name: "nbh_grades", values: atoms.map { $0.isFinite ? $0 : 1e300 }))
        }
    }
}

func gradeText(_ g: Double) -> String {
    g.isFinite ? String(format: "%.9g", g) : "inf"
}

struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Extrapolation grades of configurations (MaxVol active learning), alone or under mpirun.",
        discussion: """
        Like MLIP's `mlp calc-grade POT TRAIN IN OUT`: the active set of POT on TRAIN (the training rows of
        largest volume in the space of parameter derivatives, chosen by MaxVol) measures how far each
        configuration of IN lies outside the training data: grade <= 1 interpolates, > 1 extrapolates
        (MLIP's usual thresholds: select above 1.001 to 2, stop MD above 5 to 10). OUT is IN with
        `Feature MV_grade` per configuration (.cfg), an `MV_grade` info key (.extxyz), or a training store
        (.h5) with the same feature; --per-atom adds the per-atom grades of neighbourhood rows as the
        `nbh_grades` column. The active set is saved to POT.activeset (or --active-set) with digests of
        POT, TRAIN and the options, and reused while they match. Under `mpirun -np N` the training rows
        and the grading are split over the ranks; the set and the grades do not depend on N.
        See docs/active-learning.md.
        """)

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
        try ActiveLearningCLI.run { comm in
            func say(_ s: String) { if comm.isRoot { print(s); fflush(stdout) } }
            let (pot, active) = try ActiveLearningCLI.trainedPotentialAndActiveSet(potential, training: training, arguments: set,
                                                                                   perAtom: perAtom, comm: comm, say: say)
            // Grade this rank's shard of IN.
            var failure: Error? = nil
            var local: [Configuration] = [], first = 0, total = 0
            var flat: [Double] = []     // per configuration: grade, then per-atom grades
            let clock = ContinuousClock()
            let t0 = clock.now
            var cpu = 0.0
            do {
                (local, first, total, _) = try ActiveLearningCLI.shard(input, symbols: set.symbols, comm: comm)
                try ActiveLearningCLI.checkSpecies(local, first: first, file: input, potential: pot)
                let cpu0 = ProcessTime.cpuSeconds()
                defer { cpu = ProcessTime.cpuSeconds() - cpu0 }
                for (n, c) in local.enumerated() {
                    do {
                        let g = try active.grades(of: c)
                        flat.append(g.grade)
                        if perAtom { flat += g.atoms! }
                    } catch {
                        throw ConfigurationFormats.located(error, in: input, configuration: first + n)
                    }
                }
            } catch { failure = error }
            try ActiveLearningCLI.agree(comm, failure)
            let gradeTime = clock.now - t0
            let all = comm.allGatherOrdered(flat)
            let cpuTotal = comm.allGatherOrdered([cpu]).reduce(0, +)
            guard comm.isRoot else { return }

            var (configs, symbols) = try ActiveLearningCLI.readAll(input, symbols: set.symbols)
            guard configs.count == total else { throw InputError(file: input, "changed while it was being read") }
            var o = 0
            var grades: [Double] = []
            for c in configs.indices {
                let g = all[o]; o += 1
                var atoms: [Double]? = nil
                if perAtom { atoms = Array(all[o..<(o + configs[c].atomCount)]); o += configs[c].atomCount }
                configs[c].setGrades(g, atoms: atoms)
                grades.append(g)
            }
            try ActiveLearningCLI.write(configs, to: output, symbols: symbols)
            let finite = grades.filter(\.isFinite)
            let perConfig = (Double(gradeTime.components.seconds) + Double(gradeTime.components.attoseconds) * 1e-18) / Double(max(total, 1)) * 1e3
            say("graded \(total) configurations on \(comm.size) rank\(comm.size == 1 ? "" : "s") in \(ActiveLearningCLI.seconds(gradeTime)) (\(String(format: "%.3f", perConfig)) ms per configuration; CPU \(String(format: "%.2f", cpuTotal)) s over all ranks, \(String(format: "%.3f", cpuTotal / Double(max(total, 1)) * 1e3)) ms per configuration) -> \(output)")
            say(String(format: "  grade min %@, median %@, max %@; above %g (select): %d, above %g (break): %d",
                       gradeText(grades.min() ?? 0), gradeText(median(finite, infinities: grades.count - finite.count)),
                       gradeText(grades.max() ?? 0),
                       selectThreshold, grades.filter { $0 > selectThreshold }.count,
                       breakThreshold, grades.filter { $0 > breakThreshold }.count))
        }
    }

    func median(_ finite: [Double], infinities: Int) -> Double {
        let all = finite.sorted() + [Double](repeating: .infinity, count: infinities)
        return all.isEmpty ? 0 : all[all.count / 2]
    }
}
