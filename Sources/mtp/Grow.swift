import ArgumentParser
import Atomistic
import MTP

struct Grow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grow",
        abstract: "Carry a trained potential into a higher level: the start of a higher-level fit.",
        discussion: """
        Writes a potential of the larger basis (--level, or the basis of --template) that predicts \
        exactly what POT predicts: POT's radial functions (radial functions it lacks start at MLIP's \
        initial values), species coefficients and, for each of its basis functions, its coefficient on \
        the same function of the larger basis, zero on the others. `mtp train OUT DATA` then continues \
        from there instead of from an untrained template. The radial basis (species count, min_dist, \
        max_dist, size and type) is POT's.
        """)

    @Argument(help: "The trained potential (.mtp).") var potential: String
    @Option(help: "Level of the larger basis (2-28), as `mtp basis --level`.") var level: Int?
    @Option(help: "An .mtp file whose basis is the larger basis (its coefficients are not used).") var template: String?
    @Option(help: "Number of radial functions of the larger basis (default: as in MLIP's templates for --level).")
    var radialFuncsCount: Int?
    @Option(name: .shortAndLong, help: "Output file.") var output: String

    func validate() throws {
        guard (level == nil) != (template == nil) else { throw ValidationError("give one of --level and --template") }
        if let level { guard (2...28).contains(level) else { throw ValidationError("--level must be between 2 and 28") } }
        if template != nil, radialFuncsCount != nil { throw ValidationError("--radial-funcs-count goes with --level") }
    }

    func run() throws {
        try reportingErrors {
            let source = try MTPFile.read(path: potential)
            let what = level.map { "level \($0)" } ?? template!
            let grown: Potential
            do {
                if let level {
                    grown = try PotentialGrowth.grow(source, toLevel: level, radialFuncsCount: radialFuncsCount)
                } else {
                    grown = try PotentialGrowth.grow(source, into: try MTPFile.read(path: template!))
                }
            } catch let e as PotentialGrowth.GrowthError {
                throw InputError(file: potential, "growing into \(what): \(e)")
            }
            try MTPFile.write(grown, to: output)
            print("\(potential) (\(source.basis.scalarCount) basis functions, \(source.parameterCount) parameters) -> "
                  + "\(what): \(grown.basis.scalarCount) basis functions, \(grown.parameterCount) parameters, same predictions -> \(output)")
        }
    }
}
