import ArgumentParser
import Atomistic
import MTP

struct CalcEFS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calc-efs",
        abstract: "Calculate energies, forces and stresses of configurations with a potential.",
        discussion: """
        Like MLIP's `mlp calc-efs POT IN OUT`: every configuration of IN is evaluated with POT and
        written to OUT with its Energy, forces (fx fy fz) and PlusStress (the virial W = -stress*volume,
        in eV) replaced. IN and OUT are .cfg or extended XYZ (.extxyz/.xyz); OUT is written atomically.
        """)

    @Argument(help: "The trained potential (.mtp).") var potential: String
    @Argument(help: "Input configurations (.cfg, .extxyz).") var input: String
    @Argument(help: "Output file (.cfg, .extxyz).") var output: String
    @Option(help: "Element symbols of species 0, 1, ... (needed for extended XYZ), e.g. Cu,Ag,Au.")
    var species: String?
    @Flag(help: "Write every digit (shortest round-trip numbers) instead of MLIP's fixed digits.")
    var fullPrecision = false

    func run() throws {
        try reportingErrors {
            let pot = try MTPFile.read(path: potential)
            let evaluator: Evaluator
            do { evaluator = try Evaluator(pot) } catch { throw InputError(file: potential, "\(error)") }
            let symbols = species.map { $0.split(separator: ",").map(String.init) }
            var (configs, readSymbols) = try ConfigurationFiles.read(input, symbols: symbols)
            for c in configs.indices {
                let where_ = "configuration \(c + 1)"
                do {
                    let nl = try NeighborList(configs[c], cutoff: evaluator.cutoff)
                    let efs = try evaluator.evaluate(configs[c], neighbors: nl)
                    configs[c].energy = efs.energy
                    configs[c].forces = efs.forces
                    configs[c].virial = configs[c].isPeriodic ? efs.virial : nil
                } catch {
                    throw InputError(file: input, "\(where_): \(error)")
                }
            }
            try ConfigurationFiles.write(configs, to: output, symbols: readSymbols, mlipStyle: !fullPrecision)
        }
    }
}
