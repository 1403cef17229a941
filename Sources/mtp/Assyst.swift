import ArgumentParser
import Foundation
import Atomistic
import Assyst
import Reference
import TrainingStore

struct AssystCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assyst",
        abstract: "Build a systematic training set (ASSYST): random crystals of every space group, relaxed and perturbed.",
        discussion: """
        Stages, each stored as a group of the OUT store: RANDSPG (random crystals with 1...--max-atoms atoms
        per primitive cell for every space group of --space-groups, on general and special Wyckoff positions,
        volume within --volume-tolerance of --atomic-volume), VOLMIN (volume relaxed), CELLMIN (cell shape
        relaxed), INTMIN (atoms relaxed), then per INTMIN structure --triax-count TRIAX (diagonal strain up to
        --triax-amplitude), --shear-count SHEAR and --rattle-count RATTLE (displacements of mean
        --rattle-displacement plus strain up to --rattle-strain) copies. Every structure is labelled by the
        calculator; structures whose relaxation fails are discarded and counted. The same seed gives the same set.

        --calculator eam:FILE or mtp:FILE labels and relaxes locally on --threads threads. With
        --calculator vasp-handoff:DIR the command runs one stage per call: it exports DIR/STAGE/NNNNN/
        (POSCAR, INCAR from --incar with the stage's ISIF/IBRION/NSW, KPOINTS from --kpoints) and stops;
        after VASP has run in every directory, the same command imports the vasprun.xml files into OUT
        as group STAGE and exports the next stage. The three perturbation stages go out together.

        The report (PREFIX-report.txt, also printed) has the counts per stage, the crystal systems and
        space groups spglib finds, every attempted (space group, atoms) pair and why a pair could not be
        built; plots PREFIX-spacegroups, -systems and -distances (nearest-neighbour histogram per stage).
        """)

    @Option(help: "Element symbol.") var element: String
    @Option(help: "Target volume per atom (A^3), e.g. 22.87 for Mg.") var atomicVolume: Double
    @Option(help: "Largest number of atoms per primitive cell.") var maxAtoms: Int = 10
    @Option(help: "Smallest number of atoms per primitive cell.") var minAtoms: Int = 1
    @Option(help: "Space groups, e.g. 1-230 or 1,194,225.") var spaceGroups: String = "1-230"
    @Option(help: "Random crystals per (space group, atom count) pair.") var crystalsPerPair: Int = 1
    @Option(help: "Random seed; the same seed gives the same set.") var seed: UInt64 = 1
    @Option(help: "Smallest interatomic distance in generated and perturbed structures (A; default 0.55 x the Wigner-Seitz diameter).")
    var minDistance: Double?
    @Option(help: "Relative volume range of the random crystals.") var volumeTolerance: Double = 0.1
    @Option(help: "Largest cell aspect ratio (longest vector / smallest height of the reduced cell).") var maxAspectRatio: Double = 4
    @Option(help: "Attempts per random crystal.") var attempts: Int = 200
    @Option(help: "spglib tolerance for the space group of a structure (A).") var symprec: Double = 1e-3
    @Option(help: "Reference: eam:FILE, mtp:FILE, or vasp-handoff:DIR.") var calculator: String
    @Option(name: .shortAndLong, help: "Training store to write (.h5).") var output: String
    @Flag(help: "Replace an existing OUT (local calculators).") var overwrite = false
    @Option(help: "Last stage: RANDSPG, VOLMIN, CELLMIN, INTMIN or a perturbation stage (all three come together).")
    var stopAfter: String = "RATTLE"
    @Option(help: "TRIAX copies per relaxed crystal.") var triaxCount: Int = 5
    @Option(help: "SHEAR copies per relaxed crystal.") var shearCount: Int = 5
    @Option(help: "RATTLE copies per relaxed crystal.") var rattleCount: Int = 5
    @Option(help: "Largest diagonal strain of TRIAX (fraction).") var triaxAmplitude: Double = 0.8
    @Option(help: "Largest shear strain of SHEAR (fraction).") var shearAmplitude: Double = 0.8
    @Option(help: "Mean displacement of RATTLE (A).") var rattleDisplacement: Double = 0.5
    @Option(help: "Largest strain of RATTLE (fraction).") var rattleStrain: Double = 0.05
    @Option(help: "Relaxation: largest remaining force (eV/A).") var forceTolerance: Double = 1e-3
    @Option(help: "Relaxation: largest remaining stress (GPa).") var stressTolerance: Double = 0.016
    @Option(help: "Relaxation: step limit.") var maxSteps: Int = 2000
    @Option(help: "Threads (local calculators; default: all cores).") var threads: Int?
    @Option(help: "Report and plot file prefix (default: OUT without extension).") var report: String?
    @Option(help: "Plot format: svg or png.") var format: String = "svg"
    @Option(help: "Hand-off: INCAR template (ISIF, IBRION, NSW are set per stage).") var incar: String?
    @Option(help: "Hand-off: KPOINTS template; {mesh} becomes the structure's Gamma mesh.") var kpoints: String?
    @Option(help: "Hand-off: k-point spacing for {mesh} (1/A, 2 pi included).") var kSpacing: Double = 0.15
    @Option(help: "Hand-off: POTCAR to copy into every directory.") var potcar: String?
    @Flag(help: "No progress bar.") var quiet = false

    func validate() throws {
        guard ExtXYZFormat.elementSymbols.contains(element) else { throw ValidationError("--element \(element) is not a chemical element") }
        guard atomicVolume > 0, atomicVolume.isFinite else { throw ValidationError("--atomic-volume must be positive") }
        guard minAtoms >= 1, maxAtoms >= minAtoms, maxAtoms <= 64 else { throw ValidationError("need 1 <= --min-atoms <= --max-atoms <= 64") }
        guard parseSpaceGroups(spaceGroups) != nil else { throw ValidationError("--space-groups: numbers 1-230 and ranges, e.g. 1-230 or 1,194,225") }
        guard AssystStage(name: stopAfter) != nil else {
            throw ValidationError("--stop-after must be one of \(AssystStage.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard crystalsPerPair >= 1, attempts >= 1 else { throw ValidationError("--crystals-per-pair and --attempts must be at least 1") }
        if let d = minDistance { guard d > 0 else { throw ValidationError("--min-distance must be positive") } }
        guard volumeTolerance >= 0, volumeTolerance < 1, maxAspectRatio >= 1, symprec > 0 else {
            throw ValidationError("need 0 <= --volume-tolerance < 1, --max-aspect-ratio >= 1, --symprec > 0")
        }
        guard [triaxCount, shearCount, rattleCount].allSatisfy({ $0 >= 0 }) else { throw ValidationError("perturbation counts must not be negative") }
        guard triaxAmplitude >= 0, triaxAmplitude < 1, shearAmplitude >= 0, rattleDisplacement >= 0, rattleStrain >= 0, rattleStrain < 1 else {
            throw ValidationError("need 0 <= --triax-amplitude < 1, --shear-amplitude >= 0, --rattle-displacement >= 0, 0 <= --rattle-strain < 1")
        }
        guard forceTolerance > 0, stressTolerance > 0, maxSteps >= 1 else { throw ValidationError("relaxation tolerances and --max-steps must be positive") }
        if let t = threads { guard t >= 1 else { throw ValidationError("--threads must be at least 1") } }
        guard ["svg", "png"].contains(format) else { throw ValidationError("--format is svg or png") }
        guard kSpacing > 0 else { throw ValidationError("--k-spacing must be positive") }
    }

    var options: AssystOptions {
        var o = AssystOptions(element: element, atomicVolume: atomicVolume, minDistance: minDistance)
        o.spaceGroups = parseSpaceGroups(spaceGroups)!
        o.atomCounts = minAtoms...maxAtoms
        o.crystalsPerPair = crystalsPerPair
        o.seed = seed
        o.generation.volumeTolerance = volumeTolerance
        o.generation.maxAspectRatio = maxAspectRatio
        o.generation.attempts = attempts
        o.generation.symprec = symprec
        o.perturbation.counts = [.triax: triaxCount, .shear: shearCount, .rattle: rattleCount]
        o.perturbation.triaxAmplitude = triaxAmplitude
        o.perturbation.shearAmplitude = shearAmplitude
        o.perturbation.rattleDisplacement = rattleDisplacement
        o.perturbation.rattleStrain = rattleStrain
        o.forceTolerance = forceTolerance
        o.stressTolerance = stressTolerance / LabelErrors.gpaPerEVPerA3
        o.maxRelaxationSteps = maxSteps
        o.stopAfter = AssystStage(name: stopAfter)!
        o.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        return o
    }

    var prefix: String { report ?? (output as NSString).deletingPathExtension }

    func run() throws {
        try reportingErrors {
            guard StoreFormat.isStore(output) else { throw UserError("\(output): the output must be a .h5 training store") }
            if calculator.lowercased().hasPrefix("vasp-handoff:") {
                let dir = String(calculator.dropFirst("vasp-handoff:".count))
                guard !dir.isEmpty else { throw UserError("--calculator vasp-handoff:DIR needs a directory") }
                try runHandoff(directory: dir)
            } else {
                try runLocal()
            }
        }
    }

    // MARK: local calculator

    private func runLocal() throws {
        if FileManager.default.fileExists(atPath: output) && !overwrite {
            throw UserError("\(output) exists: pass --overwrite to replace it")
        }
        let spec = calculator
        // Fail on a bad spec before any work.
        let name = try makeCalculator(spec: spec).name
        let o = options
        let start = Date()
        let bar = quiet ? nil : ProgressBar(label: "crystals")
        let result = try AssystPipeline.run(o, makeCalculator: { try makeCalculator(spec: spec) }, progress: bar?.update)
        bar?.finish()
        let elapsed = Date().timeIntervalSince(start)
        try StoreWriter.write(result.set, to: output)
        let header = """
            mtp assyst: \(element), \(atomicVolume) A^3/atom, \(o.atomCounts.lowerBound)-\(o.atomCounts.upperBound) atoms, \
            \(o.spaceGroups.count) space groups, seed \(seed), calculator \(name), \(o.threads) threads, \
            min distance \(String(format: "%.3f", o.generation.minDistance)) A
            wall time \(String(format: "%.1f", elapsed)) s; output \(output)
            """
        try writeReport(set: result.set, pairs: result.pairs, failures: result.failures,
                        notConverged: result.notConverged, header: header)
    }

    private func writeReport(set: TrainingSet, pairs: [PairOutcome]?, failures: [AssystStage: [String: Int]],
                             notConverged: [AssystStage: Int], header: String) throws {
        var text = AssystReport.text(set: set, pairs: pairs, failures: failures, notConverged: notConverged, header: header)
        let plotLines = try AssystReport.plots(set: set, pairs: pairs, prefix: prefix, format: format)
        text += "\nPlots\n" + plotLines.map { "  " + $0 + "\n" }.joined()
        try AtomicFile.write(text, to: "\(prefix)-report.txt")
        print(text, terminator: "")
        print("report: \(prefix)-report.txt")
    }

    // MARK: DFT hand-off

    private func runHandoff(directory: String) throws {
        var handoff = VASPHandoff(directory: directory, symbols: [element])
        if let incar { handoff.incarTemplate = try AtomicFile.readText(path: incar) }
        if let kpoints { handoff.kpointsTemplate = try AtomicFile.readText(path: kpoints) }
        handoff.kSpacing = kSpacing
        if let potcar {
            guard FileManager.default.isReadableFile(atPath: potcar) else { throw InputError(file: potcar, "cannot read POTCAR") }
            handoff.potcar = potcar
        }
        let o = options
        var set = TrainingSet(species: [element])
        if FileManager.default.fileExists(atPath: output) {
            set = try StoreReader(path: output).readAll()
            guard set.species == [element] else {
                throw UserError("\(output) holds species \(set.species.joined(separator: ",")), not \(element)")
            }
        }
        // Rounds: RANDSPG, VOLMIN, CELLMIN, INTMIN, then the perturbations together.
        let rounds: [[AssystStage]] = [[.randspg], [.volmin], [.cellmin], [.intmin], [.triax, .shear, .rattle]]
            .filter { o.includes($0[0]) }
        let pairsPath = (handoff.stageDirectory(.randspg) as NSString).appendingPathComponent("pairs.tsv")
        var failures: [AssystStage: [String: Int]] = [:]
        for round in rounds {
            if round.allSatisfy({ set.groups.contains($0.rawValue) }) { continue }
            if FileManager.default.fileExists(atPath: handoff.manifestPath(round[0])) {
                let pending = try round.flatMap { s in try handoff.pending(s).map { "\(s.rawValue)/\($0)" } }
                if !pending.isEmpty {
                    let total = try round.reduce(0) { $0 + (try handoff.readManifest($1).count) }
                    print("\(pending.count) of \(total) runs of \(round.map(\.rawValue).joined(separator: ", ")) have no vasprun.xml yet "
                          + "(first: \(directory)/\(pending[0])); run VASP there and call this command again.")
                    return
                }
                for stage in round {
                    let imported = try handoff.importStage(stage)
                    var configs = imported.configurations
                    if stage <= .intmin {
                        for k in configs.indices {
                            let g = Spglib.spaceGroupNumber(of: configs[k], symprec: symprec) ?? 0
                            configs[k].setFeature(AssystFeature.detectedGroup, "\(g)")
                        }
                    }
                    try set.append(configs, symbols: imported.symbols, source: handoff.stageDirectory(stage))
                    if !set.groups.contains(stage.rawValue) { set.groups.append(stage.rawValue) }
                    for f in imported.failures { failures[stage, default: [:]]["\(f.reason)", default: 0] += 1 }
                    print("\(stage.rawValue): imported \(configs.count) structures" + (imported.failures.isEmpty ? "" : ", \(imported.failures.count) runs unusable:"))
                    for f in imported.failures { print("  \(handoff.stageDirectory(stage))/\(f.directory): \(f.reason)") }
                }
                try StoreWriter.write(set, to: output)
                continue
            }
            // Export the round.
            switch round[0] {
            case .randspg:
                let bar = quiet ? nil : ProgressBar(label: "crystals")
                let (pairs, crystals) = AssystPipeline.randomCrystals(o, progress: bar?.update)
                bar?.finish()
                try handoff.export(crystals, stage: .randspg)
                try AtomicFile.write(PairOutcome.table(pairs), to: pairsPath)
            case .volmin, .cellmin, .intmin:
                let source = round[0].source!.rawValue
                try handoff.export(set.configurations.filter { $0.group == source }.map { stripped($0, stage: round[0]) }, stage: round[0])
            default:
                var copies: [AssystStage: [Configuration]] = [:]
                for c in set.configurations where c.group == AssystStage.intmin.rawValue {
                    let (p, f) = AssystPipeline.perturbations(of: c, options: o)
                    for (s, list) in p { copies[s, default: []] += list }
                    for (s, why) in f { failures[s, default: [:]][why, default: 0] += 1 }
                }
                for s in round { try handoff.export(copies[s] ?? [], stage: s) }
            }
            let dirs = round.map { handoff.stageDirectory($0) }.joined(separator: ", ")
            print("exported \(round.map(\.rawValue).joined(separator: ", ")) to \(dirs): run VASP in every numbered directory, "
                  + "then call this command again to import the results.")
            break
        }
        if set.configurations.isEmpty { return }
        let pairs = FileManager.default.fileExists(atPath: pairsPath) ? try PairOutcome.read(table: pairsPath) : nil
        let header = "mtp assyst (VASP hand-off in \(directory)): \(element), \(atomicVolume) A^3/atom, seed \(seed); store \(output)"
        try writeReport(set: set, pairs: pairs, failures: failures, notConverged: [:], header: header)
    }

    /// The structure a relaxation stage starts from, without the labels and
    /// stage-specific metadata of the previous stage.
    private func stripped(_ c: Configuration, stage: AssystStage) -> Configuration {
        var s = c
        s.energy = nil; s.forces = nil; s.virial = nil
        s.group = stage.rawValue
        s.features = c.features.filter { [AssystFeature.crystal, AssystFeature.targetGroup, AssystFeature.wyckoff].contains($0.key) }
        return s
    }
}

/// Space-group numbers from "1-230" or "1,194,200-230".
func parseSpaceGroups(_ text: String) -> [Int]? {
    var out: [Int] = []
    for part in text.split(separator: ",") {
        let ends = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(ends.count), ends.allSatisfy({ $0 != nil && (1...230).contains($0!) }) else { return nil }
        let lo = ends[0]!, hi = ends.last!!
        guard lo <= hi else { return nil }
        for g in lo...hi where !out.contains(g) { out.append(g) }
    }
    return out.isEmpty ? nil : out
}

/// A one-line progress bar on stderr, redrawn at most twice a second.
final class ProgressBar {
    let label: String
    let start = Date()
    var last = Date.distantPast

    init(label: String) { self.label = label }

    func update(_ done: Int, _ total: Int) {
        let now = Date()
        guard done == total || now.timeIntervalSince(last) > 0.5 else { return }
        last = now
        let fraction = Double(done) / Double(max(total, 1))
        let width = 30
        let filled = Int(fraction * Double(width))
        let elapsed = now.timeIntervalSince(start)
        let left = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "\r[\(bar)] \(done)/\(total) \(label), " + String(format: "%.0f s elapsed, ~%.0f s left", elapsed, left)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() { FileHandle.standardError.write(Data("\n".utf8)) }
}
