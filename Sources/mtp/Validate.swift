import ArgumentParser
import Plotting
import Foundation
import Atomistic
import MTP
import Reference
import Validation
import ActiveLearning
import Parallel
import TrainingStore

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Validate potentials against a reference calculator on structures never seen in training.",
        discussion: """
        Computes, with every potential and with the reference (eam:FILE, mtp:FILE, or ase:FILE.py for any ASE
        calculator such as GPAW DFT; --properties picks the costly ones): lattice parameters;
        energy-volume curves of hcp, fcc, dhcp and bcc over +-10% and +-80% of the reference's equilibrium
        volume and fcc/dhcp relative to hcp; +-60% uniaxial strains and shears of hcp; vacancy formation
        energies in 3x3x3 supercells (atoms and volume relaxed by each calculator); surface energies of hcp
        (0001), (10-10) A and B, (11-20) in slabs at least 17 A thick (meV/A^2); force constants and phonons
        of hcp and bcc in supercells at least 10 A wide (bands and DOS); hcp elastic constants from
        stress-strain (relaxed ions, GPa); and 3 ps of Langevin NVT dynamics at 300 K and 800 K (stable or not).
        --training DATA (the potentials' training set) grades every structure each MTP evaluates against its
        active set, built as `mtp grade` builds it and kept in POT.activeset (reused while current): report.md's
        extrapolation table gives per property the maximum grade, the share above 1.001 and 2, and for E-V curves
        and strains where the potential starts to extrapolate. Without --training an existing POT.activeset is used as is.
        For a reference computed elsewhere: `mtp validate POT --export DIR` writes the single-point structures of
        ev, strain and phonon (on the lattices relaxed with POT) as VASP inputs with DIR/manifest.json; after
        labelling them (vasprun.xml, OUTCAR or one .extxyz per directory), --reference data:DIR compares against them.
        Writes OUT/report.md (one table: reference, potential value and error per property; several
        potentials give one column pair each), OUT/report.json and the plots (errors, E-V curves, phonon
        bands and DOS), each with its data file and gnuplot script beside it.
        """)

    @Argument(help: "Potentials to validate: .mtp files (or mtp:FILE / eam:FILE).") var potentials: [String]
    @Option(help: "Reference: eam:FILE, mtp:FILE, ase:FILE.py (needs --element) or data:DIR (labelled --export structures).")
    var reference: String?
    @Option(help: "Write the reference's single-point structures to DIR (VASP inputs and manifest.json) instead of validating.")
    var export: String?
    @Option(help: "--export: INCAR template (IBRION, ISIF, NSW are set for single points).") var incar: String?
    @Option(help: "--export: KPOINTS template; {mesh} becomes the structure's Gamma mesh.") var kpoints: String?
    @Option(help: "--export: k-point spacing for {mesh} (1/A, 2 pi included).") var kSpacing: Double = 0.15
    @Option(help: "--export: POTCAR to copy into every directory.") var potcar: String?
    @Option(help: "Properties to compute, comma-separated (default: all): ev, strain, vacancy, surface, phonon, elastic, md. Only the lattices they start from are relaxed (strain, surface, elastic, md: hcp; phonon: hcp and bcc; ev, vacancy: all four).")
    var properties: String?
    @Option(help: "Seconds one calculation may take (ase: references).") var timeout: Double?
    @Option(help: "Element symbol (for the mass); default: the reference EAM file's first element.") var element: String?
    @Option(help: "Start of the reference's hcp relaxation, hcp:a,c/a (e.g. hcp:3.18,1.62); default: scanned.") var lattice: String?
    @Option(help: "Output directory.") var out: String?
    @Option(help: "Worker threads (each with its own calculator).") var threads: Int = 2
    @Option(help: "The MTP potentials' training set (.cfg, .extxyz, .h5): grade every structure they evaluate against its active set (cached in POT.activeset).")
    var training: String?
    @OptionGroup var plots: PlotArguments
    var format: String { plots.format }
    @Option(help: "MD run length per temperature (ps).") var mdDuration: Double?
    @Option(help: "MD temperatures (K), comma-separated.") var mdTemperatures: String?
    /// The default (1e-4 eV/A) suits analytic potentials; a DFT reference's
    /// forces carry SCF noise near that level, so its ionic relaxations can
    /// creep on without converging.
    @Option(help: "Force tolerance (eV/A) of the ionic relaxations of the elastic constants (default 1e-4; about 1e-3 for a DFT reference, whose forces are noisy below that).")
    var elasticForceTolerance: Double?
    /// Stress-strain differences need a strain large enough for the stress
    /// to stand above the relaxation's noise and small enough to stay linear;
    /// comparing two strains shows whether a potential's curvature is smooth.
    @Option(help: "+- strain of the stress-strain elastic constants (default 0.005; at most 0.05).")
    var elasticStrain: Double?
    @Flag(help: "Small cells and short runs (a smoke test; the numbers are not converged).") var quick = false

    func validate() throws {
        guard !potentials.isEmpty else { throw ValidationError("give at least one potential") }
        if export != nil {
            guard reference == nil, out == nil else { throw ValidationError("--export writes structures only: drop --reference and --out") }
            guard potentials.count == 1 else { throw ValidationError("--export relaxes the lattices with one potential; give exactly one") }
            guard training == nil else { throw ValidationError("--training grades a validation; --export writes structures only: drop --training") }
        } else {
            guard reference != nil, out != nil else { throw ValidationError("give --reference and --out (or --export DIR)") }
        }
        if training != nil, !potentials.contains(where: { Self.spec($0).lowercased().hasPrefix("mtp:") }) {
            throw ValidationError("--training grades MTP potentials; none of the potentials is one")
        }
        guard kSpacing > 0 else { throw ValidationError("--k-spacing must be positive") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let t = timeout, !(t > 0) { throw ValidationError("--timeout must be positive") }
        if let d = mdDuration, !(d > 0) { throw ValidationError("--md-duration must be positive") }
        if let f = elasticForceTolerance, !(f > 0) { throw ValidationError("--elastic-force-tolerance must be positive") }
        if let e = elasticStrain, !(e > 0 && e <= 0.05) { throw ValidationError("--elastic-strain must be in (0, 0.05]") }
        if let t = mdTemperatures, Self.numbers(t)?.allSatisfy({ $0 > 0 }) != true {
            throw ValidationError("--md-temperatures must be positive numbers separated by commas, e.g. 300,800")
        }
    }

    static func numbers(_ s: String) -> [Double]? {
        let parts = s.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.map { $0! }
    }

    /// "hcp:a,c/a" -> (a, c/a).
    static func parseLattice(_ s: String) throws -> (a: Double, cOverA: Double) {
        let parts = s.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].lowercased() == "hcp", let v = numbers(parts[1]), v.count == 2, v[0] > 0, v[1] > 0 else {
            throw UserError("--lattice '\(s)': expected hcp:a,c/a with positive numbers, e.g. hcp:3.18,1.62")
        }
        return (v[0], v[1])
    }

    /// A potential argument as a calculator spec: a bare path is an MTP file.
    static func spec(_ argument: String) -> String {
        let lower = argument.lowercased()
        return ["eam:", "mtp:", "ase:"].contains { lower.hasPrefix($0) } ? argument : "mtp:" + argument
    }

    func run() throws {
        try reportingErrors {
            var settings = quick ? ValidationSettings.quick : ValidationSettings()
            settings.threads = threads
            if let d = mdDuration { settings.mdDuration = d }
            if let f = elasticForceTolerance { settings.elasticForceTolerance = f }
            if let e = elasticStrain { settings.elasticStrain = e }
            if let t = mdTemperatures { settings.mdTemperatures = Self.numbers(t)! }
            let start = try lattice.map(Self.parseLattice)

            // Every calculator is built once here, so bad files fail before any work.
            var selected = try properties.map(PropertySelection.properties)
            let context = CalculatorContext(species: element.map { [$0] } ?? [], timeout: timeout)
            if let export {
                try runExport(to: export, settings: settings, selected: selected, start: start, context: context)
                return
            }
            let ref = try resolveReference(context: context, settings: &settings, selected: &selected)
            let symbol = ref.element
            guard let mass = Elements.mass(of: symbol) else {
                throw UserError("--element '\(symbol)': unknown element symbol")
            }
            let referenceSource = ref.source
            // Active sets are built on one rank: validation itself does not use MPI.
            let comm = training == nil ? nil : Communicator.start()
            defer { if comm != nil { Communicator.finish() } }
            var sources: [CalculatorSource] = []
            for argument in potentials {
                let s = Self.spec(argument)
                let calc = try makeCalculator(spec: s, context: context)
                var source = CalculatorSource(name: argument, make: { try makeCalculator(spec: s, context: context) })
                if s.lowercased().hasPrefix("mtp:") {
                    let file = String(s.dropFirst(4))
                    let setPath = ActiveSet.defaultPath(potential: file)
                    if let training, let comm {
                        let store = ActiveSetStore(potentialPath: file, training: ShardSource(path: training, options: FormatOptions(symbols: [symbol])),
                                                   options: ActiveSetOptions())
                        let set = try store.load(comm) { print("\(argument): \($0)") }
                        source.grader = set.graderFactory()
                    } else if FileManager.default.fileExists(atPath: setPath) {
                        source.grader = {
                            let set = try ActiveSet.load(path: setPath, potential: try MTPFile.read(path: file))
                            return { try set.grade(of: $0) }
                        }
                    } else {
                        source.gradeNote = "grade: not available (no active set \(setPath); pass --training, or `mtp grade` writes one)"
                    }
                } else {
                    source.gradeNote = "grade: not available (\(calc.name) is not an MTP)"
                }
                sources.append(source)
            }

            print("validating \(potentials.count) potential\(potentials.count == 1 ? "" : "s") against \(referenceSource.name) (\(symbol), \(mass) amu), \(threads) thread\(threads == 1 ? "" : "s")\(quick ? ", quick settings" : "")")
            fflush(stdout)
            var validator = Validator(reference: referenceSource, potentials: sources, mass: mass, startLattice: start, settings: settings)
            if let selected { validator.properties = selected }
            let report = try validator.run(progress: { print($0); fflush(stdout) })
            let files = try report.write(to: out!, title: "Validation against \(referenceSource.name)", format: format)
            print("")
            print(report.summary, terminator: "")
            print(String(format: "wall %.1f s -> %@", report.wallSeconds, files[0]))
        }
    }
}
