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
        reads) and writes the trained potential to --output (MLIP's --trained-pot-name; default
        Trained.mtp_, MLIP's name). Under `mpirun -np N` the configurations are
        split into N contiguous shards of near-equal cost (a .h5 store is read shard by shard with MPI-IO;
        other formats are parsed once, by rank 0, which sends every rank its shard); the result does not
        depend on N. The default optimiser is Levenberg-Marquardt on all parameters with the linear
        least-squares part solved by distributed Householder QR; each iteration prints the loss and
        training errors. MLIP's options are accepted under MLIP's names (docs/mlip-users.md).
        """)

    /// MLIP's default name of the trained potential.
    static let mlipTrainedName = "Trained.mtp_"

    @Argument(help: "Initial potential (.mtp), untrained or trained.") var potential: String
    @Argument(help: "Training set (.h5, .cfg, .extxyz, mlearn .json, vasprun.xml, OUTCAR). A .h5 store is read in shards, one per rank.")
    var data: String
    @Option(name: [.customShort("o"), .customLong("output"), .customLong("trained-pot-name")],
            help: "Where to write the trained potential (MLIP: --trained-pot-name).")
    var output: String = Train.mlipTrainedName
    @OptionGroup var training: TrainingArguments
    @Option(name: .customLong("curr-pot-name"), help: "Save the potential of every iteration here (atomically; MLIP's current potential).")
    var currPotName: String?
    @Option(name: .customLong("init-params"), help: "Radial coefficients of an untrained POT: 'same' (every species pair alike; the default here) or 'random' (pairs perturbed apart, seeded; MLIP's default). A trained POT keeps its own.")
    var initParams: String?
    @Flag(name: .customLong("update-mindist"), help: "Set POT's min_dist to the shortest interatomic distance of DATA before fitting.")
    var updateMindist = false
    @Flag(name: .customLong("skip-preinit"), help: "Accepted for MLIP's scripts; changes nothing (there is no pre-training stage: see the message).")
    var skipPreinit = false
    @Option(help: "Memory per rank (GB) for keeping radial basis values and monomials between evaluations (default 0: rebuilt per configuration from the kept neighbour lists, which measured as fast or faster).")
    var cacheMemory: Double = 0
    @Option(help: "Write a checkpoint every N iterations (0: never).") var checkpointEvery: Int = 5
    @Flag(help: "Continue from the checkpoint next to --output (OUTPUT.checkpoint.json); every setting as in the run that wrote it but --max-iter, which may be raised to continue a fit that stopped at its limit.") var resume = false
    @Option(help: "Machine-readable summary (JSON); default OUTPUT.json.") var summary: String?
    @Option(name: .customLong("max-time"), help: "Stop after the first iteration that ends past this many wall seconds of this run, keeping its potential (and the checkpoint, for --resume): a batch job's time limit.")
    var maxTime: Double?
    @Option(help: "Train only on configurations of these groups of DATA (comma-separated, e.g. VOLMIN,CELLMIN,INTMIN).") var groups: String?
    @Option(help: "Multiply the loss weights of every configuration of a group by a factor, e.g. TRIAX=0.2,SHEAR=0.5 (the stored per-configuration weights are multiplied; groups not named keep theirs).",
            transform: { try GroupWeights(parsing: $0) })
    var groupWeights: GroupWeights?
    @Option(help: "Multiply the loss weights of every configuration by a factor from its energy per atom above the set's lowest (several species: above least-squares species references): E0[,p=P] for 1/(1+dE/E0)^p, or kT=T[,floor=F] for max(exp(-dE/kT), F); energies in eV/atom (docs/training.md).",
            transform: { try EnergyWeights(parsing: $0) })
    var energyWeights: EnergyWeights?

    func validate() throws {
        if let t = maxTime, !(t.isFinite && t > 0) { throw ValidationError("--max-time must be a positive number of seconds") }
        if let g = groups, g.split(separator: ",").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("--groups needs at least one group name")
        }
        if let initParams, StartingPoint.Radial(rawValue: initParams) == nil {
            throw ValidationError("--init-params must be \(StartingPoint.Radial.allCases.map(\.rawValue).joined(separator: " or "))")
        }
    }

    func run() throws {
        try runCollectively { comm, say in
            if skipPreinit {
                say("note: --skip-preinit changes nothing here: mtp train has no pre-training stage (every Levenberg-Marquardt iteration solves the linear parameters exactly); use --max-iter to limit the work")
            }
            var start = try Collective.together(comm) { try MTPFile.read(path: potential) }
            if let initParams, let radial = StartingPoint.Radial(rawValue: initParams) {
                if start.radialCoeffs != nil { say("note: \(potential) has radial coefficients; it starts from them (--init-params applies to untrained potentials, as in MLIP)") }
                start = StartingPoint.initialised(start, radial: radial)
            }
            let options = FormatOptions(symbols: training.symbols)
            let selected = groups.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            var shard = try ShardSource(path: data, options: options, groups: selected).read(comm)
            if let groupWeights {
                try groupWeights.apply(to: &shard, dataPath: data)
                say("group weights: \(groupWeights.description)")
            }
            var energyReport: EnergyWeightsReport? = nil
            if let energyWeights {
                energyReport = try energyWeights.apply(to: &shard.configurations, communicator: comm)
                say(energyReport!.line)
            }
            if updateMindist {
                start = try StartingPoint.updatingMinDist(start, data: shard, dataPath: data, communicator: comm)
                say("min_dist set to the training set's shortest interatomic distance, \(start.minDist) A")
            } else {
                let shortest = try StartingPoint.shortestDistance(data: shard, dataPath: data, below: start.maxDist, communicator: comm)
                if shortest.isFinite {
                    say(String(format: "shortest interatomic distance in %@: %.4f A (min_dist of the potential: %.4f A)", data, shortest, start.minDist))
                    if shortest < start.minDist {
                        say("note: pairs closer than min_dist lie outside the radial basis's interval, where it grows fast; --update-mindist (MLIP's option) sets min_dist to the shortest distance")
                    }
                }
            }
            let fit = try Fit(start: start, data: shard, dataPath: data, options: training.options, communicator: comm,
                              cacheBudget: Int(max(0, cacheMemory) * 1e9), potentialPath: potential)
            if let valid = training.valid {
                try fit.validate(on: try ShardSource(path: valid, options: options).read(comm), path: valid, stopAfter: training.stopOnValid)
            }
            let result = try fit.run(output: output,
                                     checkpointing: Fit.Checkpointing(path: output + ".checkpoint.json", every: checkpointEvery,
                                                                      resume: resume ? .required : .never,
                                                                      tag: WeightFactors.tag(groupWeights: groupWeights, energyWeights: energyWeights),
                                                                      currentPotential: currPotName),
                                     maxSeconds: maxTime,
                                     log: say)
            try Collective.onRoot(comm) {
                var s = TrainSummary(result, potential: output, optimizer: training.optimizer)
                s.groupWeights = groupWeights?.description
                s.energyWeights = energyReport
                try JSONFile.write(s, to: summary ?? (output + ".json"))
            }
        }
    }
}
