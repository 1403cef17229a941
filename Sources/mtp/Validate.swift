import ArgumentParser
import Foundation
import Atomistic
import MTP
import Reference
import Validation
import ActiveLearning

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
        stress-strain (relaxed ions, GPa); and 3 ps of Langevin NVT dynamics at 300 K and 800 K (stable or not,
        and the maximum extrapolation grade when POT.mtp.activeset exists).
        Writes OUT/report.md (one table: reference, potential value and error per property; several
        potentials give one column pair each), OUT/report.json and the plots (errors, E-V curves, phonon
        bands and DOS), each with its data file and gnuplot script beside it.
        """)

    @Argument(help: "Potentials to validate: .mtp files (or mtp:FILE / eam:FILE).") var potentials: [String]
    @Option(help: "Reference calculator: eam:FILE, mtp:FILE or ase:FILE.py (needs --element).") var reference: String
    @Option(help: "Properties to compute, comma-separated (default: all): ev, strain, vacancy, surface, phonon, elastic, md.")
    var properties: String?
    @Option(help: "Seconds one calculation may take (ase: references).") var timeout: Double?
    @Option(help: "Element symbol (for the mass); default: the reference EAM file's first element.") var element: String?
    @Option(help: "Start of the reference's hcp relaxation, hcp:a,c/a (e.g. hcp:3.18,1.62); default: scanned.") var lattice: String?
    @Option(help: "Output directory.") var out: String
    @Option(help: "Worker threads (each with its own calculator).") var threads: Int = 2
    @Option(help: "Plot format: png or svg.") var format: String = "png"
    @Option(help: "MD run length per temperature (ps).") var mdDuration: Double?
    @Option(help: "MD temperatures (K), comma-separated.") var mdTemperatures: String?
    @Flag(help: "Small cells and short runs (a smoke test; the numbers are not converged).") var quick = false

    func validate() throws {
        guard !potentials.isEmpty else { throw ValidationError("give at least one potential") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard ["png", "svg"].contains(format) else { throw ValidationError("--format is png or svg") }
        if let t = timeout, !(t > 0) { throw ValidationError("--timeout must be positive") }
        if let d = mdDuration, !(d > 0) { throw ValidationError("--md-duration must be positive") }
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
            if let t = mdTemperatures { settings.mdTemperatures = Self.numbers(t)! }
            let start = try lattice.map(Self.parseLattice)

            // Every calculator is built once here, so bad files fail before any work.
            let referenceSpec = reference
            let selected = try properties.map(PropertySelection.properties)
            if isPythonCalculator(spec: referenceSpec), element == nil {
                throw UserError("--reference \(referenceSpec) needs --element (the atoms' element)")
            }
            let context = CalculatorContext(species: element.map { [$0] } ?? [], timeout: timeout)
            let referenceCalculator = try makeCalculator(spec: referenceSpec, context: context)
            let symbol: String
            if let element {
                symbol = element
            } else if let eam = referenceCalculator as? EAMCalculator {
                symbol = eam.tables.elements[eam.elementOfSpecies[0]]
            } else {
                throw UserError("give the element with --element (the reference \(reference) does not name it)")
            }
            guard let mass = Elements.mass(of: symbol) else {
                throw UserError("--element '\(symbol)': unknown element symbol")
            }
            let referenceSource = CalculatorSource(name: referenceCalculator.name, make: { try makeCalculator(spec: referenceSpec, context: context) },
                                                  gradeNote: "grade: not applicable to the reference")
            var sources: [CalculatorSource] = []
            for argument in potentials {
                let s = Self.spec(argument)
                let calc = try makeCalculator(spec: s, context: context)
                var source = CalculatorSource(name: argument, make: { try makeCalculator(spec: s, context: context) })
                if s.lowercased().hasPrefix("mtp:") {
                    let file = String(s.dropFirst(4))
                    let setPath = ActiveSet.defaultPath(potential: file)
                    if FileManager.default.fileExists(atPath: setPath) {
                        source.grader = {
                            let set = try ActiveSet.load(path: setPath, potential: try MTPFile.read(path: file))
                            return { try set.grade(of: $0) }
                        }
                    } else {
                        source.gradeNote = "grade: not available (no active set \(setPath); `mtp select-add` or `mtp grade` writes one)"
                    }
                } else {
                    source.gradeNote = "grade: not available (\(calc.name) is not an MTP)"
                }
                sources.append(source)
            }

            print("validating \(potentials.count) potential\(potentials.count == 1 ? "" : "s") against \(referenceCalculator.name) (\(symbol), \(mass) amu), \(threads) thread\(threads == 1 ? "" : "s")\(quick ? ", quick settings" : "")")
            fflush(stdout)
            var validator = Validator(reference: referenceSource, potentials: sources, mass: mass, startLattice: start, settings: settings)
            if let selected { validator.properties = selected }
            let report = try validator.run(progress: { print($0); fflush(stdout) })
            let files = try report.write(to: out, title: "Validation against \(referenceCalculator.name)", format: format)
            print("")
            print(report.summary, terminator: "")
            print(String(format: "wall %.1f s -> %@", report.wallSeconds, files[0]))
        }
    }
}
