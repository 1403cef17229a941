import ArgumentParser
import MTP
import Foundation
import Study

/// `mtp study`: the arguments of `StudyDriver`.
struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "The seed paper's study in one command: ASSYST set, fits of every subset x level x cutoff, validation, figures.",
        discussion: """
        [mpirun -np N] mtp study --element Mg --atomic-volume 22.87 --calculator eam:FILE --out DIR [--scale small|paper] [overrides]
        Stages: (1) ASSYST on rank 0 -> DIR/assyst/set.h5; (2) one sweep per training subset (RANDSPG, VOLMIN, CELLMIN,
        INTMIN, TRIAX, SHEAR, RATTLE, EVERYTHING, EVERYTHING-NO-SHEAR) over levels x cutoffs on groups of ranks ->
        DIR/fits/SUBSET; (3) every fit validated against the reference (--properties) and evaluated on every group of the
        set, fits spread over the ranks -> DIR/validation; (4) the paper's figures (Figs. 4, 5, 6, 10, 14) as PNG and SVG
        with their data -> DIR/figures, and DIR/study.md (a row per fit, wall time per stage).
        --scale small (1-2 atoms, perturbations 2, VOLMIN,RATTLE,EVERYTHING, levels 8,12,16, cutoffs 5.2,6.5, 30 iterations,
        full validation of E-V and vacancies) or paper (1-10 atoms, 5 perturbations, every subset, levels 6-24, cutoffs 5.2,6.5,8.2,
        1000 iterations, full validation); any option below overrides the preset.
        Rerunning the same command continues a killed study (DIR/study.json records what is done; finished fits and
        validations are kept); a different configuration in the same DIR is refused.
        """)

    @Option(help: "Element symbol.") var element: String
    @Option(help: "Target volume per atom (A^3), e.g. 22.87 for Mg.") var atomicVolume: Double
    @Option(help: "Reference: eam:FILE (or ase:FILE.py, mtp:FILE).") var calculator: String
    @Option(name: .customLong("out"), help: "Study directory (created if missing).") var out: String
    @Option(help: "Preset: small or paper.") var scale: String = StudyScale.small.rawValue
    @Option(help: "Smallest number of atoms per primitive cell.") var minAtoms: Int?
    @Option(help: "Largest number of atoms per primitive cell.") var maxAtoms: Int?
    @Option(help: "Space groups, e.g. 1-230 or 191,194,225,229.") var spaceGroups: String?
    @Option(help: "TRIAX, SHEAR and RATTLE copies per relaxed crystal (each).") var perturbations: Int?
    @Option(help: "STRAIN copies (small homogeneous strains, as mtp assyst --strain-count) per relaxed crystal.") var strainCopies: Int?
    @Option(help: "ELASTIC series (as mtp assyst --elastic-structures): lowest-energy relaxed crystals strained along each Voigt component.")
    var elasticStructures: Int?
    @Option(help: "EOS series (as mtp assyst --eos-structures): lowest-energy relaxed crystals scaled homogeneously from 0.18 to 1.85 times their volume.")
    var eosStructures: Int?
    @Option(help: "PHONON stage (as mtp assyst --phonon-structures): lowest-energy relaxed crystals displaced at random in supercells of up to 16 atoms.")
    var phononStructures: Int?
    @Option(help: "Largest strain of the ELASTIC series (as mtp assyst --elastic-max-strain; 0.06 by default).") var elasticMaxStrain: Double?
    @Option(help: "Displaced copies per PHONON crystal (as mtp assyst --phonon-copies; 8 by default).") var phononCopies: Int?
    @Option(help: "Softest reference modes per PHONON crystal frozen in (as mtp assyst --phonon-soft-modes; none by default).")
    var phononSoftModes: Int?
    @Option(help: "Random seed of ASSYST.") var seed: UInt64?
    @Option(help: "Training subsets, comma-separated (RANDSPG ... RATTLE, EVERYTHING, EVERYTHING-NO-SHEAR).") var subsets: String?
    @Option(help: "Levels: FIRST:LAST[:STEP] or a list, e.g. 8:16:4.") var levels: String?
    @Option(help: "Cutoffs (A), e.g. 5.2,6.5.") var cutoffs: String?
    @Option(name: .customLong("max-iter"), help: "Iterations per fit at most.") var maxIterations: Int?
    @Option(help: "Smallest interatomic distance of the radial basis (A).") var minDist: Double?
    @Option(help: "Chebyshev polynomials in the radial basis (MLIP's radial_basis_size; 8 by default).") var radialBasisSize: Int?
    @Option(help: RadialBasisType.help) var radialBasisType: RadialBasisType?
    @Option(help: "Multiply the loss weights of every configuration of a group in every fit, e.g. ELASTIC=10 (as mtp train).") var groupWeights: String?
    @Option(help: "Loss-weight factors of every fit from each configuration's energy above the set's lowest: E0[,p=P] or kT=T[,floor=F] (eV/atom; as mtp train).") var energyWeights: String?
    @Option(help: "Iteration limits of single levels in place of --max-iter, e.g. 16=25 (with --grow: the lower level's short fit).") var maxIterAt: String?
    @Flag(help: "Start each level's fits from the next lower level's trained potential at the same cutoff (as mtp sweep --grow); levels then train lowest first.") var grow = false
    @Option(help: "Validation properties, comma-separated (ev, vacancy, strain, surface, phonon, elastic, md).") var properties: String?
    @Option(help: "Validation settings: quick or full.") var validation: String?
    @Option(help: "Levels of Fig. 14 (errors on every group per subset), comma-separated.") var figureLevels: String?

    /// The study these arguments ask for (`StudyOverrides`, the library's rules).
    func studyConfiguration() throws -> StudyConfiguration {
        var o = StudyOverrides(element: element, atomicVolume: atomicVolume, calculator: calculator)
        o.scale = scale
        o.minAtoms = minAtoms; o.maxAtoms = maxAtoms; o.spaceGroups = spaceGroups
        o.perturbations = perturbations; o.strainCopies = strainCopies
        o.elasticStructures = elasticStructures; o.elasticMaxStrain = elasticMaxStrain
        o.eosStructures = eosStructures
        o.phononStructures = phononStructures; o.phononCopies = phononCopies; o.phononSoftModes = phononSoftModes
        o.seed = seed; o.subsets = subsets; o.levels = levels; o.cutoffs = cutoffs
        o.maxIterations = maxIterations; o.minDist = minDist
        o.radialBasisSize = radialBasisSize; o.radialBasisType = radialBasisType
        o.groupWeights = groupWeights; o.energyWeights = energyWeights; o.grow = grow
        o.maxIterationsAt = maxIterAt
        o.properties = properties; o.validation = validation; o.figureLevels = figureLevels
        do { return try o.configuration() } catch { throw ValidationError("\(error)") }
    }

    func validate() throws {
        _ = try studyConfiguration()
    }

    func run() throws {
        try runCollectively { world, _ in
            let report = StudyReporter(info: { print($0); fflush(stdout) },
                                       error: { FileHandle.standardError.write(Data("mtp: error: \($0)\n".utf8)) })
            try StudyDriver(configuration: try studyConfiguration(), directory: out, report: report).run(world)
        }
    }
}
