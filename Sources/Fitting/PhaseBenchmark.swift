import Foundation
import Atomistic
import MTP
import Parallel
import TrainingStore

/// The phases of one training iteration, timed separately on every rank
/// (`mtp bench phases`, the scaling study in benchmarks/scaling and
/// docs/performance-model.md). Every phase is the trainer's own code: input
/// (reading this rank's share as `mtp train` does, neighbour lists), the
/// Jacobian pass (`Trainer.localFactor`: derivatives of every labelled
/// quantity and the streaming QR of this rank's rows, timed apart), the
/// former linear solve (`Trainer.gathered`: allgather of the triangular
/// factors; `Trainer.combine`: their TSQR combination; `Trainer.step`: the
/// damped step) against the fixed block tree that training uses
/// (`Trainer.treeFactor`, the whole factor both ways in the same run), a
/// loss evaluation and a loss+gradient evaluation (BFGS; both now reduce
/// their sums in a fixed tree, and the allgathers they are compared with
/// are those of the former path, timed alone), and
/// whole Levenberg-Marquardt iterations, as the check that the phases add up
/// to what `mtp train` does. Communication is timed after a barrier, so that
/// the wait for the slowest rank (imbalance) is reported on its own.
public struct PhaseBenchmark {
    /// One phase: the slowest rank's compute, its communication after a
    /// barrier, and the longest wait at that barrier.
    public struct Phase: Codable, Sendable {
        public var compute: Double
        public var communication: Double
        public var wait: Double
        public var total: Double { compute + communication + wait }
    }

    /// What `mtp bench phases -o` writes (benchmarks/scaling/analyse.py reads it).
    public struct Record: Codable, Sendable {
        public var ranks: Int
        public var hosts: [String]
        public var oversubscribed: Bool
        public var configurations: Int
        public var atoms: Int
        public var neighbourPairs: Int
        public var rows: Int
        public var parameters: Int
        public var localConfigurations: [Int]
        public var localAtoms: [Int]
        public var localRows: [Int]
        public var read: Double
        public var neighbourLists: Double
        public var jacobian: Phase          // derivatives only
        public var localQR: Double          // this rank's rows into R (slowest rank)
        public var factorGather: Phase      // allgather of the ranks' R
        public var combine: Double          // TSQR of the gathered factors
        public var step: Double             // the damped step from R
        public var loss: Phase              // energies+forces+stresses, allgather of per-configuration terms
        public var factorBytesPerRank: Int
        public var lossBytesPerConfiguration: Int
        /// One `Trainer.lossAndGradient` (BFGS): the slowest rank's wall
        /// time split into compute and the two allgathers timed alone, and
        /// the busiest rank's CPU seconds.
        public var lossGradient: Phase
        public var lossGradientCPU: Double
        public var gradientBytesPerRank: Int
        public var trainerIteration: Double
        /// The same iteration in CPU seconds of the busiest rank (the wall
        /// time on dedicated cores; time spent polling in MPI counts too).
        public var trainerIterationCPU: Double
        public var trainerLossEvaluations: Int
        public var trainerLossEvaluation: Double
        /// Resident memory added on each rank by reading its configurations
        /// and by their neighbour lists (bytes; per atom: divide by
        /// `localAtoms`), and each rank's peak resident memory.
        public var residentDataBytes: [Double]
        public var residentNeighbourBytes: [Double]
        public var peakResidentBytes: [Double]
        /// Each rank's CPU time over wall time in its fastest Jacobian pass:
        /// below 1 the rank shared its core with other processes.
        public var cpuShare: [Double]
        /// Bytes of the trainer's neighbourhood caches on each rank (kept
        /// between evaluations, up to its memory budget).
        public var cacheBytes: [Double]
        /// The trainer's own Jacobian pass (derivatives, QR, gather and
        /// combination of the factors), CPU seconds of the busiest rank.
        public var trainerJacobianCPU: Double
        /// CPU seconds of the busiest rank in the fastest loss evaluation.
        public var lossCPU: Double
        /// The whole factor of [J | r] both ways, the slowest rank's wall
        /// time (best of the repeats): the former path (local QR, allgather
        /// of every rank's R, TSQR of the stack on every rank) and the fixed
        /// block tree (`Trainer.treeFactor`), its block count and the
        /// tree's levels + 2 (`treeFactorsHeld`, kept for the records' readers;
        /// the tree's memory is bounded by `FactorTree.memoryBound`).
        public var gatheredFactor: Double?
        public var treeFactor: Double?
        public var treeBlocks: Int?
        public var treeFactorsHeld: Int?
        /// One combination of two factors in the tree (`StreamingQR.combinePair`).
        public var pairCombine: Double?
    }

    /// The record and its summary, one line per phase, as `mtp bench phases` prints it.
    public struct Result: Sendable {
        public var record: Record
        public var summary: [String]
    }

    public var potential: Potential
    public var source: ShardSource
    /// Repetitions of each phase (the best counts).
    public var repeats: Int

    public init(potential: Potential, source: ShardSource, repeats: Int) {
        self.potential = potential
        self.source = source
        self.repeats = repeats
    }

    /// Measures every phase; collective (every rank of `comm` calls it).
    public func measure(_ comm: Communicator) throws -> Result {
        let layout = Placement(comm)
        let maxOver = { (x: Double) -> Double in comm.allReduceMax(x) }

        // Input.
        let m0 = ResidentMemory.current().resident
        var local: [Configuration] = []
        var total = 0
        comm.barrier()
        let tRead = try ProcessTime.wallSeconds {
            let shard = try source.read(comm)
            local = shard.configurations
            total = shard.totalConfigurations
        }
        guard total > 0 else { throw InputError(file: source.path, "the training set is empty") }
        for (c, config) in local.enumerated() {
            for z in config.species where z >= potential.speciesCount {
                throw InputError(file: source.path, "configuration \(c + 1) on rank \(comm.rank) has species \(z), the potential species_count \(potential.speciesCount)")
            }
        }
        let m1 = ResidentMemory.current().resident
        var lists: [NeighborList] = []
        let tNeigh = try ProcessTime.wallSeconds { lists = try local.map { try NeighborList($0, cutoff: potential.maxDist) } }
        let m2 = ResidentMemory.current().resident
        let atoms = local.reduce(0) { $0 + $1.atomCount }
        let pairs = lists.reduce(0) { $0 + $1.neighbor.count }

        // The trainer `mtp train --max-iter 1` would run, from its own
        // initial coefficients.
        var options = TrainingOptions()
        options.maxIterations = 1
        options.tolerance = 0
        let trainer = try Trainer(potential: potential, configurations: local, totalCount: total, options: options,
                                  communicator: comm, neighbors: lists)
        let theta = trainer.potential.parameters
        let p = trainer.potential.parameterCount
        let n = p + 1
        let rowCount = trainer.rows.reduce(0) { $0 + $1.count }

        // The Jacobian pass and the linear solve, best of `repeats`.
        var best = (deriv: Double.infinity, qr: Double.infinity, wait: Double.infinity, gather: Double.infinity,
                    combine: Double.infinity, step: Double.infinity)
        var bestLocal = Double.infinity
        var share = 1.0
        var gatheredTotal = Double.infinity, treeTotal = Double.infinity, pairTotal = Double.infinity
        for _ in 0..<repeats {
            comm.barrier()
            let tTree = try ProcessTime.wallSeconds { _ = try trainer.treeFactor(at: theta) }
            treeTotal = min(treeTotal, maxOver(tTree))
            comm.barrier()
            let cpu0 = ProcessTime.cpuSeconds()
            var times = Trainer.LocalFactorTimes()
            let tLocal0 = ContinuousClock.now
            let localR = try trainer.localFactor(at: theta, times: &times)
            let tLocal = ProcessTime.seconds(ContinuousClock.now - tLocal0)
            if times.derivatives + times.qr < bestLocal {
                bestLocal = times.derivatives + times.qr
                share = min((ProcessTime.cpuSeconds() - cpu0) / max(bestLocal, 1e-9), 1)
            }
            let tWait = ProcessTime.wallSeconds { comm.barrier() }
            var factors: [[Double]] = []
            let tGather = ProcessTime.wallSeconds { factors = trainer.gathered(localR) }
            var r: [Double] = []
            let tCombine = try ProcessTime.wallSeconds { r = try trainer.combine(factors, theta: theta) }
            let tStep = try ProcessTime.wallSeconds { _ = try trainer.step(r, lambda: LevenbergMarquardt.Memory().lambda) }
            best.deriv = min(best.deriv, maxOver(times.derivatives))
            best.qr = min(best.qr, maxOver(times.qr))
            best.wait = min(best.wait, maxOver(tWait))
            best.gather = min(best.gather, maxOver(tGather))
            best.combine = min(best.combine, maxOver(tCombine))
            best.step = min(best.step, maxOver(tStep))
            gatheredTotal = min(gatheredTotal, maxOver(tLocal + tWait + tGather + tCombine))
            let tPair = try ProcessTime.wallSeconds { _ = try StreamingQR.combinePair(localR, localR, columns: n) }
            pairTotal = min(pairTotal, maxOver(tPair))
        }

        // A loss evaluation (with its neighbourhood caches, built by a
        // first, untimed call) and, below, the loss+gradient evaluation and
        // whole iterations. Their communication is timed alone with
        // allgathers of the same sizes, and subtracted.
        _ = try trainer.errors(at: theta)
        /// The fastest of `repeats` runs of `pass` (wall time of the slowest
        /// rank, and the busiest rank's CPU time in that run), and the fastest
        /// run of `communication`, the pass's allgathers timed alone.
        func fastest(_ pass: () throws -> Void, communication: () -> Void) rethrows -> (wall: Double, cpu: Double, comm: Double) {
            var wall = Double.infinity, cpu = Double.infinity, commBest = Double.infinity
            for _ in 0..<repeats {
                comm.barrier()
                let cpu0 = ProcessTime.cpuSeconds()
                let t = try ProcessTime.wallSeconds(pass)
                let used = ProcessTime.cpuSeconds() - cpu0
                let slowest = maxOver(t)
                if slowest < wall { wall = slowest; cpu = maxOver(used) }
                comm.barrier()
                commBest = min(commBest, maxOver(ProcessTime.wallSeconds(communication)))
            }
            return (wall, cpu, commBest)
        }
        let lossTerms = [Double](repeating: 0, count: 6 * local.count)
        let (lossWall, lossCPU, lossComm) = try fastest({ _ = try trainer.errors(at: theta) },
                                                     communication: { _ = comm.allGatherOrdered(lossTerms) })
        let lossBest = Phase(compute: max(lossWall - lossComm, 0), communication: lossComm, wait: 0)

        // The loss+gradient evaluation of the BFGS optimiser (MLIP's unit of
        // work: one evaluation and one directional derivative per
        // configuration, then the allgather of the loss terms and of the
        // gradient as double-double sums, 16 P bytes per rank).
        let sums = [Double](repeating: 0, count: 2 * p)
        let (gradientWall, gradientCPU, gradientComm) = try fastest(
            { _ = try trainer.lossAndGradient(at: theta) },
            communication: { _ = comm.allGatherOrdered(lossTerms); _ = comm.allGatherOrdered(sums) })

        // Each run continues from where the previous one stopped; the cost
        // of an iteration does not depend on the parameters' values. The
        // CPU share over the whole run (which includes a loss evaluation
        // before the iteration) turns the iteration's wall time into the
        // time it takes on a dedicated core.
        var iteration = Double.infinity
        var iterationCPU = Double.infinity
        var evaluations = 0
        for _ in 0..<repeats {
            var seconds = 0.0
            comm.barrier()
            let cpu0 = ProcessTime.cpuSeconds()
            var state: TrainerState! = nil
            let wall = try ProcessTime.wallSeconds { state = try trainer.run(progress: { r in seconds = r.seconds }) }
            let runShare = min((ProcessTime.cpuSeconds() - cpu0) / max(wall, 1e-9), 1)
            let slowest = maxOver(seconds)
            if slowest < iteration {
                // The trial losses of this iteration (the first evaluation
                // of run() precedes it): later runs start from better
                // parameters and may need fewer.
                evaluations = state.lossEvaluations - 1
                iteration = slowest
                iterationCPU = maxOver(seconds * runShare)
            }
        }

        let counts = comm.allGatherOrdered([Double(local.count), Double(atoms), Double(rowCount), Double(pairs)])
        let mem = comm.allGatherOrdered([m1 - m0, m2 - m1, ResidentMemory.current().peak])
        let column = { (x: [Double], k: Int, width: Int) in stride(from: k, to: x.count, by: width).map { x[$0] } }
        let record = Record(
            ranks: comm.size, hosts: layout.hosts, oversubscribed: layout.oversubscribed,
            configurations: total, atoms: Int(column(counts, 1, 4).reduce(0, +)),
            neighbourPairs: Int(column(counts, 3, 4).reduce(0, +)), rows: Int(column(counts, 2, 4).reduce(0, +)),
            parameters: p,
            localConfigurations: column(counts, 0, 4).map(Int.init), localAtoms: column(counts, 1, 4).map(Int.init),
            localRows: column(counts, 2, 4).map(Int.init),
            read: maxOver(tRead), neighbourLists: maxOver(tNeigh),
            jacobian: Phase(compute: best.deriv, communication: 0, wait: 0),
            localQR: best.qr,
            factorGather: Phase(compute: 0, communication: best.gather, wait: best.wait),
            combine: best.combine, step: best.step, loss: lossBest,
            factorBytesPerRank: 8 * n * n, lossBytesPerConfiguration: 8 * 6,
            lossGradient: Phase(compute: max(gradientWall - gradientComm, 0), communication: gradientComm, wait: 0),
            lossGradientCPU: gradientCPU, gradientBytesPerRank: 16 * p,
            trainerIteration: iteration, trainerIterationCPU: iterationCPU, trainerLossEvaluations: evaluations,
            trainerLossEvaluation: lossWall,
            residentDataBytes: column(mem, 0, 3), residentNeighbourBytes: column(mem, 1, 3), peakResidentBytes: column(mem, 2, 3),
            cpuShare: comm.allGatherOrdered([share]), cacheBytes: comm.allGatherOrdered([Double(trainer.cacheBytes)]),
            trainerJacobianCPU: maxOver(trainer.timings.jacobian.cpuPerPass), lossCPU: lossCPU,
            gatheredFactor: gatheredTotal, treeFactor: treeTotal, treeBlocks: trainer.factorLayout.blockCount,
            treeFactorsHeld: trainer.factorLayout.levels + 2, pairCombine: pairTotal)
        return Result(record: record, summary: record.summary(lossGradientWall: gradientWall))
    }
}

extension PhaseBenchmark.Record {
    /// One line per phase, the slowest rank's seconds.
    func summary(lossGradientWall: Double) -> [String] {
        let f = { (x: Double) in String(format: "%.4f", x) }
        let n = parameters + 1
        return [
            "\(ranks) rank\(ranks == 1 ? "" : "s")\(oversubscribed ? " (oversubscribed)" : ""): \(configurations) configurations, \(atoms) atoms, \(rows) rows, \(parameters) parameters",
            "input: read \(f(read)) s, neighbour lists \(f(neighbourLists)) s",
            "Jacobian pass: compute \(f(jacobian.compute)) s (CPU share of the ranks \(cpuShare.map { String(format: "%.2f", $0) }.joined(separator: " ")))",
            "linear solve: local QR \(f(localQR)) s, wait \(f(factorGather.wait)) s, allgather of R (\(8 * n * n) B/rank) \(f(factorGather.communication)) s, combine \(f(combine)) s, step \(f(step)) s",
            "loss evaluation: \(f(trainerLossEvaluation)) s (CPU \(f(lossCPU)) s), former allgather of its terms (\(48 * configurations) B) alone \(f(loss.communication)) s",
            "loss+gradient evaluation (BFGS): \(f(lossGradientWall)) s (CPU \(f(lossGradientCPU)) s), former allgathers (\(48 * configurations) B + \(16 * parameters) B/rank) alone \(f(lossGradient.communication)) s",
            "factor of [J|r]: gathered and combined on every rank \(f(gatheredFactor ?? .nan)) s, fixed block tree (\(treeBlocks ?? 0) blocks) \(f(treeFactor ?? .nan)) s, one pair combination \(f(pairCombine ?? .nan)) s",
            "trainer iteration \(f(trainerIteration)) s (CPU \(f(trainerIterationCPU)) s) with \(trainerLossEvaluations) loss evaluation\(trainerLossEvaluations == 1 ? "" : "s")",
        ]
    }
}
