import ArgumentParser
import Plotting
import Foundation
import Atomistic
import Assyst
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
        --rattle-displacement plus strain up to --rattle-strain) copies, and --strain-count STRAIN copies (a
        small homogeneous strain, every component up to --strain-amplitude: the elastic response, which the
        large TRIAX and SHEAR strains almost never sample; none by default, as the seed paper). --elastic-structures K
        adds the ELASTIC stage: for the K lowest-energy distinct INTMIN crystals, each Voigt strain component alone
        in --elastic-steps steps per sign up to +-(--elastic-max-strain): the curvature of the energy that elastic
        constants measure (none by default). --eos-structures K adds the EOS stage: the K lowest-energy distinct
        INTMIN crystals scaled homogeneously, --eos-steps volumes from --eos-min-volume to --eos-max-volume times
        the relaxed one (uniform in the distance scale): the equation of state, including compressions the other
        stages never reach (none by default). --phonon-structures K adds the PHONON stage: the K lowest-energy
        distinct INTMIN crystals, each reduced to its primitive cell and repeated into the widest supercell of at most --phonon-max-atoms atoms,
        --phonon-copies copies each displaced at random by --phonon-displacement A rms per component: the
        harmonic response at the zone boundary, which no small cell holds (none by default). --phonon-soft-modes M
        adds to each PHONON crystal its M softest reference phonons (the lowest mode at each wave vector the supercell
        holds, from the reference's force constants) frozen in at half and all of --phonon-mode-amplitude A: the
        modes where a fit's small error turns a frequency imaginary (local calculators only). Every structure is labelled by the
        calculator; structures whose relaxation fails are discarded and counted. The same seed gives the same set.

        --calculator eam:FILE, mtp:FILE or ase:FILE.py (any ASE calculator, e.g. GPAW; one Python worker per
        thread) labels and relaxes locally on --threads threads. With
        --calculator vasp-handoff:DIR the command runs one stage per call: it exports DIR/STAGE/NNNNN/
        (POSCAR, INCAR from --incar with the stage's ISIF/IBRION/NSW, KPOINTS from --kpoints) and stops;
        after VASP has run in every directory, the same command imports the vasprun.xml files into OUT
        as group STAGE and exports the next stage. The perturbation stages go out together.

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
    @Option(help: "Reference: eam:FILE, mtp:FILE, ase:FILE.py or vasp-handoff:DIR.") var calculator: String
    @Option(help: "Seconds one calculation may take (ase: calculators); past it the structure fails.") var timeout: Double?
    @Option(name: .shortAndLong, help: "Training store to write (.h5).") var output: String
    @Flag(help: "Replace an existing OUT (local calculators).") var overwrite = false
    @Option(help: "Last stage: RANDSPG, VOLMIN, CELLMIN, INTMIN or a perturbation stage (they come together).")
    var stopAfter: String = "RATTLE"
    @Option(help: "TRIAX copies per relaxed crystal.") var triaxCount: Int = 5
    @Option(help: "SHEAR copies per relaxed crystal.") var shearCount: Int = 5
    @Option(help: "RATTLE copies per relaxed crystal.") var rattleCount: Int = 5
    @Option(help: "STRAIN copies per relaxed crystal.") var strainCount: Int = 0
    @Option(help: "Largest diagonal strain of TRIAX (fraction).") var triaxAmplitude: Double = 0.8
    @Option(help: "Largest shear strain of SHEAR (fraction).") var shearAmplitude: Double = 0.8
    @Option(help: "Mean displacement of RATTLE (A).") var rattleDisplacement: Double = 0.5
    @Option(help: "Largest strain of RATTLE (fraction).") var rattleStrain: Double = 0.05
    @Option(help: "Largest strain component of STRAIN (fraction).") var strainAmplitude: Double = 0.02
    @Option(help: "ELASTIC: lowest-energy distinct relaxed crystals to strain along each Voigt component (0: no ELASTIC stage).")
    var elasticStructures: Int = 0
    @Option(help: "ELASTIC: largest |strain| of each series (fraction).") var elasticMaxStrain: Double = 0.06
    @Option(help: "ELASTIC: strains per sign and component.") var elasticSteps: Int = 12
    @Option(help: "EOS: lowest-energy distinct relaxed crystals to scale homogeneously (0: no EOS stage).")
    var eosStructures: Int = 0
    @Option(help: "EOS: smallest volume, as a fraction of the relaxed one.") var eosMinVolume: Double = 0.18
    @Option(help: "EOS: largest volume, as a fraction of the relaxed one.") var eosMaxVolume: Double = 1.85
    @Option(help: "EOS: volumes per crystal (uniform in the distance scale; the relaxed volume itself left out).") var eosSteps: Int = 24
    @Option(help: "PHONON: lowest-energy distinct relaxed crystals to displace at random in supercells (0: no PHONON stage).")
    var phononStructures: Int = 0
    @Option(help: "PHONON: displaced copies per crystal.") var phononCopies: Int = DisplacementSeriesOptions().copies
    @Option(help: "PHONON: largest supercell (atoms); the widest repetition of the primitive cell within it is taken.")
    var phononMaxAtoms: Int = DisplacementSeriesOptions().maxAtoms
    @Option(help: "PHONON: rms displacement per Cartesian component (A).") var phononDisplacement: Double = DisplacementSeriesOptions().displacement
    @Option(help: "PHONON: softest reference modes per crystal frozen in (0: none; needs a local calculator).")
    var phononSoftModes: Int = DisplacementSeriesOptions().softModes
    @Option(help: "PHONON: largest atom displacement of a frozen-in soft mode (A); each is also frozen in at half of it.")
    var phononModeAmplitude: Double = DisplacementSeriesOptions().modeAmplitude
    @Option(help: "Relaxation: largest remaining force (eV/A).") var forceTolerance: Double = 1e-3
    @Option(help: "Relaxation: largest remaining stress (GPa).") var stressTolerance: Double = 0.016
    @Option(help: "Relaxation: step limit.") var maxSteps: Int = 2000
    @Option(help: "Threads (local calculators; default: all cores).") var threads: Int?
    @Option(help: "Report and plot file prefix (default: OUT without extension).") var report: String?
    @OptionGroup var plots: PlotArguments
    var format: String { plots.format }
    @Option(help: "Hand-off: INCAR template (ISIF, IBRION, NSW are set per stage).") var incar: String?
    @Option(help: "Hand-off: KPOINTS template; {mesh} becomes the structure's Gamma mesh.") var kpoints: String?
    @Option(help: "Hand-off: k-point spacing for {mesh} (1/A, 2 pi included).") var kSpacing: Double = 0.15
    @Option(help: "Hand-off: POTCAR to copy into every directory.") var potcar: String?
    @Flag(help: "No progress bar.") var quiet = false

    func validate() throws {
        guard ExtXYZFormat.elementSymbols.contains(element) else { throw ValidationError("--element \(element) is not a chemical element") }
        guard atomicVolume > 0, atomicVolume.isFinite else { throw ValidationError("--atomic-volume must be positive") }
        guard minAtoms >= 1, maxAtoms >= minAtoms, maxAtoms <= 64 else { throw ValidationError("need 1 <= --min-atoms <= --max-atoms <= 64") }
        guard AssystJob.spaceGroups(spaceGroups) != nil else { throw ValidationError("--space-groups: numbers 1-230 and ranges, e.g. 1-230 or 1,194,225") }
        guard AssystStage(name: stopAfter) != nil else {
            throw ValidationError("--stop-after must be one of \(AssystStage.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard crystalsPerPair >= 1, attempts >= 1 else { throw ValidationError("--crystals-per-pair and --attempts must be at least 1") }
        if let d = minDistance { guard d > 0 else { throw ValidationError("--min-distance must be positive") } }
        guard volumeTolerance >= 0, volumeTolerance < 1, maxAspectRatio >= 1, symprec > 0 else {
            throw ValidationError("need 0 <= --volume-tolerance < 1, --max-aspect-ratio >= 1, --symprec > 0")
        }
        guard [triaxCount, shearCount, rattleCount, strainCount].allSatisfy({ $0 >= 0 }) else { throw ValidationError("perturbation counts must not be negative") }
        guard triaxAmplitude >= 0, triaxAmplitude < 1, shearAmplitude >= 0, rattleDisplacement >= 0, rattleStrain >= 0, rattleStrain < 1,
              strainAmplitude >= 0, strainAmplitude < 1 else {
            throw ValidationError("need 0 <= --triax-amplitude < 1, --shear-amplitude >= 0, --rattle-displacement >= 0, 0 <= --rattle-strain < 1, 0 <= --strain-amplitude < 1")
        }
        do { try options.checkSeries() } catch { throw ValidationError("\(error)") }
        guard forceTolerance > 0, stressTolerance > 0, maxSteps >= 1 else { throw ValidationError("relaxation tolerances and --max-steps must be positive") }
        if let t = threads { guard t >= 1 else { throw ValidationError("--threads must be at least 1") } }
        guard kSpacing > 0 else { throw ValidationError("--k-spacing must be positive") }
        if let t = timeout { guard t > 0 else { throw ValidationError("--timeout must be positive") } }
    }

    /// The pipeline options the flags set.
    var options: AssystOptions {
        var o = AssystOptions(element: element, atomicVolume: atomicVolume, minDistance: minDistance)
        o.spaceGroups = AssystJob.spaceGroups(spaceGroups)!
        o.atomCounts = minAtoms...maxAtoms
        o.crystalsPerPair = crystalsPerPair
        o.seed = seed
        o.generation.volumeTolerance = volumeTolerance
        o.generation.maxAspectRatio = maxAspectRatio
        o.generation.attempts = attempts
        o.generation.symprec = symprec
        o.perturbation.counts = [.triax: triaxCount, .shear: shearCount, .rattle: rattleCount, .strain: strainCount]
        o.perturbation.triaxAmplitude = triaxAmplitude
        o.perturbation.shearAmplitude = shearAmplitude
        o.perturbation.rattleDisplacement = rattleDisplacement
        o.perturbation.rattleStrain = rattleStrain
        o.perturbation.strainAmplitude = strainAmplitude
        o.elastic.structures = elasticStructures
        o.elastic.maxStrain = elasticMaxStrain
        o.elastic.steps = elasticSteps
        o.volume.structures = eosStructures
        o.volume.minRatio = eosMinVolume
        o.volume.maxRatio = eosMaxVolume
        o.volume.steps = eosSteps
        o.displacement.structures = phononStructures
        o.displacement.copies = phononCopies
        o.displacement.maxAtoms = phononMaxAtoms
        o.displacement.displacement = phononDisplacement
        o.displacement.softModes = phononSoftModes
        o.displacement.modeAmplitude = phononModeAmplitude
        o.forceTolerance = forceTolerance
        o.stressToleranceGPa = stressTolerance
        o.maxRelaxationSteps = maxSteps
        o.stopAfter = AssystStage(name: stopAfter)!
        o.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        return o
    }

    func run() throws {
        try reportingErrors {
            guard StoreFormat.isStore(output) else { throw UserError("\(output): the output must be a .h5 training store") }
            var job = AssystJob(options: options, reference: try AssystJob.Reference(spec: calculator), output: output)
            job.overwrite = overwrite
            if let report { job.reportPrefix = report }
            job.plotFormat = format
            job.incarTemplate = incar
            job.kpointsTemplate = kpoints
            job.kSpacing = kSpacing
            job.potcar = potcar
            job.timeout = timeout
            let bar = quiet ? nil : ProgressBar(label: "crystals")
            guard let result = try job.run(progress: bar?.update, message: { print($0) }) else { return }
            print(result.text, terminator: "")
            print("report: \(result.path)")
        }
    }
}
