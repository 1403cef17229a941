import ArgumentParser
import Foundation
import Atomistic
import MTP
import Parallel

struct CalcEFS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calc-efs",
        abstract: "Calculate energies, forces and stresses of configurations with a potential.",
        discussion: """
        Like MLIP's `mlp calc-efs POT IN OUT`: every configuration of IN is evaluated with POT and
        written to OUT with its Energy, forces (fx fy fz) and PlusStress (the virial W = -stress*volume,
        in eV) replaced. IN and OUT are any formats `mtp convert` reads and writes
        (.cfg, extended XYZ .extxyz/.xyz, .h5); OUT is written atomically.
        """)

    @Argument(help: "The trained potential (.mtp).") var potential: String
    @Argument(help: "Input configurations (.cfg, .extxyz, ...).") var input: String
    @Argument(help: "Output file (.cfg, .extxyz, .h5).") var output: String
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
            let evaluator = try Evaluator(contentsOf: potential)
            let options = FormatOptions(symbols: species.map { $0.split(separator: ",").map(String.init) },
                                        mlipDigits: !fullPrecision)
            var data = try ConfigurationFormats.read(input, options: options)
            let t1 = clock.now
            data.configurations = try evaluator.predictions(data.configurations, file: input)
            let t2 = clock.now
            try ConfigurationFormats.write(data, to: output, options: options)
            if timing {
                let t3 = clock.now
                let atoms = data.configurations.reduce(0) { $0 + $1.atomCount }
                func s(_ d: Duration) -> String { String(format: "%.3f s", ProcessTime.seconds(d)) }
                let perAtom = ProcessTime.seconds(t2 - t1) / Double(max(atoms, 1)) * 1e6
                FileHandle.standardError.write(Data("read \(s(t1 - t0)), evaluate \(s(t2 - t1)) (\(String(format: "%.2f", perAtom)) us/atom, \(data.configurations.count) configurations, \(atoms) atoms), write \(s(t3 - t2))\n".utf8))
            }
        }
    }
}
