import ArgumentParser
import Foundation
import Atomistic
import MTP
import Fitting
import Parallel
import TrainingStore

/// `mtp bench`: the measurements behind the scaling study and the
/// performance model (`benchmarks/scaling`, `docs/performance-model.md`).
/// They run under `mpirun` like `mtp train`; neither changes any file but
/// the JSON record it is asked to write.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the MPI transport and the phases of a training iteration (for the scaling study).",
        subcommands: [BenchMPI.self, BenchPhases.self, BenchStep.self, BenchTree.self, BenchJacobian.self])
}

/// `mtp bench mpi`: `TransportBenchmark` between the ranks, printed as it goes.
struct BenchMPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi",
        abstract: "Ping-pong (latency, bandwidth, verified payloads) and allgather timings between the ranks.",
        discussion: """
        mpirun -np N mtp bench mpi [-o mpi.json]
        Prints each rank's host and addresses, then for every rank k > 0 the one-way time of messages
        of 8 B to --max-bytes between rank 0 and rank k (half the best round trip of --repeats), the
        bytes exchanged (all verified) and a fit t = latency + bytes / bandwidth; then the time of an
        allgather of each message size per rank (MPI_Allgatherv, as the trainer's reductions).
        """)

    @Option(name: .shortAndLong, help: "Write the measurements as JSON.") var output: String?
    @Option(help: "Largest message (bytes).") var maxBytes: Int = 1 << 22
    @Option(help: "Round trips per message size (the best counts).") var repeats: Int = 20

    func validate() throws {
        guard maxBytes >= 8 else { throw ValidationError("--max-bytes must be at least 8") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    }

    func run() throws {
        try runCollectively { comm, say in
            let layout = Placement(comm)
            let hosts = layout.hosts
            for r in 0..<comm.size {
                let addresses = layout.addresses[r]
                say("rank \(r) on host \(hosts[r]) (\(addresses.isEmpty ? "no IPv4 address but loopback" : addresses.joined(separator: ", ")))")
            }
            let hostCount = layout.ranksPerHost.count
            say("\(comm.size) ranks on \(hostCount) host\(hostCount == 1 ? "" : "s")\(layout.oversubscribed ? " (oversubscribed: more ranks than cores on a host)" : "")")

            var bench = TransportBenchmark(comm, maxBytes: maxBytes, repeats: repeats)
            var pairs: [TransportBenchmark.Pair] = []
            for k in 1..<max(comm.size, 1) {
                let pair = bench.pingPong(peer: k, host: hosts[k])
                pairs.append(pair)
                let line = zip(pair.sizes, pair.oneWaySeconds).map { "\(Self.bytes($0)) \(String(format: "%.1f", $1 * 1e6)) us" }
                    .joined(separator: ", ")
                say("ping-pong rank 0 (\(hosts[0])) <-> rank \(k) (\(hosts[k])): \(pair.bytesVerified) bytes exchanged and verified; one-way \(line)")
                say(String(format: "  latency %.1f us, bandwidth %.1f MB/s", pair.latencySeconds * 1e6, pair.bandwidthBytesPerSecond / 1e6))
            }
            let gathers = bench.allGathers()
            if comm.size > 1 {
                say("allgather over \(comm.size) ranks: "
                    + gathers.map { "\(Self.bytes($0.bytesPerRank))/rank \(String(format: "%.1f", $0.seconds * 1e6)) us" }.joined(separator: ", "))
            }
            let record = try bench.record(layout, pairs: pairs, allgather: gathers)
            if let output { try Collective.onRoot(comm) { try JSONFile.write(record, to: output) } }
            say("bench mpi: all messages verified")
        }
    }

    /// "8 B", "4 KiB", "1 MiB".
    static func bytes(_ n: Int) -> String {
        n >= 1 << 20 ? "\(n >> 20) MiB" : n >= 1 << 10 ? "\(n >> 10) KiB" : "\(n) B"
    }
}

/// `mtp bench phases`: `PhaseBenchmark` on every rank, its summary printed.
struct BenchPhases: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phases",
        abstract: "Time the phases of a training iteration on every rank (input, Jacobian pass, linear solve, loss).",
        discussion: """
        mpirun -np N mtp bench phases POT DATA -o phases.json [--repeats 3]
        Per phase, the slowest rank's time (best of --repeats), split into compute, communication
        (after a barrier) and waiting for other ranks; message sizes; memory per atom; and one real
        `mtp train` iteration for comparison. DATA is read as `mtp train` reads it (.h5 by shards).
        """)

    @Argument(help: "Potential (.mtp), untrained or trained.") var potential: String
    @Argument(help: "Training set (.h5, .cfg, .extxyz).") var data: String
    @Option(name: .shortAndLong, help: "Write the measurements as JSON.") var output: String?
    @Option(help: "Repetitions of each phase (the best counts).") var repeats: Int = 3
    @Option(help: "Element symbols of species 0, 1, ... (for extended XYZ).") var species: String?

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    }

    func run() throws {
        try runCollectively { comm, say in
            let source = ShardSource(path: data, options: FormatOptions(symbols: species.map { $0.split(separator: ",").map(String.init) }))
            let bench = PhaseBenchmark(potential: try MTPFile.read(path: potential), source: source, repeats: repeats)
            let result = try bench.measure(comm)
            result.summary.forEach(say)
            if comm.isRoot, let output { try JSONFile.write(result.record, to: output) }
        }
    }
}

/// `mtp bench step`: `StepBenchmark` (replicated against ScaLAPACK grids), its summary printed.
struct BenchStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Time the damped Levenberg-Marquardt step replicated and on every ScaLAPACK process grid.",
        discussion: "mpirun -np N mtp bench step --n 914 [--repeats 3] [-o step.json]")

    @Option(help: "Columns of the factor (parameters + 1).") var n: Int = 127
    @Option(help: "Repetitions (the best counts).") var repeats: Int = 3
    @Option(name: .shortAndLong, help: "Write the measurements as JSON.") var output: String?

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard n >= 2 && n <= 20000 else { throw ValidationError("--n must lie in 2...20000") }
    }

    func run() throws {
        try runCollectively { comm, say in
            let record = try StepBenchmark(n: n, repeats: repeats).measure(comm)
            record.summary.forEach(say)
            if comm.isRoot, let output { try JSONFile.write(record, to: output) }
        }
    }
}

/// `mtp bench tree`: `TreeBenchmark` (the factor tree's time and peak memory per rank, and the former path's).
struct BenchTree: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tree",
        abstract: "Time the factor tree on synthetic rows and measure each rank's peak memory against its bound.",
        discussion: "mpirun -np N mtp bench tree --n 3000 --configurations 512 [--rows-per-configuration 103] [--gathered] [-o tree.json]")

    @Option(help: "Columns of the factor (parameters + 1).") var n: Int = 914
    @Option(help: "Configurations (items) in all.") var configurations: Int = 64
    @Option(help: "Rows per configuration (3 per atom + 7: 103 for 32 atoms).") var rowsPerConfiguration: Int = 103
    @Flag(help: "Also the former path: allgather of every rank's factor and the QR of the stack.") var gathered = false
    @Option(name: .shortAndLong, help: "Write the measurements as JSON.") var output: String?

    func validate() throws {
        guard n >= 2 && n <= 20000 else { throw ValidationError("--n must lie in 2...20000") }
        guard configurations >= 1 && configurations <= 10_000_000 else { throw ValidationError("--configurations must lie in 1...10000000") }
        guard rowsPerConfiguration >= 1 && rowsPerConfiguration <= 100_000 else { throw ValidationError("--rows-per-configuration must lie in 1...100000") }
    }

    func run() throws {
        try runCollectively { comm, say in
            let record = try TreeBenchmark(columns: n, configurations: configurations, rowsPerConfiguration: rowsPerConfiguration,
                                           gathered: gathered).measure(comm)
            record.summary.forEach(say)
            if let output { try Collective.onRoot(comm) { try JSONFile.write(record, to: output) } }
        }
    }
}
