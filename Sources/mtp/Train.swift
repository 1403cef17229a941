import ArgumentParser
import Foundation
import Atomistic
import MTP
import Fitting
import Parallel
import TrainingStore

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit a potential to a training set (alone or under mpirun).",
        discussion: """
        Like MLIP's `mlp train POT DATA`: starts from POT (untrained template or trained potential),
        fits all its parameters to the energies, forces and stresses of DATA (.cfg or .extxyz) and
        writes the trained potential to --output. Under `mpirun -np N` the configurations are split
        into N contiguous shards of near-equal cost (a .h5 store is read shard by shard with MPI-IO;
        .cfg and .extxyz files are read whole by every rank); the result does not depend on N.
        The optimiser is Levenberg-Marquardt on all parameters with the linear least-squares part
        solved by distributed Householder QR; each iteration prints the loss and training errors.
        """)

    @Argument(help: "Initial potential (.mtp), untrained or trained.") var potential: String
    @Argument(help: "Training set (.h5, .cfg, .extxyz). A .h5 store is read in shards, one per rank.") var data: String
    @Option(name: .shortAndLong, help: "Where to write the trained potential.") var output: String
    @Option(help: "Weight of energies (per atom).") var energyWeight: Double = 1
    @Option(help: "Weight of forces.") var forceWeight: Double = 0.01
    @Option(help: "Weight of stresses (virials per atom).") var stressWeight: Double = 0.001
    @Option(help: "Scale force weights by eps/(|F|^2+eps) with this eps (A^2/eV^2... as MLIP's --scale-by-force).")
    var scaleByForce: Double?
    @Option(name: .customLong("max-iter"), help: "Maximum number of iterations.") var maxIterations: Int = 100
    @Option(name: .customLong("tolerance"), help: "Stop when an iteration lowers the loss by less than this fraction.")
    var tolerance: Double = 1e-8
    @Option(help: "Ridge penalty on species and moment coefficients.") var ridge: Double = 0
    @Option(help: "lm: Levenberg-Marquardt on the full Jacobian (few, costly iterations); bfgs: MLIP's dense BFGS on cheap loss gradients.")
    var optimizer: Optimizer = .levenbergMarquardt
    @Option(help: "Memory per rank (GB) for keeping radial basis values and monomials between evaluations (default 0: rebuilt per configuration from the kept neighbour lists, which measured as fast or faster).")
    var cacheMemory: Double = 0
    @Option(help: "Element symbols of species 0, 1, ... (for extended XYZ).") var species: String?
    @Option(help: "Write a checkpoint every N iterations (0: never).") var checkpointEvery: Int = 5
    @Flag(help: "Continue from the checkpoint next to --output (OUTPUT.checkpoint.json).") var resume = false
    @Option(help: "Machine-readable summary (JSON); default OUTPUT.json.") var summary: String?

    func validate() throws {
        guard energyWeight >= 0, forceWeight >= 0, stressWeight >= 0 else { throw ValidationError("weights must be non-negative") }
        guard maxIterations >= 0 else { throw ValidationError("--max-iter must be non-negative") }
    }

    var checkpointPath: String { output + ".checkpoint.json" }

    func run() throws {
        let comm = Communicator.start()
        defer { Communicator.finish() }
        func say(_ s: String) { if comm.isRoot { print(s); fflush(stdout) } }
        var failure: Error? = nil
        do {
            try train(comm, say)
        } catch {
            failure = error
        }
        // Ranks agree on failure so that none waits in a collective call;
        // the lowest failing rank reports (every rank sees the same input
        // error for .cfg files, so it is printed once).
        let firstFailing = -Int(comm.allReduceMax(-Double(failure == nil ? comm.size : comm.rank)))
        if firstFailing < comm.size {
            if let failure, comm.rank == firstFailing {
                FileHandle.standardError.write(Data("mtp: error: \(failure)\n".utf8))
            }
            Communicator.finish()
            throw ExitCode(1)
        }
    }

    /// This rank's configurations, the total count and the group names.
    func load(_ comm: Communicator, speciesCount: Int) throws -> (local: [Configuration], first: Int, total: Int, atoms: Int) {
        if data.lowercased().hasSuffix(".h5") {
            let shard = try ShardedRead.read(path: data, communicator: comm)
            guard shard.totalConfigurations > 0 else { throw InputError(file: data, "the training set is empty") }
            guard shard.species.count <= speciesCount else {
                throw InputError(file: data, "the store has \(shard.species.count) species (\(shard.species.joined(separator: ","))), the potential species_count \(speciesCount)")
            }
            let atoms = Int(comm.allGatherOrdered([Double(shard.configurations.reduce(0) { $0 + $1.atomCount })]).reduce(0, +))
            return (shard.configurations, shard.range.lowerBound, shard.totalConfigurations, atoms)
        }
        let symbols = species.map { $0.split(separator: ",").map(String.init) }
        let (all, _) = try ConfigurationFiles.read(data, symbols: symbols)
        guard !all.isEmpty else { throw InputError(file: data, "the training set is empty") }
        let range = Partition.contiguous(costs: all.map { Double($0.atomCount) }, parts: comm.size)[comm.rank]
        return (Array(all[range]), range.lowerBound, all.count, all.reduce(0) { $0 + $1.atomCount })
    }

    func train(_ comm: Communicator, _ say: (String) -> Void) throws {
        let start = try MTPFile.read(path: potential)
        let (local, first, total, atoms) = try load(comm, speciesCount: start.speciesCount)
        for (n, config) in local.enumerated() {
            let c = first + n
            for (a, z) in config.species.enumerated() where z >= start.speciesCount {
                throw ConfigurationFiles.located(EvaluationError.speciesOutOfRange(atom: a, species: z, speciesCount: start.speciesCount),
                                                 in: data, configuration: c)
            }
            if config.energy == nil && config.forces == nil && config.virial == nil {
                throw InputError(file: data, line: SourceLines.line(in: data, configuration: c),
                                 "configuration \(c + 1) has no energy, forces or stress to fit")
            }
        }

        let options = TrainingOptions(loss: LossSettings(energyWeight: energyWeight, forceWeight: forceWeight,
                                                         stressWeight: stressWeight, forceScalingEpsilon: scaleByForce),
                                      maxIterations: maxIterations, tolerance: tolerance, ridge: ridge,
                                      optimizer: optimizer)
        let trainer: Trainer
        do {
            trainer = try Trainer(potential: start, configurations: local, totalCount: total, options: options, communicator: comm,
                                  cacheBudget: Int(max(0, cacheMemory) * 1e9))
        } catch {
            throw InputError(file: data, "\(error)")
        }
        var resumeState: TrainerState? = nil
        if resume {
            guard let d = FileManager.default.contents(atPath: checkpointPath),
                  let s = try? JSONDecoder().decode(Checkpoint.self, from: d) else {
                throw InputError(file: checkpointPath, "no readable checkpoint to resume from")
            }
            guard s.state.parameters.count == trainer.potential.parameterCount, s.options == options else {
                throw InputError(file: checkpointPath, "the checkpoint belongs to another potential or other settings")
            }
            resumeState = s.state
            say("resuming at iteration \(s.state.iteration) (loss \(s.state.loss))")
        }
        say("training \(trainer.potential.parameterCount) parameters on \(total) configurations (\(atoms) atoms), \(comm.size) rank\(comm.size == 1 ? "" : "s")")
        say("  iter                loss  E-RMSE meV/atom   F-RMSE eV/A   S-RMSE GPa      lambda    cond(lin)    time s")
        let clock = ContinuousClock()
        let t0 = clock.now
        let final = try trainer.run(from: resumeState, progress: { r in
            say(String(format: "%6d  %.12e  %12.4f  %12.5f  %11.5f  %10.2e  %11.3e  %8.2f",
                       r.state.iteration, r.errors.loss, r.errors.energyRMSE, r.errors.forceRMSE, r.errors.stressRMSE,
                       r.state.lambda, r.conditionNumber, r.seconds))
        }, checkpoint: { state in
            guard comm.isRoot, checkpointEvery > 0, state.iteration % checkpointEvery == 0 || state.converged else { return }
            let data = try JSONEncoder().encode(Checkpoint(state: state, options: options))
            try AtomicFile.write(data, to: checkpointPath)
        })
        let wall = clock.now - t0
        var pot = trainer.potential
        pot.parameters = final.parameters
        if comm.isRoot { try MTPFile.write(pot, to: output) }

        // Final error table per group, from every rank's shard.
        let ev = try Evaluator(pot)
        let table = try GroupErrors.gather(local, evaluator: ev, communicator: comm)
        say("")
        say(table.text)
        say("iterations \(final.iteration), Jacobian passes \(final.jacobianPasses), loss evaluations \(final.lossEvaluations), loss+gradient evaluations \(final.gradientEvaluations), wall \(String(format: "%.2f", Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18)) s -> \(output)")
        let t = trainer.timings
        func per(_ x: PassTimings.Tally, _ name: String) -> String? {
            x.count == 0 ? nil : String(format: "%@ %.3f s wall, %.3f s CPU (%d)", name, x.wallPerPass, x.cpuPerPass, x.count)
        }
        let passes = [per(t.jacobian, "Jacobian pass"), per(t.gradient, "loss+gradient"), per(t.loss, "loss")].compactMap { $0 }
        say("time per pass on rank 0: " + passes.joined(separator: "; ")
            + (trainer.cacheBudget == 0 ? "" : String(format: "; neighbourhood cache %.0f MB for %d of %d local configurations",
                                                          Double(trainer.cacheBytes) / 1e6, trainer.cachedConfigurations, local.count)))
        if comm.isRoot {
            let s = Summary(potential: output, parameters: pot.parameterCount, level: nil,
                            configurations: total, ranks: comm.size,
                            iterations: final.iteration, jacobianPasses: final.jacobianPasses,
                            lossEvaluations: final.lossEvaluations, gradientEvaluations: final.gradientEvaluations,
                            optimizer: options.optimizer.rawValue, loss: final.loss, converged: final.converged,
                            wallSeconds: Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18,
                            timings: trainer.timings, cacheBytes: trainer.cacheBytes,
                            cachedConfigurations: trainer.cachedConfigurations,
                            groups: table.groups)
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try enc.encode(s), to: summary ?? (output + ".json"))
        }
    }

    struct Checkpoint: Codable {
        var state: TrainerState
        var options: TrainingOptions
    }

    struct Summary: Codable {
        var potential: String
        var parameters: Int
        var level: Int?
        var configurations: Int
        var ranks: Int
        var iterations: Int
        var jacobianPasses: Int
        var lossEvaluations: Int
        var gradientEvaluations: Int
        var optimizer: String
        var loss: Double
        var converged: Bool
        var wallSeconds: Double
        /// Rank 0's time per kind of pass (wall and CPU seconds).
        var timings: PassTimings
        var cacheBytes: Int
        var cachedConfigurations: Int
        var groups: [GroupErrors.Row]
    }
}

/// Errors per group (and over all) of a potential on every rank's
/// configurations: RMSE, MAE and max, in meV/atom, eV/A and GPa.
enum GroupErrors {
    struct Row: Codable {
        var group: String
        var configurations: Int
        var energyRMSE, energyMAE, energyMax: Double
        var forceRMSE, forceMAE, forceMax: Double
        var stressRMSE, stressMAE, stressMax: Double
    }

    static func gather(_ local: [Configuration], evaluator ev: Evaluator, communicator comm: Communicator) throws -> (text: String, groups: [Row]) {
        // Per configuration: energy error (meV/atom) or NaN, then force and stress sums.
        let width = 10
        var flat = [Double](repeating: 0, count: width * local.count)
        var names: [String] = []
        let ws = EvaluationWorkspace()
        for (c, config) in local.enumerated() {
            var pred = config
            let e = try ev.evaluate(config, neighbors: NeighborList(config, cutoff: ev.cutoff), workspace: ws)
            pred.energy = e.energy; pred.forces = e.forces; pred.virial = e.virial
            var le = LabelErrors()
            le.add(predicted: pred, reference: config)
            let o = width * c
            flat[o] = le.energyPerAtom.count > 0 ? le.energyPerAtom.sumAbs : .nan
            flat[o + 1] = le.forceComponent.sumSquares; flat[o + 2] = le.forceComponent.sumAbs
            flat[o + 3] = le.forceComponent.max; flat[o + 4] = Double(le.forceComponent.count)
            flat[o + 5] = le.stress.sumSquares; flat[o + 6] = le.stress.sumAbs
            flat[o + 7] = le.stress.max; flat[o + 8] = Double(le.stress.count)
            flat[o + 9] = 0
            names.append(config.group ?? "all")
        }
        // Group names travel as a sorted, comma-free list gathered from every rank.
        let localNames = Array(Set(names)).sorted()
        let encoded = localNames.joined(separator: "\n")
        let bytes = comm.allGatherOrdered(encoded.utf8.map { Double($0) } + [10])
        let allNames = Array(Set(String(decoding: bytes.map { UInt8($0) }, as: UTF8.self)
            .split(separator: "\n").map(String.init))).sorted()
        for (c, n) in names.enumerated() { flat[width * c + 9] = Double(allNames.firstIndex(of: n)!) }
        let all = comm.allGatherOrdered(flat)
        var rows: [Row] = []
        let groupsToShow = allNames.count > 1 ? allNames + ["(all)"] : allNames
        for (gi, g) in groupsToShow.enumerated() {
            var e = LabelErrors.Statistic(), f = LabelErrors.Statistic(), s = LabelErrors.Statistic()
            var count = 0
            for c in 0..<(all.count / width) {
                let o = width * c
                if g != "(all)" && Int(all[o + 9]) != gi { continue }
                count += 1
                if !all[o].isNaN { e.count += 1; e.sumSquares += all[o] * all[o]; e.sumAbs += all[o]; e.max = max(e.max, all[o]) }
                f.sumSquares += all[o + 1]; f.sumAbs += all[o + 2]; f.max = max(f.max, all[o + 3]); f.count += Int(all[o + 4])
                s.sumSquares += all[o + 5]; s.sumAbs += all[o + 6]; s.max = max(s.max, all[o + 7]); s.count += Int(all[o + 8])
            }
            rows.append(Row(group: g, configurations: count,
                            energyRMSE: e.rmse, energyMAE: e.mae, energyMax: e.max,
                            forceRMSE: f.rmse, forceMAE: f.mae, forceMax: f.max,
                            stressRMSE: s.rmse, stressMAE: s.mae, stressMax: s.max))
        }
        var text = "training errors      configs | energy meV/atom: RMSE      MAE      max | forces eV/A: RMSE     MAE     max | stress GPa: RMSE     MAE     max\n"
        for r in rows {
            text += r.group.padding(toLength: max(20, r.group.count), withPad: " ", startingAt: 0)
            text += String(format: " %7d | %20.4f %8.4f %8.4f | %17.5f %7.5f %7.5f | %16.5f %7.5f %7.5f\n",
                           r.configurations, r.energyRMSE, r.energyMAE, r.energyMax,
                           r.forceRMSE, r.forceMAE, r.forceMax, r.stressRMSE, r.stressMAE, r.stressMax)
        }
        return (text, rows)
    }
}

extension Optimizer: ExpressibleByArgument {}
