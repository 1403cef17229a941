import Foundation
import Atomistic
import Assyst
import Fitting
import MTP
import Sweep
import TrainingStore

/// Stage 1: the ASSYST job of a study, as `mtp assyst` would run it with
/// the study's sizes (the other options at `mtp assyst`'s defaults).
enum StudyAssyst {
    static func job(_ c: StudyConfiguration, output: String, threads: Int) -> AssystJob {
        var job = AssystJob(options: options(c, threads: threads), reference: .local(spec: c.calculator), output: output)
        job.plotFormat = "png"
        return job
    }

    /// The ASSYST options of the study's sizes (the others at their defaults).
    static func options(_ c: StudyConfiguration, threads: Int) -> AssystOptions {
        var o = AssystOptions(element: c.element, atomicVolume: c.atomicVolume)
        o.spaceGroups = c.spaceGroups
        o.atomCounts = c.minAtoms...c.maxAtoms
        o.seed = c.seed
        o.perturbation.counts = [.triax: c.perturbations, .shear: c.perturbations, .rattle: c.perturbations, .strain: c.strainCopies ?? 0]
        o.elastic.structures = c.elasticStructures ?? 0
        o.volume.structures = c.eosStructures ?? 0
        o.displacement.structures = c.phononStructures ?? 0
        if let v = c.elasticMaxStrain { o.elastic.maxStrain = v }
        if let v = c.phononCopies { o.displacement.copies = v }
        if let v = c.phononSoftModes { o.displacement.softModes = v }
        o.threads = threads
        return o
    }
}

/// What the fit stage needs to know before it starts, decided on rank 0:
/// each subset's groups, whether its sweep is done, and its relative work.
struct FitStagePlan: Codable {
    var groups: [[String]?]
    var done: [Bool]
    var work: [Double]
    var pendingWork: Double { zip(work, done).filter { !$0.1 }.reduce(0) { $0 + $1.0 } }

    static func make(_ c: StudyConfiguration, trainingSet: String, layout: StudyLayout, manifest: StudyManifest) throws -> FitStagePlan {
        let reader = try StoreReader(path: trainingSet)
        var atomsPerGroup: [String: Double] = [:]
        for k in 0..<reader.configurationCount {
            atomsPerGroup[reader.group(of: k) ?? "", default: 0] += Double(reader.atomCount[k])
        }
        // Relative cost of the grid on one atom: parameters x cutoff^3 summed over the fits.
        let grid = try Plan.grid(levels: c.levels, cutoffs: c.cutoffs, speciesCount: max(1, reader.speciesCount),
                                 radialBasisSize: c.radialBasisSize, minDist: c.minDist)
        let perAtom = grid.reduce(0) { $0 + $1.estimatedCost }
        var out = FitStagePlan(groups: [], done: [], work: [])
        for s in c.subsets {
            let g = try TrainingSubset.groups(s, available: reader.groups)
            out.groups.append(g)
            let atoms = g.map { $0.reduce(0) { $0 + (atomsPerGroup[$1] ?? 0) } } ?? atomsPerGroup.values.reduce(0, +)
            guard atoms > 0 else { throw StudyError("subset \(s): no configurations in \(trainingSet)") }
            out.work.append(atoms * perAtom)
            // Done only if the manifest says so and every fit's record and potential are still there.
            let fits = c.fits.filter { $0.subset == s }
            out.done.append(manifest.fitsDone(s) && fits.allSatisfy {
                Records.read(layout.fitRecord($0)) != nil && FileManager.default.fileExists(atPath: layout.potential($0))
            })
        }
        return out
    }
}

/// Stage 2: one `SweepDriver` per subset, on the study's store filtered to
/// the subset's groups.
enum FitStage {
    static func sweep(_ c: StudyConfiguration, subset: String, groups: [String]?, layout: StudyLayout,
                      report: SweepReporter) -> SweepDriver {
        var o = SweepOptions(data: layout.trainingSet, levels: c.levels, cutoffs: c.cutoffs, out: layout.sweep(subset))
        o.minDist = c.minDist
        o.radialBasisSize = c.radialBasisSize
        o.radialBasisType = c.radialBasisType ?? .chebyshev
        o.groups = groups
        o.training.maxIterations = c.maxIterations
        o.energyWeights = c.energyWeights.flatMap { try? EnergyWeights(parsing: $0) }
        o.groupWeights = c.groupWeights.flatMap { try? GroupWeights(parsing: $0) }
        o.grow = c.grow ?? false
        o.maxIterationsAt = c.maxIterationsAt.flatMap { try? Plan.iterationLimits($0) } ?? [:]
        o.plotFormat = "png"
        return SweepDriver(options: o, report: report)
    }

    /// The sweep's messages through the study's reporter.
    static func sweepReporter(_ r: StudyReporter) -> SweepReporter {
        SweepReporter(info: r.info, error: r.error)
    }
}
