import ArgumentParser
import Foundation
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

    @Flag(help: "Print the time spent reading, evaluating and writing to standard error.")
    var timing = false

    func run() throws {
        try reportingErrors {
            let clock = ContinuousClock()
            let t0 = clock.now
            let evaluator = try loadEvaluator(potential)
            let symbols = species.map { $0.split(separator: ",").map(String.init) }
            var (configs, readSymbols) = try ConfigurationFiles.read(input, symbols: symbols)
            let t1 = clock.now
            var atoms = 0
            let workspace = EvaluationWorkspace()
            for c in configs.indices {
                atoms += configs[c].atomCount
                do {
                    let nl = try NeighborList(configs[c], cutoff: evaluator.cutoff)
                    let efs = try evaluator.evaluate(configs[c], neighbors: nl, workspace: workspace)
                    configs[c].energy = efs.energy
                    configs[c].forces = efs.forces
                    configs[c].virial = configs[c].isPeriodic ? efs.virial : nil
                } catch {
                    throw ConfigurationFiles.located(error, in: input, configuration: c)
                }
            }
            let t2 = clock.now
            try ConfigurationFiles.write(configs, to: output, symbols: readSymbols, mlipStyle: !fullPrecision)
            if timing {
                let t3 = clock.now
                func s(_ d: Duration) -> String { String(format: "%.3f s", Double(d.components.attoseconds) * 1e-18 + Double(d.components.seconds)) }
                let perAtom = (Double((t2 - t1).components.attoseconds) * 1e-18 + Double((t2 - t1).components.seconds)) / Double(max(atoms, 1)) * 1e6
                FileHandle.standardError.write(Data("read \(s(t1 - t0)), evaluate \(s(t2 - t1)) (\(String(format: "%.2f", perAtom)) us/atom, \(configs.count) configurations, \(atoms) atoms), write \(s(t3 - t2))\n".utf8))
            }
        }
    }
}
