import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import CMPI
import _CShims
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
        subcommands: [BenchMPI.self, BenchPhases.self])
}

/// Wall-clock seconds of `body`.
private func timed(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let t0 = clock.now
    try body()
    let d = clock.now - t0
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// CPU seconds this process has used: compared with the wall time of a
/// compute phase it tells how much of a core the rank actually had (other
/// jobs on a shared machine take the rest).
private func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Where a rank runs: MPI's processor name (the host name) and the host's
/// IPv4 addresses other than loopback, so that a multi-host run shows which
/// rank sits on which host.
private func hostDescription() -> (name: String, addresses: [String]) {
    var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_PROCESSOR_NAME) + 1)
    var length: Int32 = 0
    MPI_Get_processor_name(&buffer, &length)
    let name = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var addresses: [String] = []
    var list: UnsafeMutablePointer<ifaddrs>? = nil
    if getifaddrs(&list) == 0 {
        var p = list
        while let entry = p {
            if let sa = entry.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET) {
                var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &addr, &text, socklen_t(INET_ADDRSTRLEN))
                }
                let s = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !s.hasPrefix("127.") { addresses.append(s) }
            }
            p = entry.pointee.ifa_next
        }
        freeifaddrs(list)
    }
    return (name, addresses)
}

/// Every rank's string, in rank order, on every rank.
private func gatherStrings(_ s: String, _ comm: Communicator) -> [String] {
    let bytes = comm.allGatherOrdered(s.utf8.map { Double($0) } + [0])
    var out: [String] = []
    var current: [UInt8] = []
    for b in bytes {
        if b == 0 { out.append(String(decoding: current, as: UTF8.self)); current = [] } else { current.append(UInt8(b)) }
    }
    return out
}

/// Rank count per host name and whether any host runs more ranks than it has cores.
private func placement(_ comm: Communicator) -> (hosts: [String], ranksPerHost: [String: Int], oversubscribed: Bool) {
    let hosts = gatherStrings(hostDescription().name, comm)
    var perHost: [String: Int] = [:]
    for h in hosts { perHost[h, default: 0] += 1 }
    let cores = comm.allGatherOrdered([Double(ProcessInfo.processInfo.activeProcessorCount)])
    var over = false
    for (r, h) in hosts.enumerated() where perHost[h, default: 0] > Int(cores[r]) { over = true }
    return (hosts, perHost, over)
}

// MARK: - mtp bench mpi

/// Ping-pong from rank 0 to every other rank and allgather timings: the
/// latency and bandwidth the performance model needs, and, on a multi-host
/// run, visible proof that ranks on different hosts exchange data (every
/// byte sent is checked on arrival and on its way back).
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

    struct PairResult: Codable {
        var rank: Int
        var host: String
        var sizes: [Int]
        var oneWaySeconds: [Double]
        var bytesVerified: Int
        var latencySeconds: Double
        var bandwidthBytesPerSecond: Double
    }
    struct GatherResult: Codable {
        var bytesPerRank: Int
        var seconds: Double
    }
    struct Record: Codable {
        var ranks: Int
        var hosts: [String]
        var addresses: [[String]]
        var oversubscribed: Bool
        var pairs: [PairResult]
        var allgather: [GatherResult]
        /// Medians over the pairs (the model's alpha and beta).
        var latencySeconds: Double
        var bandwidthBytesPerSecond: Double
    }

    func run() throws {
        let comm = Communicator.start()
        defer { Communicator.finish() }
        func say(_ s: String) { if comm.isRoot { print(s); fflush(stdout) } }
        let me = hostDescription()
        let hosts = gatherStrings(me.name, comm)
        let addresses = gatherStrings(me.addresses.joined(separator: ","), comm).map { $0.split(separator: ",").map(String.init) }
        let layout = placement(comm)
        for r in 0..<comm.size {
            say("rank \(r) on host \(hosts[r]) (\(addresses[r].isEmpty ? "no IPv4 address but loopback" : addresses[r].joined(separator: ", ")))")
        }
        say("\(comm.size) ranks on \(layout.ranksPerHost.count) host\(layout.ranksPerHost.count == 1 ? "" : "s")\(layout.oversubscribed ? " (oversubscribed: more ranks than cores on a host)" : "")")

        var sizes: [Int] = []
        var s = 8
        while s <= maxBytes { sizes.append(s); s *= 8 }
        var pairs: [PairResult] = []
        var failures = 0
        var buffer = [UInt8](repeating: 0, count: maxBytes)
        var status = MPI_Status()
        let byte = mtp_mpi_char()
        for k in 1..<max(comm.size, 1) {
            var times: [Double] = []
            var verified = 0
            for size in sizes {
                var best = Double.infinity
                // Small messages take microseconds: many more tries give
                // a round trip in which neither side was descheduled.
                let reps = size >= (1 << 20) ? max(1, repeats / 4) : size <= 4096 ? 10 * repeats : repeats
                for rep in 0..<reps {
                    comm.barrier()
                    // The pattern depends on the peer, the size and the
                    // repetition, so a stale or misrouted message fails.
                    let salt = UInt8(truncatingIfNeeded: k &* 7 &+ size &+ rep)
                    if comm.rank == 0 {
                        for i in 0..<size { buffer[i] = UInt8(truncatingIfNeeded: i &* 131) &+ salt }
                        let t = timed {
                            buffer.withUnsafeMutableBufferPointer { b in
                                _ = MPI_Send(b.baseAddress, Int32(size), byte, Int32(k), 17, comm.handle)
                                _ = MPI_Recv(b.baseAddress, Int32(size), byte, Int32(k), 18, comm.handle, &status)
                            }
                        }
                        best = min(best, t)
                        for i in 0..<size where buffer[i] != (UInt8(truncatingIfNeeded: i &* 131) &+ salt) ^ 0x5a { failures += 1; break }
                        verified += 2 * size
                    } else if comm.rank == k {
                        buffer.withUnsafeMutableBufferPointer { b in
                            _ = MPI_Recv(b.baseAddress, Int32(size), byte, 0, 17, comm.handle, &status)
                        }
                        for i in 0..<size where buffer[i] != UInt8(truncatingIfNeeded: i &* 131) &+ salt { failures += 1; break }
                        for i in 0..<size { buffer[i] ^= 0x5a }
                        buffer.withUnsafeMutableBufferPointer { b in
                            _ = MPI_Send(b.baseAddress, Int32(size), byte, 0, 18, comm.handle)
                        }
                    }
                }
                times.append(best / 2)
            }
            let fit = Self.latencyBandwidth(sizes: sizes, times: times)
            pairs.append(PairResult(rank: k, host: hosts[k], sizes: sizes, oneWaySeconds: times, bytesVerified: verified,
                                    latencySeconds: fit.latency, bandwidthBytesPerSecond: fit.bandwidth))
            if comm.rank == 0 {
                let line = zip(sizes, times).map { "\(Self.bytes($0)) \(String(format: "%.1f", $1 * 1e6)) us" }.joined(separator: ", ")
                say("ping-pong rank 0 (\(hosts[0])) <-> rank \(k) (\(hosts[k])): \(verified) bytes exchanged and verified; one-way \(line)")
                say(String(format: "  latency %.1f us, bandwidth %.1f MB/s", fit.latency * 1e6, fit.bandwidth / 1e6))
            }
        }
        let totalFailures = Int(comm.allGatherOrdered([Double(failures)]).reduce(0, +))

        var gathers: [GatherResult] = []
        var g = 8
        while g <= maxBytes / max(comm.size, 1) {
            let local = [Double](repeating: Double(comm.rank), count: g / 8)
            var best = Double.infinity
            for _ in 0..<(g <= 4096 ? 5 * repeats : max(1, repeats / 2)) {
                comm.barrier()
                var out: [Double] = []
                let t = timed { out = comm.allGatherOrdered(local) }
                best = min(best, comm.allReduceMax(t))
                if out.count != comm.size * local.count || out.last != Double(comm.size - 1) { failures += 1 }
            }
            gathers.append(GatherResult(bytesPerRank: g, seconds: best))
            g *= 8
        }
        if comm.size > 1 {
            say("allgather over \(comm.size) ranks: " + gathers.map { "\(Self.bytes($0.bytesPerRank))/rank \(String(format: "%.1f", $0.seconds * 1e6)) us" }.joined(separator: ", "))
        }
        let median = { (x: [Double]) -> Double in x.isEmpty ? .nan : x.sorted()[x.count / 2] }
        let record = Record(ranks: comm.size, hosts: hosts, addresses: addresses, oversubscribed: layout.oversubscribed,
                            pairs: pairs, allgather: gathers,
                            latencySeconds: median(pairs.map(\.latencySeconds)),
                            bandwidthBytesPerSecond: median(pairs.map(\.bandwidthBytesPerSecond)))
        if totalFailures > 0 {
            if comm.isRoot { FileHandle.standardError.write(Data("mtp: error: \(totalFailures) messages arrived corrupted or incomplete\n".utf8)) }
            Communicator.finish()
            throw ExitCode(1)
        }
        if comm.isRoot, let output {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            try reportingErrors { try AtomicFile.write(try enc.encode(record), to: output) }
        }
        say("bench mpi: all messages verified")
    }

    static func bytes(_ n: Int) -> String {
        n >= 1 << 20 ? "\(n >> 20) MiB" : n >= 1 << 10 ? "\(n >> 10) KiB" : "\(n) B"
    }

    /// t = latency + bytes / bandwidth. Latency: the fastest small message
    /// (up to 512 B); bandwidth: the largest message with the latency taken
    /// off. A straight-line fit over all sizes would let one slow small
    /// message (a descheduled peer on a busy machine) swing both.
    static func latencyBandwidth(sizes: [Int], times: [Double]) -> (latency: Double, bandwidth: Double) {
        guard let lastSize = sizes.last, let lastTime = times.last else { return (.nan, .nan) }
        let latency = zip(sizes, times).filter { $0.0 <= 512 }.map(\.1).min() ?? times[0]
        let transfer = lastTime - latency
        return (latency, transfer > 0 ? Double(lastSize) / transfer : .infinity)
    }
}

// MARK: - mtp bench phases

/// The phases of one training iteration, timed separately on every rank:
/// input (reading this rank's data, neighbour lists), the Jacobian pass
/// (derivatives of every labelled quantity: the loss+gradient evaluation),
/// the linear solve (streaming QR of this rank's rows, allgather of the
/// triangular factors, their TSQR combination and the damped step, as the
/// trainer does them), and a loss evaluation (energies, forces, stresses,
/// then the allgather of per-configuration terms). Communication is timed
/// after a barrier, so that the wait for the slowest rank (imbalance) is
/// reported on its own. The real trainer's first iteration is timed as
/// well, as the check that the phases add up to what `mtp train` does.
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

    /// One phase: the slowest rank's compute, its communication after a
    /// barrier, and the longest wait at that barrier.
    struct Phase: Codable {
        var compute: Double
        var communication: Double
        var wait: Double
        var total: Double { compute + communication + wait }
    }
    struct Record: Codable {
        var ranks: Int
        var hosts: [String]
        var oversubscribed: Bool
        var configurations: Int
        var atoms: Int
        var neighbourPairs: Int
        var rows: Int
        var parameters: Int
        var localConfigurations: [Int]
        var localAtoms: [Int]
        var localRows: [Int]
        var read: Double
        var neighbourLists: Double
        var jacobian: Phase          // derivatives only
        var localQR: Double          // this rank's rows into R (slowest rank)
        var factorGather: Phase      // allgather of the ranks' R
        var combine: Double          // TSQR of the gathered factors
        var step: Double             // the damped step from R
        var loss: Phase              // energies+forces+stresses, allgather of per-configuration terms
        var factorBytesPerRank: Int
        var lossBytesPerConfiguration: Int
        /// One `Trainer.lossAndGradient` (BFGS): the slowest rank's wall
        /// time split into compute and the two allgathers timed alone, and
        /// the busiest rank's CPU seconds.
        var lossGradient: Phase
        var lossGradientCPU: Double
        var gradientBytesPerRank: Int
        var trainerIteration: Double
        /// The same iteration in CPU seconds of the busiest rank (the wall
        /// time on dedicated cores; time spent polling in MPI counts too).
        var trainerIterationCPU: Double
        var trainerLossEvaluations: Int
        var trainerLossEvaluation: Double
        /// Resident memory added on each rank by reading its configurations
        /// and by their neighbour lists (bytes; per atom: divide by
        /// `localAtoms`), and each rank's peak resident memory.
        var residentDataBytes: [Double]
        var residentNeighbourBytes: [Double]
        var peakResidentBytes: [Double]
        /// Each rank's CPU time over wall time in its fastest Jacobian pass:
        /// below 1 the rank shared its core with other processes.
        var cpuShare: [Double]
        /// Bytes of the trainer's neighbourhood caches on each rank (kept
        /// between evaluations, up to its memory budget).
        var cacheBytes: [Double]
        /// The trainer's own Jacobian pass (derivatives, QR, gather and
        /// combination of the factors), CPU seconds of the busiest rank.
        var trainerJacobianCPU: Double
        /// CPU seconds of the busiest rank in the fastest loss evaluation.
        var lossCPU: Double
    }

    func run() throws {
        let comm = Communicator.start()
        defer { Communicator.finish() }
        var failure: Error? = nil
        do { try measure(comm) } catch { failure = error }
        let firstFailing = -Int(comm.allReduceMax(-Double(failure == nil ? comm.size : comm.rank)))
        if firstFailing < comm.size {
            if let failure, comm.rank == firstFailing {
                FileHandle.standardError.write(Data("mtp: error: \(failure)\n".utf8))
            }
            Communicator.finish()
            throw ExitCode(1)
        }
    }

    /// Resident and peak resident memory of this process (bytes), from /proc.
    static func memory() -> (resident: Double, peak: Double) {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (.nan, .nan) }
        var rss = Double.nan, hwm = Double.nan
        for line in text.split(separator: "\n") {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 2, let v = Double(f[1]) else { continue }
            if f[0] == "VmRSS:" { rss = v * 1024 }
            if f[0] == "VmHWM:" { hwm = v * 1024 }
        }
        return (rss, hwm)
    }

    func measure(_ comm: Communicator) throws {
        func say(_ s: String) { if comm.isRoot { print(s); fflush(stdout) } }
        let layout = placement(comm)
        let maxOver = { (x: Double) -> Double in comm.allReduceMax(x) }
        let start = try MTPFile.read(path: potential)
        var pot = start
        if pot.radialCoeffs == nil {
            pot.radialCoeffs = Potential.defaultRadialCoeffs(speciesCount: pot.speciesCount, radialFuncsCount: pot.radialFuncsCount,
                                                             radialBasisSize: pot.radialBasisSize)
        }
        if pot.speciesCoeffs == nil { pot.speciesCoeffs = [Double](repeating: 0, count: pot.speciesCount) }
        if pot.momentCoeffs == nil { pot.momentCoeffs = [Double](repeating: 0, count: pot.basis.scalarCount) }

        // Input.
        let m0 = Self.memory().resident
        var local: [Configuration] = []
        var total = 0
        comm.barrier()
        let tRead = try timed {
            if data.lowercased().hasSuffix(".h5") {
                let shard = try ShardedRead.read(path: data, communicator: comm)
                local = shard.configurations
                total = shard.totalConfigurations
            } else {
                let symbols = species.map { $0.split(separator: ",").map(String.init) }
                let all = try ConfigurationFiles.read(data, symbols: symbols).configs
                let range = Partition.contiguous(costs: all.map { Double($0.atomCount) }, parts: comm.size)[comm.rank]
                local = Array(all[range])
                total = all.count
            }
        }
        guard total > 0 else { throw InputError(file: data, "the training set is empty") }
        for (c, config) in local.enumerated() {
            for z in config.species where z >= pot.speciesCount {
                throw InputError(file: data, "configuration \(c + 1) on rank \(comm.rank) has species \(z), the potential species_count \(pot.speciesCount)")
            }
        }
        let m1 = Self.memory().resident
        var lists: [NeighborList] = []
        let tNeigh = try timed { lists = try local.map { try NeighborList($0, cutoff: pot.maxDist) } }
        let m2 = Self.memory().resident
        let atoms = local.reduce(0) { $0 + $1.atomCount }
        let pairs = lists.reduce(0) { $0 + $1.neighbor.count }

        let p = pot.parameterCount
        let n = p + 1
        let radial = pot.radialCoeffCount
        let order = Array(radial..<p) + Array(0..<radial)
        let ev = try Evaluator(pot)

        // The Jacobian pass and the linear solve, best of `repeats`.
        var best = (deriv: Double.infinity, qr: Double.infinity, wait: Double.infinity, gather: Double.infinity,
                    combine: Double.infinity, step: Double.infinity)
        var rowCount = 0
        var bestLocal = Double.infinity
        var share = 1.0
        for _ in 0..<repeats {
            comm.barrier()
            let cpu0 = cpuSeconds()
            var tDeriv = 0.0, tQR = 0.0
            var qr = StreamingQR(columns: n)
            var permuted = [Double](repeating: 0, count: n)
            for (c, config) in local.enumerated() {
                var e: EFS! = nil, d: EFSDerivatives! = nil
                tDeriv += try timed { (e, d) = try ev.derivatives(config, neighbors: lists[c]) }
                tQR += try timed {
                    // The rows the trainer feeds its QR: one per labelled
                    // energy, force component and virial component, columns
                    // permuted linear-first, the residual last.
                    func feed(_ source: [Double], _ offset: Int, _ scale: Double, _ residual: Double) throws {
                        for (col, src) in order.enumerated() { permuted[col] = scale * source[offset + src] }
                        permuted[p] = scale * residual
                        try qr.append(permuted)
                    }
                    if let er = config.energy { try feed(d.energy, 0, 1 / config.normalisationCount, e.energy - er) }
                    if let fr = config.forces {
                        for a in 0..<config.atomCount { for x in 0..<3 { try feed(d.forces, (3 * a + x) * p, 0.1, e.forces[a][x] - fr[a][x]) } }
                    }
                    if let wr = config.virial {
                        let m = e.virial.voigt, r = wr.voigt
                        for v in 0..<6 { try feed(d.virial, v * p, 0.03 / config.normalisationCount, m[v] - r[v]) }
                    }
                }
            }
            tQR += try timed { try qr.flush() }
            rowCount = qr.rowCount
            if tDeriv + tQR < bestLocal {
                bestLocal = tDeriv + tQR
                share = min((cpuSeconds() - cpu0) / max(bestLocal, 1e-9), 1)
            }
            let tWait = timed { comm.barrier() }
            var gathered: [Double] = []
            let tGather = timed { gathered = comm.allGatherOrdered(qr.r) }
            var r: [Double] = []
            let tCombine = try timed {
                var factors: [[Double]] = []
                for k in 0..<(gathered.count / (n * n)) { factors.append(Array(gathered[(k * n * n)..<((k + 1) * n * n)])) }
                r = factors.count == 1 ? factors[0] : try StreamingQR.combine(factors, columns: n)
            }
            let tStep = try timed { _ = try Self.dampedStep(r, n: n, lambda: 1e-3) }
            best.deriv = min(best.deriv, maxOver(tDeriv))
            best.qr = min(best.qr, maxOver(tQR))
            best.wait = min(best.wait, maxOver(tWait))
            best.gather = min(best.gather, maxOver(tGather))
            best.combine = min(best.combine, maxOver(tCombine))
            best.step = min(best.step, maxOver(tStep))
        }

        // The real trainer, for the passes whose code is its own: a loss
        // evaluation (with its neighbourhood caches, built by a first,
        // untimed call) and, below, the loss+gradient evaluation and whole
        // iterations. Their communication is timed alone with allgathers of
        // the same sizes, and subtracted.
        var options = TrainingOptions()
        options.maxIterations = 1
        options.tolerance = 0
        let trainer = try Trainer(potential: pot, configurations: local, totalCount: total, options: options,
                                  communicator: comm, neighbors: lists)
        _ = try trainer.errors(at: trainer.potential.parameters)
        /// The fastest of `repeats` runs of `pass` (wall time of the slowest
        /// rank, and the busiest rank's CPU time in that run), and the fastest
        /// run of `communication`, the pass's allgathers timed alone.
        func fastest(_ pass: () throws -> Void, communication: () -> Void) rethrows -> (wall: Double, cpu: Double, comm: Double) {
            var wall = Double.infinity, cpu = Double.infinity, commBest = Double.infinity
            for _ in 0..<repeats {
                comm.barrier()
                let cpu0 = cpuSeconds()
                let t = try timed(pass)
                let used = cpuSeconds() - cpu0
                let slowest = maxOver(t)
                if slowest < wall { wall = slowest; cpu = maxOver(used) }
                comm.barrier()
                commBest = min(commBest, maxOver(timed(communication)))
            }
            return (wall, cpu, commBest)
        }
        let lossTerms = [Double](repeating: 0, count: 6 * local.count)
        let (lossWall, lossCPU, lossComm) = try fastest({ _ = try trainer.errors(at: trainer.potential.parameters) },
                                                     communication: { _ = comm.allGatherOrdered(lossTerms) })
        let lossBest = Phase(compute: max(lossWall - lossComm, 0), communication: lossComm, wait: 0)
        let trainerLoss = lossWall

        // The loss+gradient evaluation of the BFGS optimiser (MLIP's unit of
        // work: one evaluation and one directional derivative per
        // configuration, then the allgather of the loss terms and of the
        // gradient as double-double sums, 16 P bytes per rank). Its
        // communication alone is timed with the same two allgathers.
        let sums = [Double](repeating: 0, count: 2 * p)
        let (gradientWall, gradientCPU, gradientComm) = try fastest(
            { _ = try trainer.lossAndGradient(at: trainer.potential.parameters) },
            communication: { _ = comm.allGatherOrdered(lossTerms); _ = comm.allGatherOrdered(sums) })

        // Each run continues from where the previous one stopped; the cost
        // of an iteration does not depend on the parameters' values.
        // The CPU share over the whole run (which includes a loss evaluation
        // before the iteration) turns the iteration's wall time into the
        // time it takes on a dedicated core.
        var iteration = Double.infinity
        var iterationCPU = Double.infinity
        var evaluations = 0
        for _ in 0..<repeats {
            var seconds = 0.0
            comm.barrier()
            let cpu0 = cpuSeconds()
            var state: TrainerState! = nil
            let wall = try timed { state = try trainer.run(progress: { r in seconds = r.seconds }) }
            let runShare = min((cpuSeconds() - cpu0) / max(wall, 1e-9), 1)
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
        let mem = comm.allGatherOrdered([m1 - m0, m2 - m1, Self.memory().peak])
        let shares = comm.allGatherOrdered([share])
        let caches = comm.allGatherOrdered([Double(trainer.cacheBytes)])
        let jacobianPass = maxOver(trainer.timings.jacobian.cpuPerPass)
        let record = Record(
            ranks: comm.size, hosts: layout.hosts, oversubscribed: layout.oversubscribed,
            configurations: total, atoms: Int(stride(from: 1, to: counts.count, by: 4).map { counts[$0] }.reduce(0, +)),
            neighbourPairs: Int(stride(from: 3, to: counts.count, by: 4).map { counts[$0] }.reduce(0, +)),
            rows: Int(stride(from: 2, to: counts.count, by: 4).map { counts[$0] }.reduce(0, +)),
            parameters: p,
            localConfigurations: stride(from: 0, to: counts.count, by: 4).map { Int(counts[$0]) },
            localAtoms: stride(from: 1, to: counts.count, by: 4).map { Int(counts[$0]) },
            localRows: stride(from: 2, to: counts.count, by: 4).map { Int(counts[$0]) },
            read: maxOver(tRead), neighbourLists: maxOver(tNeigh),
            jacobian: Phase(compute: best.deriv, communication: 0, wait: 0),
            localQR: best.qr,
            factorGather: Phase(compute: 0, communication: best.gather, wait: best.wait),
            combine: best.combine, step: best.step, loss: lossBest,
            factorBytesPerRank: 8 * n * n, lossBytesPerConfiguration: 8 * 6,
            lossGradient: Phase(compute: max(gradientWall - gradientComm, 0), communication: gradientComm, wait: 0),
            lossGradientCPU: gradientCPU, gradientBytesPerRank: 16 * p,
            trainerIteration: iteration, trainerIterationCPU: iterationCPU, trainerLossEvaluations: evaluations, trainerLossEvaluation: trainerLoss,
            residentDataBytes: stride(from: 0, to: mem.count, by: 3).map { mem[$0] },
            residentNeighbourBytes: stride(from: 1, to: mem.count, by: 3).map { mem[$0] },
            peakResidentBytes: stride(from: 2, to: mem.count, by: 3).map { mem[$0] },
            cpuShare: shares, cacheBytes: caches, trainerJacobianCPU: jacobianPass, lossCPU: lossCPU)

        let f = { (x: Double) in String(format: "%.4f", x) }
        say("\(comm.size) rank\(comm.size == 1 ? "" : "s")\(layout.oversubscribed ? " (oversubscribed)" : ""): \(total) configurations, \(record.atoms) atoms, \(record.rows) rows, \(p) parameters")
        say("input: read \(f(record.read)) s, neighbour lists \(f(record.neighbourLists)) s")
        say("Jacobian pass: compute \(f(best.deriv)) s (CPU share of the ranks \(shares.map { String(format: "%.2f", $0) }.joined(separator: " ")))")
        say("linear solve: local QR \(f(best.qr)) s, wait \(f(best.wait)) s, allgather of R (\(8 * n * n) B/rank) \(f(best.gather)) s, combine \(f(best.combine)) s, step \(f(best.step)) s")
        say("loss evaluation: \(f(trainerLoss)) s (CPU \(f(lossCPU)) s), of which allgather (\(48 * total) B) \(f(lossBest.communication)) s")
        say("loss+gradient evaluation (BFGS): \(f(gradientWall)) s (CPU \(f(gradientCPU)) s), of which allgathers (\(48 * total) B + \(16 * p) B/rank) \(f(gradientComm)) s")
        say("trainer iteration \(f(iteration)) s (CPU \(f(iterationCPU)) s) with \(evaluations) loss evaluation\(evaluations == 1 ? "" : "s")")
        if comm.isRoot, let output {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            try AtomicFile.write(try enc.encode(record), to: output)
        }
    }

    /// The damped Gauss-Newton step from R of [J | r], as the trainer takes
    /// it: QR of [R_J, -r1; sqrt(lambda) D, 0], then back substitution.
    static func dampedStep(_ r: [Double], n: Int, lambda: Double) throws -> [Double] {
        let p = n - 1
        var q = StreamingQR(columns: n)
        var row = [Double](repeating: 0, count: n)
        for i in 0..<p {
            for c in 0..<p { row[c] = c >= i ? r[c * n + i] : 0 }
            row[p] = -r[p * n + i]
            try q.append(row)
        }
        for i in 0..<p {
            var s = 0.0
            for k in 0...i { s += r[i * n + k] * r[i * n + k] }
            for c in 0..<n { row[c] = 0 }
            row[i] = (lambda * max(s, 1e-300)).squareRoot()
            try q.append(row)
        }
        try q.flush()
        let rr = q.r
        var rj = [Double](repeating: 0, count: p * p)
        for c in 0..<p { for i in 0...c { rj[c * p + i] = rr[c * n + i] } }
        return SmallLinearAlgebra.solveUpper(rj, n: p, (0..<p).map { rr[p * n + $0] })
    }
}
