import Foundation
import Atomistic
import MTP
import Parallel
import TrainingStore

/// One fit, from a rank's share of the data to a trained potential: what
/// `mtp train` runs, and what `mtp sweep` runs for every (level, cutoff).
///
/// Data flows one way: the shard and the starting potential are checked,
/// a `Trainer` is built on them, the chosen optimizer runs (with
/// checkpoints, and resuming from one), the root writes the trained
/// potential, and the trainer's final evaluation gives the per-group error
/// table. With a validation set (`FitValidation`) every iteration is also
/// evaluated on it, its record (`ValidationProgress`) travels in the
/// checkpoint, and with `stopAfter` the fit ends early and keeps the best
/// potential. Every rank of the communicator runs it alike.
public final class Fit {
    public let trainer: Trainer
    public let data: DataShard
    public let dataPath: String
    public let communicator: Communicator
    /// A validation set evaluated after every iteration and at the end
    /// (`--valid`, MLIP's `--valid-cfgs`), optionally stopping the fit and
    /// keeping the best potential; set with `validate(on:path:stopAfter:)`.
    public internal(set) var validation: FitValidation?
    /// The starting potential's file, for errors (nil: unknown).
    public let potentialPath: String?
    /// The loss weights the fit runs with and how they were chosen
    /// (`DefaultWeights`, from the whole training set).
    public let weights: ChosenWeights

    /// Checks the shard against the potential (every species known, every
    /// configuration labelled) on every rank together, then builds the
    /// trainer. `neighbors`, when given, are the shard's neighbour lists at
    /// a cutoff no smaller than the potential's.
    public init(start: Potential, data: DataShard, dataPath: String, options: TrainingOptions,
                communicator comm: Communicator, neighbors: [NeighborList]? = nil, cacheBudget: Int = 0,
                potentialPath: String? = nil) throws {
        guard Optimizers.named(options.optimizer) != nil else { throw Optimizers.UnknownOptimizer(name: options.optimizer) }
        self.data = data
        self.dataPath = dataPath
        self.potentialPath = potentialPath
        communicator = comm
        try Collective.together(comm) {
            guard data.totalConfigurations > 0 else { throw InputError(file: dataPath, "the training set is empty") }
            try Fit.check(data, file: dataPath, speciesCount: start.speciesCount)
            // LM and BFGS hold a P x P matrix (triangular factor, inverse Hessian); gn-cg an l x l Gram matrix at its linear start.
            let p = Double(start.parameterCount)
            guard 8 * p * p <= InputLimits.memoryBudget else {
                throw InputError(file: potentialPath ?? dataPath,
                                 "\(start.parameterCount) parameters (species_count \(start.speciesCount)): the optimizer's \(start.parameterCount) x \(start.parameterCount) matrix would take \(Int(8 * p * p / 1e9)) GB, more than the memory budget of \(Int(InputLimits.memoryBudget / 1e9)) GB")
            }
        }
        // Neighbour lists here, where each failure can name its configuration.
        let lists = try Collective.together(comm) {
            try neighbors ?? data.configurations.enumerated().map { n, c in
                do { return try NeighborList(c, cutoff: start.maxDist) } catch { throw data.located(error, in: dataPath, local: n) }
            }
        }
        // The loss weights, from the statistics of every rank's shard (collective, rank-count independent).
        let chosen = try options.weights.map {
            try DefaultWeights.choose($0, configurations: data.configurations, communicator: comm)
        } ?? ChosenWeights.given(options.loss)
        weights = chosen
        var resolved = options
        resolved.loss.energyWeight = chosen.energy
        resolved.loss.forceWeight = chosen.force
        resolved.loss.stressWeight = chosen.stress
        trainer = try Collective.together(comm) {
            do {
                return try Trainer(potential: start, configurations: data.configurations, totalCount: data.totalConfigurations,
                                   options: resolved, communicator: comm, neighbors: lists, cacheBudget: cacheBudget)
            } catch {
                throw InputError(file: dataPath, "\(error)")
            }
        }
    }

    /// Every atom's species below `speciesCount`, and something to fit in
    /// every configuration.
    public static func check(_ data: DataShard, file: String, speciesCount: Int) throws {
        for (n, config) in data.configurations.enumerated() {
            for (a, z) in config.species.enumerated() where z < 0 || z >= speciesCount {
                throw data.located(EvaluationError.speciesOutOfRange(atom: a, species: z, speciesCount: speciesCount),
                                   in: file, local: n)
            }
            if config.energy == nil && config.forces == nil && config.virial == nil {
                let c = data.fileIndices[n]
                throw InputError(file: file, line: SourceLines.line(in: file, configuration: c),
                                 "configuration \(c + 1) has no energy, forces or stress to fit")
            }
        }
    }

    /// Where and how often a fit saves its progress, and whether it
    /// continues from a saved one.
    public struct Checkpointing: Sendable {
        public enum Resume: Sendable {
            /// Start afresh (an old checkpoint is overwritten).
            case never
            /// Continue from the checkpoint; an error if there is none that
            /// belongs to this fit.
            case required
            /// Continue from the checkpoint if one belongs to this fit.
            case ifPresent
        }
        public var path: String?
        /// Save every this many iterations (0: never), and at the end.
        public var every: Int
        public var resume: Resume
        /// Identifies the fit beyond its training options (a sweep's settings).
        public var tag: String?
        /// Where the root saves the potential of every iteration (MLIP's
        /// `--curr-pot-name`; best effort, atomically), or nil.
        public var currentPotential: String?
        public init(path: String?, every: Int = 5, resume: Resume = .never, tag: String? = nil,
                    currentPotential: String? = nil) {
            self.path = path; self.every = every; self.resume = resume; self.tag = tag
            self.currentPotential = currentPotential
        }
        public static let none = Checkpointing(path: nil, every: 0)
    }

    /// What a checkpoint file holds.
    struct Checkpoint: Codable {
        var options: TrainingOptions
        var tag: String?
        var saved: SavedFit
        /// Training time before the checkpoint, all earlier runs together.
        var wallSeconds: Double
        /// The validation record up to the checkpoint (nil without a validation set).
        var validation: ValidationProgress? = nil
    }

    /// Thrown from the optimizer's checkpoint call to end a fit whose
    /// validation loss stopped improving (on every rank alike: the
    /// validation errors are the same on every rank).
    struct ValidationStop: Error {
        var saved: SavedFit
    }

    /// Thrown from the checkpoint callback when the wall-time limit is
    /// reached (after the checkpoint is written, so `--resume` continues).
    struct TimeStop: Error {
        var saved: SavedFit
    }

    /// Runs the fit; `log` receives the lines a user follows (header, one
    /// per iteration, the error table, the totals), on every rank alike.
    /// The root writes the trained potential to `output` (when given).
    /// With `maxSeconds`, the fit stops after the first iteration that ends
    /// past that wall time of this run (root's clock, decided for all ranks
    /// together) and keeps its potential, as a batch job's time limit needs;
    /// the checkpoint is written then, so `--resume` continues the fit.
    public func run(output: String?, checkpointing: Checkpointing = .none, maxSeconds: Double? = nil,
                    log: (String) -> Void = { _ in }) throws -> FitResult {
        let comm = communicator
        let options = trainer.options
        let resumed: Checkpoint? = try Collective.fromRoot(comm) { () -> Checkpoint? in
            guard checkpointing.resume != .never, let path = checkpointing.path else { return nil }
            let c = JSONFile.read(Checkpoint.self, from: path)
            let fits = c.map { options.continues($0.options) && $0.tag == checkpointing.tag
                && $0.saved.state.parameters.count == trainer.potential.parameterCount } ?? false
            if checkpointing.resume == .required && !fits {
                throw InputError(file: path, c == nil ? "no readable checkpoint to resume from"
                                 : "the checkpoint belongs to another potential or other settings")
            }
            return fits ? c : nil
        }
        if let resumed { log("resuming at iteration \(resumed.saved.state.iteration) (loss \(resumed.saved.state.loss))") }
        // The validation record continues from the checkpoint when it is of the same set.
        var tracking: ValidationProgress? = validation.map { v in
            if var p = resumed?.validation, p.path == v.path, p.configurations == v.data.totalConfigurations {
                // A run resumed with another (or no) --stop-on-valid continues under it.
                p.stopped = v.stopAfter.map { p.sinceBest >= $0 } ?? false
                return p
            }
            if resumed != nil { log("note: the checkpoint holds no validation record of \(v.path); the validation record starts at this run") }
            return ValidationProgress(path: v.path, configurations: v.data.totalConfigurations)
        }
        log(weights.line)
        log("training \(trainer.potential.parameterCount) parameters on \(data.totalConfigurations) configurations (\(data.totalAtoms) atoms), \(comm.size) rank\(comm.size == 1 ? "" : "s"); \(BLASCore.description)")
        if let validation {
            log("validation set \(validation.path): \(validation.data.totalConfigurations) configurations (\(validation.data.totalAtoms) atoms)"
                + (validation.stopAfter.map { ", stop after \($0) iteration\($0 == 1 ? "" : "s") without a lower validation loss and keep the best" } ?? ""))
        }
        log(IterationReport.legend)
        log(IterationReport.header + (validation == nil ? "" : ValidationPoint.header))
        let clock = ContinuousClock()
        let t0 = clock.now
        let earlier = resumed?.wallSeconds ?? 0
        var condition = Double.nan
        var final: TrainerState
        var pending: IterationReport? = nil
        var timeLimitReached = false
        if let resumed, tracking?.stopped == true {
            // The checkpointed run had stopped on the validation set already.
            log("the checkpoint's run had stopped: no lower validation loss for \(tracking?.sinceBest ?? 0) iterations")
            final = resumed.saved.state
        } else {
        do {
        final = try trainer.run(from: resumed?.saved, progress: { r in
            condition = r.conditionNumber
            // With a validation set the line waits for its columns (`checkpoint` follows every iteration).
            if validation == nil { log(r.line) } else { pending = r }
        }, checkpoint: { saved in
            if let validation, var t = tracking {
                let point = ValidationPoint(iteration: saved.state.iteration, try validation.errors(at: saved.state.parameters))
                let improved = t.record(point, parameters: saved.state.parameters, trainingLoss: saved.state.loss,
                                        stopAfter: validation.stopAfter)
                tracking = t
                log((pending?.line ?? String(format: "%6d", saved.state.iteration)) + point.columns(best: improved))
                pending = nil
            }
            if comm.isRoot, let current = checkpointing.currentPotential {
                var p = trainer.potential
                p.parameters = saved.state.parameters
                try? MTPFile.write(p, to: current)
            }
            var outOfTime = false
            if let maxSeconds, saved.state.iteration < options.maxIterations, !saved.state.converged {
                var decision = [ProcessTime.seconds(clock.now - t0) >= maxSeconds ? 1.0 : 0.0]
                comm.broadcast(&decision)
                outOfTime = decision[0] != 0
            }
            let stopping = tracking?.stopped == true || outOfTime
            // Root only, and best effort: a checkpoint that cannot be written
            // costs a restart after a crash, never the fit.
            if comm.isRoot, let path = checkpointing.path, checkpointing.every > 0,
               saved.state.iteration % checkpointing.every == 0 || saved.state.converged || stopping
                || saved.state.iteration >= options.maxIterations, saved.state.loss.isFinite {
                let c = Checkpoint(options: options, tag: checkpointing.tag, saved: saved,
                                   wallSeconds: earlier + ProcessTime.seconds(clock.now - t0), validation: tracking)
                try? JSONFile.write(c, to: path)
            }
            if tracking?.stopped == true { throw ValidationStop(saved: saved) }
            if outOfTime { throw TimeStop(saved: saved) }
        })
        } catch let stop as ValidationStop {
            final = stop.saved.state
        } catch let stop as TimeStop {
            final = stop.saved.state
            timeLimitReached = true
            log(String(format: "stopped: the time limit of %g s was reached after iteration %d (the checkpoint lets --resume continue)",
                       maxSeconds ?? 0, final.iteration))
        } catch let e as CollectiveFailure { throw e } catch let e as InputError { throw e } catch {
            throw InputError(file: potentialPath ?? dataPath, "training failed: \(error) (are the starting potential's coefficients and the data sane?)")
        }
        }
        if let t = tracking, t.stopped, let best = t.best {
            log("stopped: no lower validation loss for \(t.sinceBest) iteration\(t.sinceBest == 1 ? "" : "s") after iteration \(best.iteration)")
        }
        // With --stop-on-valid the potential of the lowest validation loss is kept.
        if let validation, validation.stopAfter != nil, let t = tracking, let best = t.best, let theta = t.bestParameters {
            final.parameters = theta
            final.loss = t.bestTrainingLoss ?? final.loss
            log(String(format: "keeping the potential of iteration %d, the lowest validation loss (%.12e)", best.iteration, best.loss))
        }
        // A fit that overflowed writes nothing: no potential, summary or checkpoint holds inf or NaN.
        guard final.loss.isFinite, final.parameters.allSatisfy(\.isFinite) else {
            throw InputError(file: potentialPath ?? dataPath, "training diverged: the loss is \(final.loss) (are the starting potential's coefficients and the data sane?)")
        }
        let wall = ProcessTime.seconds(clock.now - t0)
        var potential = trainer.potential
        potential.parameters = final.parameters
        if let output { try Collective.onRoot(comm) { try MTPFile.write(potential, to: output) } }
        let (_, groups) = try trainer.finalErrors(at: final.parameters)
        let validationGroups = try validation.map { try $0.groups(at: final.parameters) }
        var result = FitResult(potential: potential, state: final, groups: groups, wallSeconds: wall,
                               totalWallSeconds: earlier + wall, conditionNumber: condition, timings: trainer.timings,
                               cacheBytes: trainer.cacheBytes, cachedConfigurations: trainer.cachedConfigurations,
                               configurations: data.totalConfigurations, atoms: data.totalAtoms, ranks: comm.size)
        result.validationGroups = validationGroups
        result.timeLimitReached = timeLimitReached
        result.weights = weights
        result.validation = tracking.map { $0.summary(stopAfter: validation?.stopAfter) }
        log("")
        log(result.table)
        if let validation, let validationGroups {
            log("errors on the validation set \(validation.path) (\(validation.data.totalConfigurations) configurations):")
            log(GroupErrors.text(validationGroups, title: "validation errors"))
        }
        log(result.totals(output: output))
        log("time per pass on rank 0: " + result.timings.text
            + (trainer.cacheBudget == 0 ? "" : String(format: "; neighbourhood cache %.0f MB for %d of %d local configurations",
                                                         Double(result.cacheBytes) / 1e6, result.cachedConfigurations,
                                                         data.configurations.count)))
        return result
    }
}

/// What a fit gives.
public struct FitResult: Sendable {
    public var potential: Potential
    public var state: TrainerState
    /// Errors per group (and "(all)"), from the trainer's final evaluation.
    public var groups: [GroupErrorRow]
    /// Training time of this run, and of all runs of this fit together.
    public var wallSeconds: Double
    public var totalWallSeconds: Double
    /// The condition number of the linear block the last iteration reported
    /// (NaN where it computed none).
    public var conditionNumber: Double
    public var timings: PassTimings
    public var cacheBytes: Int
    public var cachedConfigurations: Int
    public var configurations: Int
    public var atoms: Int
    public var ranks: Int

    /// Errors per group on the validation set, when the fit had one.
    public var validationGroups: [GroupErrorRow]? = nil
    /// Every iteration's validation errors, the best, and which was kept.
    public var validation: ValidationSummary? = nil
    /// The fit stopped at its wall-time limit (`maxSeconds`), not converged.
    public var timeLimitReached = false
    /// The loss weights and how they were chosen.
    public var weights: ChosenWeights? = nil

    public var table: String { GroupErrors.text(groups) }
    /// The row of all configurations (the only row when there is one group).
    public var overall: GroupErrorRow? { groups.last }

    public func totals(output: String?) -> String {
        "iterations \(state.iteration), Jacobian passes \(state.jacobianPasses), loss evaluations \(state.lossEvaluations), loss+gradient evaluations \(state.gradientEvaluations), wall \(String(format: "%.2f", wallSeconds)) s" + (output.map { " -> \($0)" } ?? "")
    }
}

extension IterationReport {
    /// What the columns that are not errors mean, printed above the header.
    public static let legend = "(loss: the weighted sum of squares minimised; lambda: Levenberg-Marquardt damping; cond(lin): condition number of the linear least-squares block (species and moment coefficients) at the current radial functions, where above about 1e12 some combinations of them are fixed by the damping and the ridge, not by the data; time: wall seconds of the iteration)"
    public static let header = "  iter                loss  E-RMSE meV/atom   F-RMSE eV/A   S-RMSE GPa      lambda    cond(lin)    time s"

    /// The iteration's line under `header`.
    /// Values an optimizer does not have (BFGS: no damping, no linear
    /// system) show as "-", never as nan.
    public var line: String {
        func optional(_ x: Double?, _ format: String, _ width: Int) -> String {
            guard let x, x.isFinite else { return String(repeating: " ", count: width - 1) + "-" }
            return String(format: format, x)
        }
        return String(format: "%6d  %.12e  %12.4f  %12.5f  %11.5f  ",
                      state.iteration, errors.loss, errors.energyRMSE, errors.forceRMSE, errors.stressRMSE)
            + optional(damping, "%10.2e", 10) + "  " + optional(conditionNumber, "%11.3e", 11) + String(format: "  %8.2f", seconds)
    }
}

/// The machine-readable summary `mtp train` writes beside the potential.
public struct TrainSummary: Codable, Sendable {
    public var potential: String
    public var parameters: Int
    public var level: Int?
    public var configurations: Int
    public var ranks: Int
    public var iterations: Int
    public var jacobianPasses: Int
    public var lossEvaluations: Int
    public var gradientEvaluations: Int
    public var optimizer: String
    public var loss: Double
    public var converged: Bool
    /// Stopped by --max-time (continue with --resume).
    public var timeLimitReached: Bool
    public var wallSeconds: Double
    /// Rank 0's time per kind of pass (wall and CPU seconds).
    public var timings: PassTimings
    public var cacheBytes: Int
    public var cachedConfigurations: Int
    public var groups: [GroupErrorRow]
    /// Errors on the validation set (absent without one).
    public var validationGroups: [GroupErrorRow]?
    /// Validation errors per iteration, the best and the kept iteration (absent without a validation set).
    public var validation: ValidationSummary?
    /// The loss weights of the fit and how they were chosen (`DefaultWeights`).
    public var weights: ChosenWeights?
    /// `--group-weights` as applied (NAME=FACTOR,... in name order), nil when none.
    public var groupWeights: String? = nil
    /// `--energy-weights` and what it did (reference, factors), nil when none.
    public var energyWeights: EnergyWeightsReport? = nil

    public init(_ r: FitResult, potential: String, optimizer: String) {
        self.potential = potential
        parameters = r.potential.parameterCount
        configurations = r.configurations
        ranks = r.ranks
        iterations = r.state.iteration
        jacobianPasses = r.state.jacobianPasses
        lossEvaluations = r.state.lossEvaluations
        gradientEvaluations = r.state.gradientEvaluations
        self.optimizer = optimizer
        loss = r.state.loss
        converged = r.state.converged
        timeLimitReached = r.timeLimitReached
        wallSeconds = r.wallSeconds
        timings = r.timings
        cacheBytes = r.cacheBytes
        cachedConfigurations = r.cachedConfigurations
        groups = r.groups
        validationGroups = r.validationGroups
        validation = r.validation
        weights = r.weights
    }
}
