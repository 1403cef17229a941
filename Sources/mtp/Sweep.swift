import ArgumentParser
import Foundation
import Atomistic
import MTP
import Fitting
import Parallel
import TrainingStore
import Sweep

/// `mtp sweep`: fits every (level, cutoff) of a grid, side by side on groups
/// of ranks, and tabulates and plots error against cost.
///
/// Every rank computes the same plan; rank 0 alone decides which fits are
/// already finished (their records) and broadcasts it, so all ranks agree on
/// the schedule. The ranks are then split into one communicator per group of
/// the schedule (`Schedule`), and each group trains its fits one after the
/// other exactly as `mtp train` would (same untrained potential as
/// `mtp basis`, same options, same data split), writes the potential, then
/// the record. A fit counts as finished only once its record is on disk, so
/// a sweep killed at any point resumes by rerunning the same command.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Fit every (level, cutoff) of a grid side by side on groups of ranks; tabulate and plot error against cost.",
        discussion: """
        mpirun -np N mtp sweep DATA --levels 8:24:2 --cutoffs 5.2,6.5,8.2 --out DIR
        Plans every fit, estimates its cost (parameters x cutoff^3), splits the N ranks into groups of
        near-equal work (large fits get more ranks) and runs the groups side by side. Per fit, in
        DIR/fits: NAME.mtp (trained), NAME.untrained.mtp (as `mtp basis` writes it), NAME.log, NAME.json
        (settings, errors per group, iterations, wall time, condition number, and the measured cost: best
        time per force call per atom on 6x6x6 hcp Mg, measured on rank 0 after all training, one fit at a time). Then DIR/summary.csv, DIR/summary.md and
        plots (rmse-vs-level, cost-vs-error with the Pareto front; data and gnuplot scripts beside).
        Rerunning the same command skips fits whose record matches the settings and redoes the others.
        Each fit equals `mtp train` run alone with the same settings.
        """)

    @Argument(help: "Training set (.h5, .cfg, .extxyz).") var data: String
    @Option(help: "Levels: FIRST:LAST[:STEP] (step 2 by default) or a list, e.g. 8:24:2 or 8,16.") var levels: String
    @Option(help: "Cutoffs (A), e.g. 5.2,6.5,8.2.") var cutoffs: String
    @Option(help: "Smallest interatomic distance of the radial basis (A).") var minDist: Double = 1.8
    @Option(help: "Train only on configurations of these groups (comma-separated).") var groups: String?
    @Option(name: .customLong("out"), help: "Output directory (created if missing).") var out: String
    @Option(help: "Number of species (default: from the data).") var speciesCount: Int?
    @Option(help: "Number of Chebyshev polynomials in the radial basis.") var radialBasisSize: Int = 8
    @Option(help: "Weight of energies (per atom).") var energyWeight: Double = 1
    @Option(help: "Weight of forces.") var forceWeight: Double = 0.01
    @Option(help: "Weight of stresses (virials per atom).") var stressWeight: Double = 0.001
    @Option(help: "Scale force weights by eps/(|F|^2+eps) with this eps (as mtp train).") var scaleByForce: Double?
    @Option(name: .customLong("max-iter"), help: "Iterations per fit (at most).") var maxIterations: Int = 100
    @Option(name: .customLong("tolerance"), help: "Stop a fit when an iteration lowers the loss by less than this fraction.")
    var tolerance: Double = 1e-8
    @Option(help: "Ridge penalty on species and moment coefficients.") var ridge: Double = 0
    @Option(help: "lm (Levenberg-Marquardt) or bfgs, as for `mtp train`.") var optimizer: Optimizer = .levenbergMarquardt
    @Option(help: "Element symbols of species 0, 1, ... (for extended XYZ).") var species: String?
    @Option(help: "Plot format: svg or png.") var format: String = "svg"
    @Option(help: "Save each fit's progress every N iterations, to continue a killed sweep mid-fit.") var checkpointEvery: Int = 5

    func validate() throws {
        guard energyWeight >= 0, forceWeight >= 0, stressWeight >= 0 else { throw ValidationError("weights must be non-negative") }
        guard maxIterations >= 0 else { throw ValidationError("--max-iter must be non-negative") }
        guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be at least 1") }
        guard minDist >= 0 else { throw ValidationError("--min-dist must be non-negative") }
        guard radialBasisSize >= 2 else { throw ValidationError("--radial-basis-size must be at least 2") }
        if let s = speciesCount, s < 1 { throw ValidationError("--species-count must be at least 1") }
        guard ["svg", "png"].contains(format) else { throw ValidationError("--format is svg or png") }
        do {
            _ = try Plan.levels(levels)
            _ = try Plan.cutoffs(cutoffs, minDist: minDist)
        } catch {
            throw ValidationError("\(error)")
        }
        if let g = groups, groupList(g).isEmpty { throw ValidationError("--groups needs at least one group name") }
    }

    func groupList(_ s: String) -> [String] {
        s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    var isStore: Bool { data.lowercased().hasSuffix(".h5") }
    var fitsDirectory: String { (out as NSString).appendingPathComponent("fits") }
    func path(_ spec: FitSpec, _ suffix: String) -> String {
        (fitsDirectory as NSString).appendingPathComponent(spec.name + suffix)
    }

    var options: TrainingOptions {
        TrainingOptions(loss: LossSettings(energyWeight: energyWeight, forceWeight: forceWeight, stressWeight: stressWeight,
                                           forceScalingEpsilon: scaleByForce),
                        maxIterations: maxIterations, tolerance: tolerance, ridge: ridge, optimizer: optimizer)
    }

    func run() throws {
        let world = Communicator.start()
        defer { Communicator.finish() }
        var failed = false
        do {
            failed = try sweep(world)
        } catch {
            // Set-up errors (plan, data, output directory) happen on every
            // rank alike before any fit starts; rank 0 reports.
            if world.isRoot { FileHandle.standardError.write(Data("mtp: error: \(error)\n".utf8)) }
            failed = true
        }
        if failed {
            Communicator.finish()
            throw ExitCode(1)
        }
    }

    // MARK: - The driver

    /// Returns whether any fit failed (reported already).
    func sweep(_ world: Communicator) throws -> Bool {
        let t0 = Date()
        func say(_ s: String) { if world.isRoot { print(s); fflush(stdout) } }

        // Settings every rank derives alike.
        let symbols = species.map { $0.split(separator: ",").map(String.init) }
        let groupFilter = groups.map(groupList)
        let dataPath = URL(fileURLWithPath: data).standardizedFileURL.path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: data),
              let bytes = (attributes[.size] as? NSNumber)?.int64Value else {
            throw InputError(file: data, "cannot read the training set")
        }
        // Rank 0 finds the species count (and creates the directory); all agree.
        var shared = [0.0, 0.0]  // species count, set-up failed
        var setupError: Error? = nil
        if world.isRoot {
            do {
                do {
                    try FileManager.default.createDirectory(atPath: fitsDirectory, withIntermediateDirectories: true)
                } catch {
                    throw InputError(file: fitsDirectory, "cannot create the output directory (\(error.localizedDescription))")
                }
                shared[0] = Double(try speciesCount ?? dataSpeciesCount(symbols: symbols))
            } catch {
                setupError = error
                shared[1] = 1
            }
        }
        world.broadcast(&shared)
        if let setupError { throw setupError }
        if shared[1] != 0 { return true }
        let speciesCount = Int(shared[0])

        let levelList = try Plan.levels(levels)
        let cutoffList = try Plan.cutoffs(cutoffs, minDist: minDist)
        let plan = try Plan.grid(levels: levelList, cutoffs: cutoffList, speciesCount: speciesCount,
                                 radialBasisSize: radialBasisSize, minDist: minDist)
        let settings = plan.map {
            FitSettings(level: $0.spec.level, cutoff: $0.spec.cutoff, minDist: minDist, radialBasisSize: radialBasisSize,
                        speciesCount: speciesCount, options: options, data: dataPath, dataBytes: bytes,
                        groups: groupFilter, species: symbols, costStructure: CostMeter.structureDescription)
        }

        // Rank 0 decides what is finished; stale "running" markers of a
        // killed run go.
        var done = [Double](repeating: 0, count: plan.count)
        if world.isRoot {
            for (i, s) in settings.enumerated() {
                if Records.finished(s, json: path(s.spec, ".json"), potential: path(s.spec, ".mtp")) != nil { done[i] = 1 }
                try? FileManager.default.removeItem(atPath: path(s.spec, ".running"))
            }
        }
        world.broadcast(&done)
        let pending = plan.indices.filter { done[$0] == 0 }
        say("sweep: \(plan.count) fits (levels \(levelList.map(String.init).joined(separator: ",")) x cutoffs \(cutoffList.map { String(format: "%.2f", $0) }.joined(separator: ","))), \(speciesCount) species, \(plan.count - pending.count) already finished, \(pending.count) to run on \(world.size) rank\(world.size == 1 ? "" : "s")")
        for (i, p) in plan.enumerated() where done[i] != 0 { say("  done     \(p.spec.name)  (record \(path(p.spec, ".json")))") }

        var failures = 0
        if !pending.isEmpty {
            let schedule = Schedule.make(costs: pending.map { plan[$0].estimatedCost }, ranks: world.size)
            let total = pending.reduce(0.0) { $0 + plan[$1].estimatedCost }
            for (g, group) in schedule.groups.enumerated() {
                let names = group.fits.map { plan[pending[$0]].spec.name }.joined(separator: " ")
                say(String(format: "  group %d: ranks %@ (%d): %@  [%.0f%% of the estimated work]",
                           g, rankText(group.ranks), group.ranks.count, names, 100 * group.cost / max(total, 1e-300)))
            }
            let myGroup = schedule.group(ofRank: world.rank)!
            let comm = world.split(color: myGroup, key: world.rank)!
            let group = schedule.groups[myGroup]
            failures = runGroup(group.fits.map { pending[$0] }, plan: plan, settings: settings, ranks: group.ranks,
                                comm: comm, symbols: symbols)
            comm.free()
            failures = Int(world.allReduceMax(Double(failures)) > 0 ? 1 : 0)
        }

        // Summary over every finished fit of the grid, old and new.
        if world.isRoot {
            var records: [FitRecord] = []
            var missing: [FitSpec] = []
            for s in settings {
                if let r = Records.finished(s, json: path(s.spec, ".json"), potential: path(s.spec, ".mtp")) {
                    records.append(try withCost(r))
                } else {
                    missing.append(s.spec)
                }
            }
            let csvPath = (out as NSString).appendingPathComponent("summary.csv")
            let mdPath = (out as NSString).appendingPathComponent("summary.md")
            try AtomicFile.write(Records.csv(records), to: csvPath)
            try AtomicFile.write(Records.markdown(records, missing: missing, title: "mtp sweep of \(data)"), to: mdPath)
            print("")
            print(Records.markdown(records, missing: missing, title: "sweep summary"))
            for line in try SweepPlots.render(records, directory: out, format: format) { print(line) }
            print(String(format: "sweep: %d of %d fits finished, %.1f s -> %@, %@", records.count, plan.count,
                         Date().timeIntervalSince(t0), csvPath, mdPath))
            if !missing.isEmpty {
                FileHandle.standardError.write(Data("mtp: error: \(missing.count) fit\(missing.count == 1 ? "" : "s") did not finish (\(missing.map(\.name).joined(separator: ", "))); rerun the same command to continue\n".utf8))
            }
            fflush(stdout)
        }
        return failures > 0
    }

    /// `record` with its measured cost, measuring (and saving) it if the
    /// record has none yet. Costs are measured here, one fit after the
    /// other on rank 0 once all training is over, so that no fit's timing
    /// competes with another fit's training.
    func withCost(_ record: FitRecord) throws -> FitRecord {
        if record.cost != nil { return record }
        var r = record
        let pot = try MTPFile.read(path: path(r.settings.spec, ".mtp"))
        let c = try CostMeter.measure(pot)
        r.cost = c
        try Records.write(r, to: path(r.settings.spec, ".json"))
        print(String(format: "cost %@: %.4g us per atom per force call (%d calls, %.1f neighbours per atom)",
                     r.name, c.microsecondsPerAtom, c.calls, c.neighboursPerAtom))
        fflush(stdout)
        return r
    }

    func rankText(_ r: Range<Int>) -> String { r.count == 1 ? "\(r.lowerBound)" : "\(r.lowerBound)-\(r.upperBound - 1)" }

    /// Species count of the data: the store's species, the --species list,
    /// or the largest type index + 1 of a .cfg file.
    func dataSpeciesCount(symbols: [String]?) throws -> Int {
        if isStore { return max(try StoreReader(path: data).species.count, 1) }
        let (all, named) = try ConfigurationFiles.read(data, symbols: symbols)
        let largest = all.flatMap(\.species).max() ?? 0
        return max(named?.count ?? 0, largest + 1)
    }

    // MARK: - One group of ranks

    /// Runs `fits` one after the other on the group's communicator; returns
    /// the number that failed (each reported on stderr by the group's root).
    func runGroup(_ fits: [Int], plan: [PlannedFit], settings: [FitSettings], ranks: Range<Int>,
                  comm: Communicator, symbols: [String]?) -> Int {
        let label = "ranks \(rankText(ranks))"
        func report(_ s: String) { if comm.isRoot { print("[\(timestamp())] \(label): \(s)"); fflush(stdout) } }
        func complain(_ s: String) { if comm.isRoot { FileHandle.standardError.write(Data("mtp: error: \(label): \(s)\n".utf8)) } }

        // The group's share of the data, read once for all its fits.
        var loaded: (local: [Configuration], total: Int, atoms: Int)? = nil
        var lists: [NeighborList] = []
        var loadError: Error? = nil
        do {
            loaded = try load(comm, symbols: symbols, speciesCount: settings[0].speciesCount)
            // Neighbour lists once, at the group's largest cutoff; each fit
            // takes the pairs inside its own cutoff from them.
            let largest = fits.map { plan[$0].spec.cutoff }.max() ?? 0
            if largest > 0, let local = loaded?.local {
                for (c, config) in local.enumerated() {
                    do { lists.append(try NeighborList(config, cutoff: largest)) } catch {
                        throw InputError(file: data, "configuration \(c + 1) of this rank's share: \(error)")
                    }
                }
            }
        } catch { loadError = error }
        // Agree before any collective of the trainer, so no rank waits alone.
        let firstFailing = -Int(comm.allReduceMax(-Double(loadError == nil ? comm.size : comm.rank)))
        guard firstFailing == comm.size, let data = loaded else {
            if let loadError, comm.rank == firstFailing {
                FileHandle.standardError.write(Data("mtp: error: \(label): \(loadError)\n".utf8))
            }
            return fits.count
        }
        var failures = 0
        // Time left: the seconds per unit of estimated cost measured so far
        // in this group, times the estimated cost of the fits still to run.
        let groupStart = Date()
        var costDone = 0.0
        let costTotal = fits.reduce(0.0) { $0 + plan[$1].estimatedCost }
        for (n, f) in fits.enumerated() {
            let spec = plan[f].spec
            report("start \(spec.name) (\(plan[f].parameterCount) parameters, \(data.total) configurations) [\(n + 1)/\(fits.count) of this group]")
            if comm.isRoot { try? AtomicFile.write("\(label)\nstarted \(timestamp())\n", to: path(spec, ".running")) }
            do {
                let r = try fit(plan[f], settings: settings[f], data: data, neighbors: lists, comm: comm)
                report(String(format: "done  %@: E-RMSE %.4f meV/atom, F-RMSE %.5f eV/A, %d iterations, %.1f s",
                              spec.name, r.overall?.energyRMSE ?? .nan, r.overall?.forceRMSE ?? .nan, r.iterations,
                              r.wallSeconds))
            } catch {
                complain("\(spec.name) failed: \(error)")
                failures += 1
            }
            if comm.isRoot { try? FileManager.default.removeItem(atPath: path(spec, ".running")) }
            costDone += plan[f].estimatedCost
            if n + 1 < fits.count, costDone > 0 {
                let elapsed = Date().timeIntervalSince(groupStart)
                let left = elapsed / costDone * (costTotal - costDone)
                report(String(format: "%d of %d fits of this group done, about %.0f s left for this group", n + 1, fits.count, left))
            }
        }
        return failures
    }

    func timestamp() -> String {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss"
        return f.string(from: Date())
    }

    /// This rank's configurations of the group, split as `mtp train` splits
    /// them among the group's ranks, after the --groups filter.
    func load(_ comm: Communicator, symbols: [String]?, speciesCount: Int) throws -> (local: [Configuration], total: Int, atoms: Int) {
        let wanted = groups.map { Set(groupList($0)) }
        func keep(_ c: Configuration) -> Bool { wanted.map { w in c.group.map(w.contains) ?? false } ?? true }
        var local: [Configuration]
        var first = 0
        var present: Set<String> = []
        if isStore {
            let shard = try ShardedRead.read(path: data, communicator: comm)
            if let wanted, let unknown = wanted.subtracting(shard.groups).sorted().first {
                throw InputError(file: data, "no group '\(unknown)' (the store has: \(shard.groups.joined(separator: ", ")))")
            }
            present = Set(shard.groups)
            local = shard.configurations.filter(keep)
            first = shard.range.lowerBound
        } else {
            let (all, _) = try ConfigurationFiles.read(data, symbols: symbols)
            present = Set(all.compactMap(\.group))
            let selected = all.filter(keep)
            let range = Partition.contiguous(costs: selected.map { Double($0.atomCount) }, parts: comm.size)[comm.rank]
            local = Array(selected[range])
            first = range.lowerBound
        }
        let counts = comm.allGatherOrdered([Double(local.count), Double(local.reduce(0) { $0 + $1.atomCount })])
        let total = stride(from: 0, to: counts.count, by: 2).reduce(0) { $0 + Int(counts[$1]) }
        let atoms = stride(from: 1, to: counts.count, by: 2).reduce(0) { $0 + Int(counts[$1]) }
        guard total > 0 else {
            throw InputError(file: data, groups == nil ? "the training set is empty"
                             : "no configurations in groups \(groups!) (groups in the data: \(present.isEmpty ? "none" : present.sorted().joined(separator: ", ")))")
        }
        for (n, config) in local.enumerated() {
            for (a, z) in config.species.enumerated() where z >= speciesCount {
                throw InputError(file: data, "configuration \(first + n + 1), atom \(a + 1): type \(z), but the sweep has \(speciesCount) species")
            }
            if config.energy == nil && config.forces == nil && config.virial == nil {
                throw InputError(file: data, "configuration \(first + n + 1) has no energy, forces or stress to fit")
            }
        }
        return (local, total, atoms)
    }

    /// One fit on the group's ranks: the same steps as `mtp basis` followed
    /// by `mtp train`; the record is written last, after the potential.
    func fit(_ planned: PlannedFit, settings: FitSettings, data: (local: [Configuration], total: Int, atoms: Int),
             neighbors: [NeighborList], comm: Communicator) throws -> FitRecord {
        let spec = planned.spec
        let untrainedPath = path(spec, ".untrained.mtp")
        // Through the .mtp text, exactly as `mtp train` reads what `mtp basis` wrote.
        let text = MTPFile.format(try Potential.untrained(level: spec.level, speciesCount: settings.speciesCount,
                                                          minDist: settings.minDist, maxDist: spec.cutoff,
                                                          radialBasisSize: settings.radialBasisSize))
        let start = try MTPFile.parse(text, file: untrainedPath)

        // A checkpoint of this fit with these settings: the root reads it and
        // every rank of the group gets the same bytes.
        let checkpointPath = path(spec, ".checkpoint.json")
        var bytes: [Double] = []
        if comm.isRoot, let d = FileManager.default.contents(atPath: checkpointPath),
           let c = FitCheckpoint.decode(d, matching: settings), c.state.parameters.count == start.parameterCount {
            bytes = d.map { Double($0) }
        }
        var length = [Double(bytes.count)]
        comm.broadcast(&length)
        if !comm.isRoot { bytes = [Double](repeating: 0, count: Int(length[0])) }
        comm.broadcast(&bytes)
        let resume = bytes.isEmpty ? nil : FitCheckpoint.decode(Data(bytes.map { UInt8($0) }), matching: settings)

        let logPath = path(spec, ".log")
        var log: FileHandle? = nil
        try onRoot(comm) {
            try AtomicFile.write(text, to: untrainedPath)
            if resume == nil || !FileManager.default.fileExists(atPath: logPath) { try AtomicFile.write("", to: logPath) }
            log = FileHandle(forWritingAtPath: logPath)
            _ = try log?.seekToEnd()
        }
        defer { try? log?.close() }
        func write(_ s: String) { try? log?.write(contentsOf: Data((s + "\n").utf8)) }

        let trainer = try Trainer(potential: start, configurations: data.local, totalCount: data.total,
                                  options: settings.options, communicator: comm,
                                  neighbors: neighbors.count == data.local.count ? neighbors : nil)
        write("mtp sweep fit \(spec.name): level \(spec.level), cutoff \(spec.cutoff) A, min-dist \(settings.minDist) A, radial basis \(settings.radialBasisSize)")
        write("training \(trainer.potential.parameterCount) parameters on \(data.total) configurations (\(data.atoms) atoms), \(comm.size) rank\(comm.size == 1 ? "" : "s")")
        write("  iter                loss  E-RMSE meV/atom   F-RMSE eV/A   S-RMSE GPa      lambda    cond(lin)    time s")
        if let resume { write("resuming at iteration \(resume.state.iteration) (loss \(resume.state.loss))") }
        var condition = Double.nan
        let clock = ContinuousClock()
        let t0 = clock.now
        let earlier = resume?.wallSeconds ?? 0
        func seconds() -> Double {
            let d = clock.now - t0
            return earlier + Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        let final = try trainer.run(from: resume?.state, progress: { r in
            condition = r.conditionNumber
            write(String(format: "%6d  %.12e  %12.4f  %12.5f  %11.5f  %10.2e  %11.3e  %8.2f",
                         r.state.iteration, r.errors.loss, r.errors.energyRMSE, r.errors.forceRMSE, r.errors.stressRMSE,
                         r.state.lambda, r.conditionNumber, r.seconds))
        }, checkpoint: { state in
            // Best effort, root only: a checkpoint that cannot be written
            // costs a restart after a crash, never the fit.
            guard comm.isRoot, state.iteration % checkpointEvery == 0, !state.converged,
                  state.iteration < settings.options.maxIterations else { return }
            if let d = try? FitCheckpoint.encode(FitCheckpoint(settings: settings, state: state, wallSeconds: seconds())) {
                try? AtomicFile.write(d, to: checkpointPath)
            }
        })
        let wall = seconds()
        var pot = trainer.potential
        pot.parameters = final.parameters
        let potentialPath = path(spec, ".mtp")
        try onRoot(comm) { try MTPFile.write(pot, to: potentialPath) }

        let table = try GroupErrors.gather(data.local, evaluator: try Evaluator(pot), communicator: comm)
        write("")
        write(table.text)
        write(String(format: "iterations %d, Jacobian passes %d, loss evaluations %d, wall %.2f s -> %@",
                     final.iteration, final.jacobianPasses, final.lossEvaluations, wall, potentialPath))

        let record = FitRecord(
            settings: settings, name: spec.name, potential: (potentialPath as NSString).lastPathComponent,
            log: (logPath as NSString).lastPathComponent, parameterCount: pot.parameterCount,
            basisSize: pot.basis.scalarCount, radialFuncsCount: pot.radialFuncsCount, configurations: data.total,
            ranks: comm.size, iterations: final.iteration, jacobianPasses: final.jacobianPasses,
            lossEvaluations: final.lossEvaluations, loss: final.loss, converged: final.converged, wallSeconds: wall,
            conditionNumber: condition,
            errors: table.groups.map {
                GroupErrorRow(group: $0.group, configurations: $0.configurations, energyRMSE: $0.energyRMSE,
                              energyMAE: $0.energyMAE, energyMax: $0.energyMax, forceRMSE: $0.forceRMSE,
                              forceMAE: $0.forceMAE, forceMax: $0.forceMax, stressRMSE: $0.stressRMSE,
                              stressMAE: $0.stressMAE, stressMax: $0.stressMax)
            },
            cost: nil)
        try onRoot(comm) {
            try Records.write(record, to: path(spec, ".json"))
            try? FileManager.default.removeItem(atPath: checkpointPath)
        }
        return record
    }

    /// Runs `body` on the group's root and lets every rank of the group
    /// share its outcome: a failure (a full disk, say) is thrown on all
    /// ranks alike, so none goes on to a collective call the others skip.
    func onRoot(_ comm: Communicator, _ body: () throws -> Void) throws {
        var failure: Error? = nil
        if comm.isRoot {
            do { try body() } catch { failure = error }
        }
        var flag = [failure == nil ? 0.0 : 1.0]
        comm.broadcast(&flag)
        if let failure { throw failure }
        if flag[0] != 0 { throw GroupFailure() }
    }

    /// What the other ranks of a group see when its root failed (the root
    /// reports the cause).
    struct GroupFailure: Error, CustomStringConvertible {
        var description: String { "failed on the group's first rank" }
    }
}
