import Foundation
import Atomistic
import MTP
import Fitting
import Parallel
import TrainingStore

/// One group of a sweep's ranks: loads its share of the data once, builds
/// neighbour lists once at the largest cutoff it may need, and runs the fits
/// its queue gives it one after the other, each as `mtp train` would.
struct SweepGroup {
    /// Where the group takes its fits (indices into `plan`).
    var queue: FitQueue
    /// The largest cutoff among the fits the queue may give this group.
    var largestCutoff: Double
    /// When the sweep's training began (for the time-left estimate).
    var sweepStart: Date
    var plan: [PlannedFit]
    var settings: [FitSettings]
    var ranks: Range<Int>
    var source: ShardSource
    /// The validation set (nil: none), read once per group like the data.
    var validationSource: ShardSource?
    var options: SweepOptions
    var layout: SweepLayout
    var report: SweepReporter

    static func rankText(_ r: Range<Int>) -> String { r.count == 1 ? "\(r.lowerBound)" : "\(r.lowerBound)-\(r.upperBound - 1)" }
    var label: String { "ranks \(SweepGroup.rankText(ranks))" }

    static func timestamp() -> String {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss"
        return f.string(from: Date())
    }

    /// What a group did: fits run, how many failed (each reported by the
    /// group's root), and the seconds its ranks were busy (loading data and
    /// training, from the start of `run` to the end of its last fit).
    struct Outcome {
        var fits: [Int] = []
        var failures = 0
        var busySeconds = 0.0
    }

    /// Runs the group's fits on its communicator.
    func run(_ comm: Communicator) -> Outcome {
        let begin = Date()
        var outcome = Outcome()
        func say(_ s: String) { if comm.isRoot { report.info("[\(SweepGroup.timestamp())] \(label): \(s)") } }
        let data: DataShard
        var validation: DataShard? = nil
        var lists: [NeighborList] = []
        do {
            var read = try source.read(comm)
            if let w = options.groupWeights { try w.apply(to: &read, dataPath: source.path) }
            if let w = options.energyWeights { say(try w.apply(to: &read.configurations, communicator: comm).line) }
            data = read
            validation = try validationSource?.read(comm)
            try Collective.together(comm) {
                guard data.totalConfigurations > 0 else {
                    throw InputError(file: source.path, options.groups == nil ? "the training set is empty"
                                     : "no configurations in groups \(options.groups!.joined(separator: ",")) (groups in the data: \(data.groups.isEmpty ? "none" : data.groups.sorted().joined(separator: ", ")))")
                }
                try Fit.check(data, file: source.path, speciesCount: settings[0].speciesCount)
                // Neighbour lists once, at the group's largest cutoff; each
                // fit takes the pairs inside its own cutoff from them.
                let largest = largestCutoff
                for (n, config) in data.configurations.enumerated() where largest > 0 {
                    do { lists.append(try NeighborList(config, cutoff: largest)) } catch {
                        throw data.located(error, in: source.path, local: n)
                    }
                }
            }
        } catch {
            if comm.isRoot { report.error("\(label): \(error)") }
            // The group takes no fit: other groups take the shared queue's
            // (dynamic), and fits nobody ran are listed as not finished.
            outcome.failures = 1
            outcome.busySeconds = Date().timeIntervalSince(begin)
            return outcome
        }
        while let f = queue.next(comm) {
            outcome.fits.append(f)
            let spec = plan[f].spec
            say("start \(spec.name) (\(plan[f].parameterCount) parameters, \(data.totalConfigurations) configurations) [fit \(outcome.fits.count) of this group]")
            if comm.isRoot { try? AtomicFile.write("\(label)\nstarted \(SweepGroup.timestamp())\n", to: layout.path(spec, ".running")) }
            do {
                let r = try fit(plan[f], settings: settings[f], data: data, neighbors: lists, validation: validation, comm: comm)
                say(String(format: "done  %@: E-RMSE %.4f meV/atom, F-RMSE %.5f eV/A, %d iterations, %.1f s",
                           spec.name, r.overall?.energyRMSE ?? .nan, r.overall?.forceRMSE ?? .nan, r.iterations, r.wallSeconds)
                    + (r.validationOverall.map { String(format: "; validation E-RMSE %.4f meV/atom, F-RMSE %.5f eV/A", $0.energyRMSE, $0.forceRMSE) } ?? ""))
            } catch {
                if comm.isRoot { report.error("\(label): \(spec.name) failed: \(error)") }
                outcome.failures += 1
            }
            // Time left for the whole sweep: the seconds per unit of
            // estimated cost finished so far by all groups, times the
            // estimated cost not yet finished.
            if comm.isRoot {
                try? FileManager.default.removeItem(atPath: layout.path(spec, ".running"))
                let done = queue.finished(cost: plan[f].estimatedCost)
                let total = queue.totalCost
                if done > 0, done < total * (1 - 1e-12) {
                    let left = Date().timeIntervalSince(sweepStart) / done * (total - done)
                    let whose = queue.sweepWide ? "the sweep" : "this group"
                    say(String(format: "%.0f%% of %@'s estimated work done, about %.0f s left for %@",
                               100 * done / total, whose, left, whose))
                }
            }
        }
        outcome.busySeconds = Date().timeIntervalSince(begin)
        return outcome
    }

    /// One fit on the group's ranks: the untrained potential exactly as
    /// `mtp basis` writes it, then `Fit` exactly as `mtp train` runs it; the
    /// record is written last, after the potential.
    func fit(_ planned: PlannedFit, settings: FitSettings, data: DataShard, neighbors: [NeighborList],
             validation: DataShard? = nil, comm: Communicator) throws -> FitRecord {
        let spec = planned.spec
        let untrainedPath = layout.untrained(spec)
        // Through the .mtp text, exactly as `mtp train` reads what `mtp basis` wrote.
        let text = MTPFile.format(try Potential.untrained(level: spec.level, speciesCount: settings.speciesCount,
                                                          minDist: settings.minDist, maxDist: spec.cutoff,
                                                          radialBasisSize: settings.radialBasisSize,
                                                          radialBasisType: settings.radialBasisType ?? .chebyshev))
        var start = try MTPFile.parse(text, file: untrainedPath)
        if let lower = settings.grownFrom {
            // The level below's trained potential, carried into this basis.
            let from = layout.path(FitSpec(level: lower, cutoff: spec.cutoff), ".mtp")
            // Rank 0 grows it; the group parses the same text, as it parses the untrained one.
            let grown = try Collective.fromRoot(comm) { () -> String in
                guard FileManager.default.fileExists(atPath: from) else {
                    throw InputError(file: from, "\(spec.name) grows from level \(lower) at this cutoff (--grow), whose fit did not finish")
                }
                do {
                    return MTPFile.format(try PotentialGrowth.grow(try MTPFile.read(path: from), into: start))
                } catch let e as PotentialGrowth.GrowthError {
                    throw InputError(file: from, "growing into level \(spec.level): \(e)")
                }
            }
            start = try MTPFile.parse(grown, file: from)
        }
        let checkpointing = Fit.Checkpointing(path: layout.path(spec, ".checkpoint.json"), every: options.checkpointEvery,
                                              resume: .ifPresent,
                                              tag: settings.checkpointTag)
        let logPath = layout.path(spec, ".log")
        let resuming = FileManager.default.fileExists(atPath: checkpointing.path!)
        var log: FileHandle? = nil
        try Collective.onRoot(comm) {
            try FileManager.default.createDirectory(atPath: (untrainedPath as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try AtomicFile.write(text, to: untrainedPath)
            if !resuming || !FileManager.default.fileExists(atPath: logPath) { try AtomicFile.write("", to: logPath) }
            log = FileHandle(forWritingAtPath: logPath)
            _ = try log?.seekToEnd()
        }
        defer { try? log?.close() }
        func write(_ s: String) { try? log?.write(contentsOf: Data((s + "\n").utf8)) }
        write("mtp sweep fit \(spec.name): level \(spec.level), cutoff \(spec.cutoff) A, min-dist \(settings.minDist) A, radial basis \(settings.radialBasisSize)"
              + (settings.grownFrom.map { ", grown from the level-\($0) fit (--grow)" } ?? ""))

        let potentialPath = layout.path(spec, ".mtp")
        let fit = try Fit(start: start, data: data, dataPath: source.path, options: settings.options, communicator: comm,
                          neighbors: neighbors.count == data.configurations.count ? neighbors : nil)
        if let validation, let path = validationSource?.path {
            try fit.validate(on: validation, path: path, stopAfter: options.stopOnValid)
        }
        let r = try fit.run(output: potentialPath, checkpointing: checkpointing, log: write)
        let pot = r.potential
        var record = FitRecord(
            settings: settings, name: spec.name, potential: (potentialPath as NSString).lastPathComponent,
            log: (logPath as NSString).lastPathComponent, parameterCount: pot.parameterCount,
            basisSize: pot.basis.scalarCount, radialFuncsCount: pot.radialFuncsCount, configurations: r.configurations,
            ranks: comm.size, iterations: r.state.iteration, jacobianPasses: r.state.jacobianPasses,
            lossEvaluations: r.state.lossEvaluations, loss: r.state.loss, converged: r.state.converged,
            wallSeconds: r.totalWallSeconds, conditionNumber: r.conditionNumber, errors: r.groups, cost: nil,
            validationErrors: r.validationGroups, validation: r.validation)
        record.weights = r.weights
        try Collective.onRoot(comm) {
            try Records.write(record, to: layout.path(spec, ".json"))
            // A fit that stopped at its iteration limit keeps its checkpoint
            // (written at the limit): a rerun with a higher --max-iter goes on
            // from it with the optimizer's memory. Any other ending is final.
            if !record.hitIterationLimit {
                try? FileManager.default.removeItem(atPath: checkpointing.path!)
            }
        }
        return record
    }
}
