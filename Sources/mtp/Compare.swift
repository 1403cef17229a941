import ArgumentParser
import Atomistic
import MTP

struct CheckErrors: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-errors",
        abstract: "Evaluate a potential on labelled configurations and report its errors.",
        discussion: """
        Like MLIP's `mlp check-errors POT DATA`: energies per atom (meV/atom), force components (eV/A)
        and stresses (GPa) of POT against the labels in DATA (.cfg or .extxyz): RMSE, MAE and max.
        """)
    @Argument(help: "The trained potential (.mtp).") var potential: String
    @Argument(help: "Labelled configurations (.cfg, .extxyz).") var data: String
    @Option(help: "Element symbols of species 0, 1, ... (for extended XYZ).") var species: String?

    func run() throws {
        try reportingErrors {
            let evaluator = try loadEvaluator(potential)
            let (configs, _) = try ConfigurationFiles.read(data, symbols: species.map { $0.split(separator: ",").map(String.init) })
            var errors = LabelErrors()
            let workspace = EvaluationWorkspace()
            for (c, config) in configs.enumerated() {
                var predicted = config
                do {
                    let efs = try evaluator.evaluate(config, neighbors: NeighborList(config, cutoff: evaluator.cutoff), workspace: workspace)
                    predicted.energy = efs.energy
                    predicted.forces = efs.forces
                    predicted.virial = efs.virial
                } catch {
                    throw ConfigurationFiles.located(error, in: data, configuration: c)
                }
                errors.add(predicted: predicted, reference: config)
            }
            print(errors.table, terminator: "")
        }
    }
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare the labels of two files holding the same configurations.",
        discussion: "Errors of PREDICTED against REFERENCE: energies per atom (meV/atom), force components (eV/A), stresses (GPa).")
    @Argument(help: "Reference configurations.") var reference: String
    @Argument(help: "Predicted configurations (same structures, same order).") var predicted: String
    @Option(help: "Element symbols of species 0, 1, ... (for extended XYZ).") var species: String?

    func run() throws {
        try reportingErrors {
            let symbols = species.map { $0.split(separator: ",").map(String.init) }
            let (ref, _) = try ConfigurationFiles.read(reference, symbols: symbols)
            let (pred, _) = try ConfigurationFiles.read(predicted, symbols: symbols)
            guard ref.count == pred.count else {
                throw UserError("\(reference) holds \(ref.count) configurations, \(predicted) holds \(pred.count)")
            }
            var errors = LabelErrors()
            for (c, (r, p)) in zip(ref, pred).enumerated() {
                guard r.atomCount == p.atomCount else {
                    throw UserError("configuration \(c + 1): \(r.atomCount) atoms in \(reference), \(p.atomCount) in \(predicted)")
                }
                errors.add(predicted: p, reference: r)
            }
            print(errors.table, terminator: "")
        }
    }
}

/// Reads a potential and prepares it for evaluation, naming the file in errors.
func loadEvaluator(_ path: String) throws -> Evaluator {
    let pot = try MTPFile.read(path: path)
    do { return try Evaluator(pot) } catch { throw InputError(file: path, "\(error)") }
}
