import ArgumentParser
import Atomistic
import MTP

struct CheckErrors: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-errors",
        abstract: "Evaluate a potential on labelled configurations and report its errors.",
        discussion: """
        Like MLIP's `mlp check-errors POT DATA` (also run as `mtp calc-errors`, MLIP's other name): energies per atom (meV/atom), force components (eV/A)
        and stresses (GPa) of POT against the labels in DATA (any format `mtp convert` reads): RMSE, MAE and max.
        """,
        aliases: ["calc-errors"])
    @Argument(help: "The trained potential (.mtp).") var potential: String
    @Argument(help: "Labelled configurations (.cfg, .extxyz, ...).") var data: String
    @Option(help: "Element symbols of species 0, 1, ... (for extended XYZ).") var species: String?

    func run() throws {
        try reportingErrors {
            let evaluator = try Evaluator(contentsOf: potential)
            let reference = try ConfigurationFormats.read(data, options: FormatOptions(symbols: species.map { $0.split(separator: ",").map(String.init) }))
            let predicted = try evaluator.predictions(reference.configurations, file: data)
            print(try LabelErrors.compare(predicted: predicted, reference: reference.configurations,
                                          predictedFile: data, referenceFile: data).table, terminator: "")
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
            let options = FormatOptions(symbols: species.map { $0.split(separator: ",").map(String.init) })
            let ref = try ConfigurationFormats.read(reference, options: options).configurations
            let pred = try ConfigurationFormats.read(predicted, options: options).configurations
            print(try LabelErrors.compare(predicted: pred, reference: ref, predictedFile: predicted, referenceFile: reference).table,
                  terminator: "")
        }
    }
}
