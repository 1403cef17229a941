import Foundation
import Atomistic
import Parallel
import TrainingStore
import Sweep

/// Where a study's messages go: `info` for progress (called on the ranks
/// that have something to say: rank 0 for the study, each group's first
/// rank for its fits, every rank for its validations), `error` for a fit
/// or validation that failed.
public struct StudyReporter {
    public var info: (String) -> Void
    public var error: (String) -> Void
    public init(info: @escaping (String) -> Void, error: @escaping (String) -> Void) {
        self.info = info; self.error = error
    }
}

/// `mtp study`: the seed paper's study as one resumable run.
///
/// Stages, each skipped when the manifest (DIR/study.json) says it is done:
/// 1. ASSYST on rank 0 (all its threads; the other ranks wait without
///    spinning) -> DIR/assyst/set.h5;
/// 2. one sweep per training subset on all ranks (`SweepDriver`: groups of
///    ranks, resumable fit by fit) -> DIR/fits/SUBSET; one sweep per subset
///    rather than a subset axis in the sweep's plan, so every subset keeps
///    `mtp sweep`'s own directory, records, summary and plots, and the
///    sweep needs no change;
/// 3. validation of every fit against the reference and its errors on every
///    group of the set, fits spread over the ranks -> DIR/validation;
/// 4. the figures and DIR/study.md on rank 0.
/// Every stage's files are written atomically, and a stage that fails on
/// any rank ends the run on every rank with one message (`Collective`).
public struct StudyDriver {
    public var configuration: StudyConfiguration
    public var layout: StudyLayout
    public var report: StudyReporter
    /// Cores of this machine (threads of ASSYST on rank 0; validation threads per rank).
    public var cores = ProcessInfo.processInfo.activeProcessorCount

    public init(configuration: StudyConfiguration, directory: String, report: StudyReporter) {
        self.configuration = configuration
        self.layout = StudyLayout(directory: directory)
        self.report = report
    }

    /// Runs (or continues) the study on every rank of `world`.
    public func run(_ world: Communicator) throws {
        let t0 = Date()
        func say(_ s: String) { if world.isRoot { report.info(s) } }
        try configuration.check()
        var manifest: StudyManifest = try Collective.fromRoot(world) {
            try StudyLayout.makeDirectory(layout.directory, "study")
            var m = try StudyManifest.open(directory: layout.directory, configuration: configuration)
            m.runs.append(world.size)
            try m.write(to: layout.directory)
            return m
        }
        let c = configuration
        say("study: \(c.element), \(c.fits.count) fits (\(c.subsets.count) subsets x levels \(c.levels.map(String.init).joined(separator: ",")) x cutoffs "
            + c.cutoffs.map { String(format: "%.2f", $0) }.joined(separator: ",") + "), \(world.size) rank\(world.size == 1 ? "" : "s") -> \(layout.directory)")

        try assystStage(world, &manifest)
        let failedSubsets = try fitStage(world, &manifest)
        guard failedSubsets.isEmpty else {
            throw StudyError("fits of \(failedSubsets.joined(separator: ", ")) did not all finish (see the messages above); rerun the same command to continue")
        }
        try validationStage(world, &manifest)
        // Nobody leaves before rank 0 has written the figures, and a failure
        // there ends every rank.
        try onRootQuietly(world) {
            try figureStage(&manifest)
            say(String(format: "study: done in %.1f s this run -> %@", Date().timeIntervalSince(t0), layout.summary))
        }
    }

    /// Runs `body` on rank 0 while the other ranks wait without taking a
    /// core; then every rank throws alike if it failed.
    func onRootQuietly(_ world: Communicator, _ body: () throws -> Void) throws {
        var message: String? = nil
        if world.isRoot {
            do { try body() } catch let e as CollectiveFailure { message = e.message } catch { message = "\(error)" }
        }
        world.quietBarrier()
        if let failure = Collective.firstFailure(message, world) { throw CollectiveFailure(failure) }
    }

    // MARK: Stage 1: ASSYST

    func assystStage(_ world: Communicator, _ manifest: inout StudyManifest) throws {
        var m = manifest
        try onRootQuietly(world) {
            if m.assystDone && FileManager.default.fileExists(atPath: layout.trainingSet) {
                report.info("study [assyst] done: \(layout.trainingSet) (\(String(format: "%.1f", m.assystSeconds!)) s)")
                return
            }
            let start = Date()
            try StudyLayout.makeDirectory(layout.assystDirectory, "ASSYST")
            var job = StudyAssyst.job(configuration, output: layout.trainingSet, threads: cores)
            job.overwrite = true
            report.info("study [assyst] \(configuration.spaceGroups.count) space groups x \(configuration.minAtoms)-\(configuration.maxAtoms) atoms, \(cores) threads -> \(layout.trainingSet)")
            var last = Date.distantPast
            let result = try job.run(progress: { done, total in
                let now = Date()
                guard done == total || now.timeIntervalSince(last) > 15 else { return }
                last = now
                var p = StudyProgress(stage: "assyst", total: Double(total), start: start)
                p.add(Double(done))
                report.info(p.line("\(done)/\(total) crystals"))
            })
            m.assystSeconds = Date().timeIntervalSince(start)
            try m.write(to: layout.directory)
            report.info(String(format: "study [assyst] done in %.1f s: report %@", m.assystSeconds!, result?.path ?? "-"))
        }
        manifest = m
    }

    // MARK: Stage 2: fits

    /// Runs one sweep per subset; returns the subsets whose sweep left fits unfinished.
    func fitStage(_ world: Communicator, _ manifest: inout StudyManifest) throws -> [String] {
        // Rank 0 reads the set's groups and atoms per group (for the work estimate).
        let info: FitStagePlan = try Collective.fromRoot(world) {
            try FitStagePlan.make(configuration, trainingSet: layout.trainingSet, layout: layout, manifest: manifest)
        }
        var progress = StudyProgress(stage: "fits", total: info.pendingWork)
        var failed: [String] = []
        for (k, subset) in configuration.subsets.enumerated() {
            if info.done[k] {
                if world.isRoot { report.info("study [fits] \(subset): done (\(String(format: "%.1f", manifest.fitSeconds[subset] ?? 0)) s)") }
                continue
            }
            if world.isRoot { report.info(progress.line("subset \(subset) (\(k + 1) of \(configuration.subsets.count)) starts")) }
            let start = Date()
            let sweep = FitStage.sweep(configuration, subset: subset, groups: info.groups[k], layout: layout,
                                       report: FitStage.sweepReporter(report))
            let subsetFailed = try sweep.run(world)
            // Rank 0 measures the fits' costs and writes the sweep's summary
            // after the others are done: they wait here without spinning, so
            // the timings on rank 0 do not compete with a busy-polling rank.
            world.quietBarrier()
            progress.add(info.work[k])
            if subsetFailed { failed.append(subset); continue }
            let seconds = Date().timeIntervalSince(start)
            var m = manifest
            try Collective.onRoot(world) {
                m.fitSeconds[subset] = (m.fitSeconds[subset] ?? 0) + seconds
                m.reopenedSubsets?.removeAll { $0 == subset }
                try m.write(to: layout.directory)
            }
            manifest = m
            if world.isRoot { report.info(progress.line(String(format: "subset %@ done in %.1f s", subset, seconds))) }
        }
        return failed
    }

    // MARK: Stage 3: validation

    func validationStage(_ world: Communicator, _ manifest: inout StudyManifest) throws {
        let fits = configuration.fits
        let done: [Bool] = try Collective.fromRoot(world) {
            fits.map { StudyValidationRecord.current(at: layout.validationRecord($0), fit: $0, potential: layout.potential($0)) != nil }
        }
        let pending = fits.indices.filter { !done[$0] }
        if world.isRoot {
            report.info("study [validation] \(fits.count) fits, \(fits.count - pending.count) already validated, \(pending.count) to validate on \(world.size) rank\(world.size == 1 ? "" : "s")")
        }
        let start = Date()
        // Round robin over the ranks: validations take about the same time.
        let mine = pending.enumerated().filter { $0.offset % world.size == world.rank }.map(\.element)
        var message: String? = nil
        if !mine.isEmpty {
            do {
                let set = try StoreReader(path: layout.trainingSet).readAll()
                let threads = max(1, cores / world.size)
                let job = StudyValidationJob(configuration: configuration, layout: layout, threads: threads, configurations: set.configurations)
                var progress = StudyProgress(stage: "validation", total: Double(mine.count))
                let who = world.size > 1 ? " (rank \(world.rank))" : ""
                for i in mine {
                    do {
                        let r = try job.run(fits[i])
                        progress.add(1)
                        report.info(progress.line(String(format: "%@ validated in %.1f s, %d of %d%@", fits[i].name, r.seconds,
                                                         Int(progress.done), mine.count, who)))
                    } catch {
                        report.error("validation of \(fits[i].name): \(error)")
                        if message == nil { message = "validation of \(fits[i].name): \(error)" }
                    }
                }
            } catch {
                message = "\(error)"
            }
        }
        world.quietBarrier()
        if let failure = Collective.firstFailure(message, world) { throw CollectiveFailure(failure + "; rerun the same command to continue") }
        let seconds = Date().timeIntervalSince(start)
        var m = manifest
        try Collective.onRoot(world) {
            if !pending.isEmpty || m.validationSeconds == nil { m.validationSeconds = (m.validationSeconds ?? 0) + seconds }
            try m.write(to: layout.directory)
        }
        manifest = m
    }

    // MARK: Stage 4: figures

    func figureStage(_ manifest: inout StudyManifest) throws {
        let start = Date()
        let results = StudyResult.sharingCosts(configuration.fits.map {
            StudyResult(fit: $0, record: Records.read(layout.fitRecord($0)),
                        validation: StudyValidationRecord.current(at: layout.validationRecord($0), fit: $0, potential: layout.potential($0)))
        })
        let drawn = try StudyFigures.render(results, configuration: configuration, directory: layout.figures)
        for d in drawn {
            report.info("study [figures] \(d.caption): " + (d.images.isEmpty ? "no image, \(d.note ?? "")" : d.images.joined(separator: ", ")))
        }
        manifest.figureSeconds = Date().timeIntervalSince(start)
        try manifest.write(to: layout.directory)
        let md = StudySummary.markdown(results, manifest: manifest, figures: drawn, directory: layout.directory)
        try AtomicFile.write(md, to: layout.summary)
        report.info("")
        report.info(md)
    }
}
