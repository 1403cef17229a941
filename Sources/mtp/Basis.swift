import ArgumentParser
import Atomistic
import MTP

struct Basis: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "basis",
        abstract: "Write an untrained potential (.mtp) of a given level.",
        discussion: """
        The counterpart of MLIP's shipped untrained templates (e.g. 16.mtp), for any level 2-28 and any
        number of species. The radial coefficients are MLIP's own initial values unless
        --no-radial-coeffs is given; species and moment coefficients are left for training.
        """)

    @Option(help: "Level of the potential (2-28).") var level: Int
    @Option(help: "Number of species (atom types).") var speciesCount: Int = 1
    @Option(help: "Smallest interatomic distance of the radial basis (A).") var minDist: Double
    @Option(help: "Cutoff radius (A).") var maxDist: Double
    @Option(help: "Number of Chebyshev polynomials in the radial basis.") var radialBasisSize: Int = 8
    @Option(help: RadialBasisType.help) var radialBasisType: RadialBasisType = .chebyshev
    @Option(help: "Number of radial functions (default: as in MLIP's templates for the level).")
    var radialFuncsCount: Int?
    @Flag(help: "Leave out radial_coeffs, as MLIP's shipped templates do.") var noRadialCoeffs = false
    @Option(name: .shortAndLong, help: "Output file.") var output: String

    func validate() throws {
        guard (2...28).contains(level) else { throw ValidationError("--level must be between 2 and 28") }
        guard speciesCount >= 1 else { throw ValidationError("--species-count must be at least 1") }
        guard minDist >= 0, maxDist > minDist else { throw ValidationError("need 0 <= --min-dist < --max-dist") }
        guard radialBasisSize >= 2 else { throw ValidationError("--radial-basis-size must be at least 2") }
    }

    func run() throws {
        try reportingErrors {
            let pot = try Potential.untrained(level: level, speciesCount: speciesCount, minDist: minDist, maxDist: maxDist,
                                              radialBasisSize: radialBasisSize, radialFuncsCount: radialFuncsCount,
                                              radialCoeffs: !noRadialCoeffs, radialBasisType: radialBasisType)
            let basis = pot.basis
            try MTPFile.write(pot, to: output)
            print("level \(level): \(basis.scalarCount) basis functions, \(basis.radialFuncsCount) radial functions, \(pot.parameterCount) parameters -> \(output)")
        }
    }
}
