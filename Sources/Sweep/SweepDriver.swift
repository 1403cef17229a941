import Foundation
import Atomistic
import MTP
import Fitting
import Parallel
import TrainingStore

/// `mtp sweep`: fits every (level, cutoff) of a grid, side by side on groups
/// of ranks, and tabulates and plots error against cost.
///
/// Every rank computes the same plan; rank 0 alone decides which fits are
/// already finished (their records) and broadcasts it, so all ranks agree on
/// the schedule. The ranks are then split into one communicator per group of
/// the schedule (`Schedule`), and each group runs its fits one after the
/// other (`SweepGroup`), each exactly as `mtp train` would (`Fit`). A fit
/// counts as finished only once its record is on disk, so a sweep killed at
/// any point resumes by rerunning the same command.
public struct SweepDriver {
    public let options: SweepOptions
    public let report: SweepReporter

    public init(options: SweepOptions, report: SweepReporter) {
        self.options = options
        self.report = report
    }

    var layout: SweepLayout { SweepLayout(out: options.out) }

    /// Runs the sweep on every rank of `world`; returns whether any fit
    /// failed (reported already). Set-up errors are thrown on every rank alike.
    public func run(_ world: Communicator) throws -> Bool {
        let t0 = Date()
        func say(_ s: String) { if world.isRoot { report.info(s) } }
        let source = ShardSource(path: options.data, options: FormatOptions(symbols: options.symbols), groups: options.groups)
        let dataPath = URL(fileURLWithPath: options.data).standardizedFileURL.path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: options.data),
              let bytes = (attributes[.size] as? NSNumber)?.int64Value else {
            throw InputError(file: options.data, "cannot read the training set")
        }
        let validationSource = options.validation.map { ShardSource(path: $0, options: FormatOptions(symbols: options.symbols)) }
        var validationBytes: Int64? = nil
        if let v = options.validation {
            guard let a = try? FileManager.default.attributesOfItem(atPath: v), let b = (a[.size] as? NSNumber)?.int64Value else {
                throw InputError(file: v, "cannot read the validation set")
            }
            validationBytes = b
        }
        // Rank 0 finds the species count (and creates the directory); all agree.
        let speciesCount: Int = try Collective.fromRoot(world) {
            do {
                try FileManager.default.createDirectory(atPath: layout.fits, withIntermediateDirectories: true)
            } catch {
                throw InputError(file: layout.fits, "cannot create the output directory (\(error.localizedDescription))")
            }
            return try options.speciesCount ?? source.speciesCount()
        }
        let plan = try Plan.grid(levels: options.levels, cutoffs: options.cutoffs, speciesCount: speciesCount,
                                 radialBasisSize: options.radialBasisSize, minDist: options.minDist)
        let settings = plan.map {
            var training = options.training
            if let n = options.maxIterationsAt[$0.spec.level] { training.maxIterations = n }
            var s = FitSettings(level: $0.spec.level, cutoff: $0.spec.cutoff, minDist: options.minDist,
                                radialBasisSize: options.radialBasisSize, speciesCount: speciesCount, options: training,
                                data: dataPath, dataBytes: bytes, groups: options.groups, species: options.symbols,
                                costStructure: CostMeter.structureDescription)
            s.validation = options.validation.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            s.validationBytes = validationBytes
            s.stopOnValid = options.validation == nil ? nil : options.stopOnValid
            s.groupWeights = options.groupWeights?.description
            s.energyWeights = options.energyWeights?.description
            s.radialBasisType = options.radialBasisType == .chebyshev ? nil : options.radialBasisType
            if options.grow { s.grownFrom = options.levels.filter { $0 < s.level }.max() }
            return s
        }

        // Rank 0 decides what is finished; stale "running" markers of a
        // killed run go.
        let done: [Bool] = try Collective.fromRoot(world) {
            settings.map { s in
                try? FileManager.default.removeItem(atPath: layout.path(s.spec, ".running"))
                return layout.finished(s) != nil
            }
        }
        let pending = plan.indices.filter { !done[$0] }
        say("sweep: \(plan.count) fits (levels \(options.levels.map(String.init).joined(separator: ",")) x cutoffs \(options.cutoffs.map { String(format: "%.2f", $0) }.joined(separator: ","))), \(speciesCount) species, \(plan.count - pending.count) already finished, \(pending.count) to run on \(world.size) rank\(world.size == 1 ? "" : "s")")
        for (i, p) in plan.enumerated() where done[i] { say("  done     \(p.spec.name)  (record \(layout.path(p.spec, ".json")))") }

        var failed = false
        // With --grow a level starts from the level below it, so the levels
        // train one after the other, each on all groups; otherwise all at once.
        let stages = options.grow ? options.levels.map { l in pending.filter { plan[$0].spec.level == l } } : [pending]
        for stage in stages where !stage.isEmpty {
            if options.grow { say("level \(plan[stage[0]].spec.level): \(stage.count) fit\(stage.count == 1 ? "" : "s")") }
            if try train(pending: stage, plan: plan, settings: settings, source: source,
                         validation: validationSource, world: world) { failed = true }
        }
        if world.isRoot { try summarise(plan: plan, settings: settings, since: t0) }
        return failed
    }

    /// Trains the pending fits on groups of `world`'s ranks; writes how the
    /// ranks were used (`RankUsage`, rank 0); returns whether any fit failed.
    func train(pending: [Int], plan: [PlannedFit], settings: [FitSettings], source: ShardSource,
               validation: ShardSource?, world: Communicator) throws -> Bool {
        func say(_ s: String) { if world.isRoot { report.info(s) } }
        // The queue position and finished cost, one-sided on rank 0.
        let counters = SharedCounters.make(count: 2, holder: 0, comm: world)
        var kind = options.schedule
        if counters == nil {
            say("  one-sided MPI (MPI_Win_allocate) is not available between these ranks (Open MPI needs an osc component for the network); progress is per group" + (kind == .dynamic ? ", and the static schedule runs instead of the dynamic one" : ""))
            if kind == .dynamic { kind = .static }
        }
        let arrangement = Arrangement.make(kind, pending: pending, plan: plan, ranks: world.size)
        let total = pending.reduce(0.0) { $0 + plan[$1].estimatedCost }
        say(String(format: "  %@ schedule: %d group%@, predicted idle share %.1f%% of rank time", kind.rawValue,
                   arrangement.ranks.count, arrangement.ranks.count == 1 ? "" : "s", 100 * arrangement.predictedIdleShare))
        for (g, ranks) in arrangement.ranks.enumerated() {
            let fits = arrangement.predictedFits[g]
            let names = fits.map { plan[$0].spec.name }.joined(separator: " ")
            let cost = fits.reduce(0.0) { $0 + plan[$1].estimatedCost }
            say(String(format: "  group %d: ranks %@ (%d): %@%@  [%.0f%% of the estimated work]",
                       g, SweepGroup.rankText(ranks), ranks.count, kind == .dynamic ? "predicted " : "",
                       names, 100 * cost / max(total, 1e-300)))
        }
        let myGroup = arrangement.group(ofRank: world.rank)!
        let comm = world.split(color: myGroup, key: world.rank)!
        let start = Date()
        let cpu0 = ProcessTime.cpuSeconds()
        let runner = SweepGroup(queue: arrangement.queue(group: myGroup, counters: counters, plan: plan, totalCost: total),
                                largestCutoff: arrangement.largestCutoff[myGroup], sweepStart: start, plan: plan,
                                settings: settings, ranks: arrangement.ranks[myGroup], source: source,
                                validationSource: validation, options: options,
                                layout: layout, report: report)
        let outcome = runner.run(comm)
        // Wait for the other groups without taking a core from them.
        world.quietBarrier()
        let wall = Date().timeIntervalSince(start)
        let cpu = ProcessTime.cpuSeconds() - cpu0
        counters?.free()
        comm.free()
        let failed = world.allReduceMax(Double(outcome.failures)) > 0
        let times = world.allGatherOrdered([outcome.busySeconds, cpu])
        let ran = try world.allGather(outcome.fits)
        if world.isRoot {
            let groups = arrangement.ranks.map { r in
                RankUsage.Group(firstRank: r.lowerBound, ranks: r.count, fits: ran[r.lowerBound].map { plan[$0].spec.name },
                                busySeconds: times[2 * r.lowerBound])
            }
            let usage = RankUsage(schedule: kind, groups: groups, wall: wall,
                                  busy: (0..<world.size).map { times[2 * $0] }, cpu: (0..<world.size).map { times[2 * $0 + 1] },
                                  predictedIdleShare: arrangement.predictedIdleShare)
            try JSONFile.write(usage, to: (options.out as NSString).appendingPathComponent("sweep.json"))
            report.info(usage.summaryLine)
        }
        return failed
    }

    /// Summary over every finished fit of the grid, old and new (root only).
    func summarise(plan: [PlannedFit], settings: [FitSettings], since t0: Date) throws {
        var records: [FitRecord] = []
        var missing: [FitSpec] = []
        for s in settings {
            if let r = layout.finished(s) { records.append(try withCost(r)) } else { missing.append(s.spec) }
        }
        let csvPath = (options.out as NSString).appendingPathComponent("summary.csv")
        let mdPath = (options.out as NSString).appendingPathComponent("summary.md")
        try AtomicFile.write(Records.csv(records), to: csvPath)
        try AtomicFile.write(Records.markdown(records, missing: missing, title: "mtp sweep of \(options.data)"), to: mdPath)
        report.info("")
        report.info(Records.markdown(records, missing: missing, title: "sweep summary"))
        for line in try SweepPlots.render(records, directory: options.out, format: options.plotFormat) { report.info(line) }
        report.info(String(format: "sweep: %d of %d fits finished, %.1f s -> %@, %@", records.count, plan.count,
                           Date().timeIntervalSince(t0), csvPath, mdPath))
        if !missing.isEmpty {
            report.error("\(missing.count) fit\(missing.count == 1 ? "" : "s") did not finish (\(missing.map(\.name).joined(separator: ", "))); rerun the same command to continue")
        }
    }

    /// `record` with its measured cost, measuring (and saving) it if the
    /// record has none yet. Costs are measured here, one fit after the
    /// other on rank 0 once all training is over, so that no fit's timing
    /// competes with another fit's training.
    func withCost(_ record: FitRecord) throws -> FitRecord {
        if record.cost != nil { return record }
        var r = record
        let pot = try MTPFile.read(path: layout.path(r.settings.spec, ".mtp"))
        let c = try CostMeter.measure(pot)
        r.cost = c
        try Records.write(r, to: layout.path(r.settings.spec, ".json"))
        report.info(String(format: "cost %@: %.4g us per atom per force call (%d calls, %.1f neighbours per atom)",
                           r.name, c.microsecondsPerAtom, c.calls, c.neighboursPerAtom))
        return r
    }
}

/// Where a sweep keeps its files: DIR/fits/NAME.{mtp,log,json,checkpoint.json,running}, and the
/// untrained starting potentials in DIR/fits/untrained/NAME.mtp, so that `fits/*.mtp` is exactly
/// the trained potentials.
struct SweepLayout {
    var out: String
    var fits: String { (out as NSString).appendingPathComponent("fits") }
    func untrained(_ spec: FitSpec) -> String {
        ((fits as NSString).appendingPathComponent("untrained") as NSString).appendingPathComponent(spec.name + ".mtp")
    }
    func path(_ spec: FitSpec, _ suffix: String) -> String {
        (fits as NSString).appendingPathComponent(spec.name + suffix)
    }
    func finished(_ s: FitSettings) -> FitRecord? {
        Records.finished(s, json: path(s.spec, ".json"), potential: path(s.spec, ".mtp"))
    }
}
