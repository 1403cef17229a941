import ArgumentParser
import Foundation
import Atomistic
import MTP
import Fitting
import Parallel
import TrainingStore

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit a potential to a training set (alone or under mpirun).",
        discussion: """
        Like MLIP's `mlp train POT DATA`: starts from POT (untrained template or trained potential),
        fits all its parameters to the energies, forces and stresses of DATA (any format `mtp convert`
        reads) and writes the trained potential to --output. Under `mpirun -np N` the configurations are
        split into N contiguous shards of near-equal cost (a .h5 store is read shard by shard with MPI-IO;
        other formats are parsed once, by rank 0, which sends every rank its shard); the result does not
        depend on N. The default optimiser is Levenberg-Marquardt on all parameters with the linear
        least-squares part solved by distributed Householder QR; each iteration prints the loss and
        training errors.
        """)

    @Argument(help: "Initial potential (.mtp), untrained or trained.") var potential: String
    @Argument(help: "Training set (.h5, .cfg, .extxyz, mlearn .json, vasprun.xml, OUTCAR). A .h5 store is read in shards, one per rank.")
    var data: String
    @Option(name: .shortAndLong, help: "Where to write the trained potential.") var output: String
    @OptionGroup var training: TrainingArguments
    @Option(help: "Memory per rank (GB) for keeping radial basis values and monomials between evaluations (default 0: rebuilt per configuration from the kept neighbour lists, which measured as fast or faster).")
    var cacheMemory: Double = 0
    @Option(help: "Write a checkpoint every N iterations (0: never).") var checkpointEvery: Int = 5
    @Flag(help: "Continue from the checkpoint next to --output (OUTPUT.checkpoint.json).") var resume = false
    @Option(help: "Machine-readable summary (JSON); default OUTPUT.json.") var summary: String?

    func run() throws {
        try runCollectively { comm, say in
            let start = try Collective.together(comm) { try MTPFile.read(path: potential) }
            let shard = try ShardSource(path: data, options: FormatOptions(symbols: training.symbols)).read(comm)
            let fit = try Fit(start: start, data: shard, dataPath: data, options: training.options, communicator: comm,
                              cacheBudget: Int(max(0, cacheMemory) * 1e9), potentialPath: potential)
            let result = try fit.run(output: output,
                                     checkpointing: Fit.Checkpointing(path: output + ".checkpoint.json", every: checkpointEvery,
                                                                      resume: resume ? .required : .never),
                                     log: say)
            try Collective.onRoot(comm) {
                try JSONFile.write(TrainSummary(result, potential: output, optimizer: training.optimizer), to: summary ?? (output + ".json"))
            }
        }
    }
}
