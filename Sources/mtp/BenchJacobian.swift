import ArgumentParser
import Foundation
import Atomistic
import MTP
import Fitting
import Parallel
import TrainingStore

/// `mtp bench jacobian`: `JacobianBenchmark` on one rank, its summary printed.
struct BenchJacobian: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jacobian",
        abstract: "Time the Jacobian pass against a loss+gradient evaluation (one rank, CPU seconds).",
        discussion: "mtp bench jacobian POT DATA [--reference] [--repeats 3] [--block-atoms 8] [-o jacobian.json]")

    @Argument(help: "Potential (.mtp), untrained or trained.") var potential: String
    @Argument(help: "Training set (any format `mtp train` reads).") var data: String
    @Flag(help: "Also time the reference kernel (forward tangents through the whole graph).") var reference = false
    @Option(help: "Repetitions (the best counts).") var repeats: Int = 3
    @Option(name: .shortAndLong, help: "Write the measurements as JSON.") var output: String?
    @Option(help: "Element symbols of species 0, 1, ... (for extended XYZ).") var species: String?
    @Option(help: "Atoms per block of the kernel's products (default 8, one per SIMD lane; a baseline for the benchmark).")
    var blockAtoms: Int?

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        if let blockAtoms, blockAtoms < 1 || blockAtoms > 4096 { throw ValidationError("--block-atoms must be 1-4096") }
    }

    func run() throws {
        try runCollectively { comm, say in
            let source = ShardSource(path: data, options: FormatOptions(symbols: species.map { $0.split(separator: ",").map(String.init) }))
            let configs = try source.read(comm).configurations
            let bench = JacobianBenchmark(potential: try MTPFile.read(path: potential), configurations: configs,
                                          repeats: repeats, reference: reference, blockAtoms: blockAtoms)
            let record = try bench.measure(comm)
            JacobianBenchmark.summary(record).forEach(say)
            if comm.isRoot, let output { try JSONFile.write(record, to: output) }
        }
    }
}
