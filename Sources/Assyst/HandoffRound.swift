import Foundation
import Atomistic
import TrainingStore

/// One call of an ASSYST job with the DFT hand-off: the store is extended
/// by every round VASP has finished, then the next round is exported (or,
/// while runs are missing, nothing happens). Rounds: RANDSPG, VOLMIN,
/// CELLMIN, INTMIN, then the perturbations (and ELASTIC) together. Every call is
/// idempotent until the user has run VASP, so the same command line can
/// simply be repeated.
struct AssystHandoffRound {
    var job: AssystJob
    var directory: String

    func run(progress: ((Int, Int) -> Void)?, message: (String) -> Void) throws -> AssystJob.Report? {
        let o = job.options, element = o.element, output = job.output
        var handoff = VASPHandoff(directory: directory, symbols: [element])
        if let incar = job.incarTemplate { handoff.incarTemplate = try AtomicFile.readText(path: incar) }
        if let kpoints = job.kpointsTemplate { handoff.kpointsTemplate = try AtomicFile.readText(path: kpoints) }
        handoff.kSpacing = job.kSpacing
        if let potcar = job.potcar {
            guard FileManager.default.isReadableFile(atPath: potcar) else { throw InputError(file: potcar, "cannot read POTCAR") }
            handoff.potcar = potcar
        }
        var set = TrainingSet(species: [element])
        if FileManager.default.fileExists(atPath: output) {
            set = try StoreReader(path: output).readAll()
            guard set.species == [element] else {
                throw AssystJobError("\(output) holds species \(set.species.joined(separator: ",")), not \(element)")
            }
        }
        // The perturbations asked for (copies > 0) go out together.
        let perturbations = AssystStage.perturbations.filter { (o.perturbation.counts[$0.perturbation!] ?? 0) > 0 }
            + AssystStage.series.filter(o.includes)
        let rounds: [[AssystStage]] = [[.randspg], [.volmin], [.cellmin], [.intmin], perturbations]
            .filter { !$0.isEmpty && o.includes($0[0]) }
        let pairsPath = (handoff.stageDirectory(.randspg) as NSString).appendingPathComponent("pairs.tsv")
        var failures: [AssystStage: [String: Int]] = [:]
        for round in rounds {
            if round.allSatisfy({ set.groups.contains($0.rawValue) }) { continue }
            if FileManager.default.fileExists(atPath: handoff.manifestPath(round[0])) {
                let pending = try round.flatMap { s in try handoff.pending(s).map { "\(s.rawValue)/\($0)" } }
                if !pending.isEmpty {
                    let total = try round.reduce(0) { $0 + (try handoff.readManifest($1).count) }
                    message("\(pending.count) of \(total) runs of \(round.map(\.rawValue).joined(separator: ", ")) have no vasprun.xml yet "
                            + "(first: \(directory)/\(pending[0])); run VASP there and call this command again.")
                    return nil
                }
                for stage in round {
                    try importStage(stage, from: handoff, into: &set, failures: &failures, message: message)
                }
                try StoreWriter.write(set, to: output)
                continue
            }
            try export(round, with: handoff, from: set, pairsPath: pairsPath, failures: &failures, progress: progress)
            let dirs = round.map { handoff.stageDirectory($0) }.joined(separator: ", ")
            message("exported \(round.map(\.rawValue).joined(separator: ", ")) to \(dirs): run VASP in every numbered directory, "
                    + "then call this command again to import the results.")
            break
        }
        if set.configurations.isEmpty { return nil }
        let pairs = FileManager.default.fileExists(atPath: pairsPath) ? try PairOutcome.read(table: pairsPath) : nil
        let header = "mtp assyst (VASP hand-off in \(directory)): \(element), \(o.generation.atomicVolume) A^3/atom, seed \(o.seed); store \(output)"
        return try job.writeReport(set: set, pairs: pairs, failures: failures, notConverged: [:], header: header)
    }

    /// Adds the finished runs of `stage` to `set` as its group (relaxation
    /// stages with spglib's space group of the relaxed structure).
    private func importStage(_ stage: AssystStage, from handoff: VASPHandoff, into set: inout TrainingSet,
                             failures: inout [AssystStage: [String: Int]], message: (String) -> Void) throws {
        let imported = try handoff.importStage(stage)
        var configs = imported.configurations
        if stage <= .intmin {
            // Relaxed elsewhere: cells that fell apart are dropped here (and
            // so never perturbed), as in the local pipeline.
            if stage != .randspg {
                let rule = job.options.explodedCell
                let before = configs.count
                configs.removeAll { rule.isolatedAtom(in: $0) != nil }
                if configs.count < before { failures[stage, default: [:]][rule.reason, default: 0] += before - configs.count }
            }
            for k in configs.indices {
                let g = Spglib.spaceGroupNumber(of: configs[k], symprec: job.options.generation.symprec) ?? 0
                configs[k].setFeature(AssystFeature.detectedGroup, "\(g)")
            }
        }
        try set.append(configs, symbols: imported.symbols, source: handoff.stageDirectory(stage))
        if !set.groups.contains(stage.rawValue) { set.groups.append(stage.rawValue) }
        for f in imported.failures { failures[stage, default: [:]]["\(f.reason)", default: 0] += 1 }
        message("\(stage.rawValue): imported \(configs.count) structures" + (imported.failures.isEmpty ? "" : ", \(imported.failures.count) runs unusable:"))
        for f in imported.failures { message("  \(handoff.stageDirectory(stage))/\(f.directory): \(f.reason)") }
    }

    /// Writes the input directories of a round: new random crystals (with
    /// the table of attempted pairs for later reports), the previous
    /// stage's structures to relax, or the perturbed copies of INTMIN.
    private func export(_ round: [AssystStage], with handoff: VASPHandoff, from set: TrainingSet, pairsPath: String,
                        failures: inout [AssystStage: [String: Int]], progress: ((Int, Int) -> Void)?) throws {
        let o = job.options
        switch round[0] {
        case .randspg:
            let (pairs, crystals) = AssystPipeline.randomCrystals(o, progress: progress)
            try handoff.export(crystals, stage: .randspg)
            try AtomicFile.write(PairOutcome.table(pairs), to: pairsPath)
        case .volmin, .cellmin, .intmin:
            let source = round[0].source!.rawValue
            try handoff.export(set.configurations.filter { $0.group == source }.map { stripped($0, stage: round[0]) }, stage: round[0])
        default:
            var copies: [AssystStage: [Configuration]] = [:]
            let relaxed = set.configurations.filter { $0.group == AssystStage.intmin.rawValue }
            for c in relaxed {
                let (p, f) = AssystPipeline.perturbations(of: c, options: o)
                for (s, list) in p { copies[s, default: []] += list }
                for (s, why) in f { failures[s, default: [:]][why, default: 0] += 1 }
            }
            for s in AssystStage.series where round.contains(s) { copies[s] = try o.series(s, from: relaxed).structures }
            for s in round { try handoff.export(copies[s] ?? [], stage: s) }
        }
    }

    /// The structure a relaxation stage starts from, without the labels and
    /// stage-specific metadata of the previous stage.
    private func stripped(_ c: Configuration, stage: AssystStage) -> Configuration {
        var s = c
        s.energy = nil; s.forces = nil; s.virial = nil
        s.group = stage.rawValue
        s.features = c.features(among: AssystFeature.identity)
        return s
    }
}
