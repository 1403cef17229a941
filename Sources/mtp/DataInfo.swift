import ArgumentParser
import Foundation
import Atomistic
import Parallel
import Plotting
import TrainingStore

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect training sets stored in HDF5.",
        subcommands: [DataInfo.self, DataShards.self])
}

struct DataInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Counts, label ranges, species and neighbour-distance histograms of a training store.",
        discussion: """
        Prints, per group: configurations, atoms, energy per atom, force components and stress (GPa)
        ranges. Writes per group the histogram of nearest-neighbour distances (one per atom) and of all
        pair distances up to --max-distance (per atom), as data files and plots (PLOT-nearest.svg and
        PLOT-pairs.svg, or .png). --cutoffs marks candidate cutoffs, --hcp A,C_OVER_A marks the
        coordination shells of an ideal hcp lattice (the cutoff analysis of the seed paper: shells up
        to 8.2 A). Without gnuplot the data files are still written.
        """)

    @Argument(help: "Training store (.h5).") var file: String
    @Option(help: "Plot file prefix (default: FILE without extension).") var plot: String?
    @Option(help: "Plot format: svg or png.") var format: String = "svg"
    @Option(help: "Largest pair distance histogrammed (A).") var maxDistance: Double = 8.2
    @Option(help: "Histogram bin width (A).") var binWidth: Double = 0.02
    @Option(help: "Candidate cutoffs to mark (A), e.g. 5.0,6.5,8.2.") var cutoffs: String?
    @Option(help: "Mark the shells of ideal hcp with lattice constant a and c/a, e.g. 3.1842,1.6282.") var hcp: String?
    @Flag(help: "Skip the histograms (counts and ranges only).") var noHistograms = false

    func validate() throws {
        guard maxDistance > 0, binWidth > 0, maxDistance / binWidth <= 1e6 else { throw ValidationError("need --max-distance > 0 and a reasonable --bin-width") }
        guard ["svg", "png"].contains(format) else { throw ValidationError("--format is svg or png") }
        if let c = cutoffs, parseList(c) == nil { throw ValidationError("--cutoffs must be numbers separated by commas") }
        if let h = hcp, parseList(h)?.count != 2 { throw ValidationError("--hcp needs a,c/a, e.g. 3.1842,1.6282") }
    }

    func run() throws {
        try reportingErrors {
            let reader = try StoreReader(path: file)
            let names = reader.groups + ["(no group)"]
            var stats = [GroupStatistics](repeating: GroupStatistics(), count: names.count)
            let bins = Int((maxDistance / binWidth).rounded(.up))
            var nearest = [[Double]](repeating: [Double](repeating: 0, count: bins), count: names.count)
            var pairs = nearest
            var speciesAtoms = [Int](repeating: 0, count: reader.speciesCount)
            // Chunks keep memory bounded by the chunk, not the file.
            let chunk = 256
            for start in stride(from: 0, to: reader.configurationCount, by: chunk) {
                let range = start..<min(start + chunk, reader.configurationCount)
                for (k, c) in zip(range, try reader.read(range)) {
                    let g = reader.groupIndex[k] >= 0 ? Int(reader.groupIndex[k]) : names.count - 1
                    stats[g].add(c)
                    for s in c.species { speciesAtoms[s] += 1 }
                    if noHistograms { continue }
                    let list: NeighborList
                    do { list = try NeighborList(c, cutoff: maxDistance) } catch {
                        throw InputError(file: file, "configuration \(k + 1): \(error)")
                    }
                    for a in 0..<c.atomCount {
                        var closest = Double.infinity
                        for p in list.offsets[a]..<list.offsets[a + 1] {
                            let d = list.distance[p]
                            closest = min(closest, d)
                            pairs[g][min(Int(d / binWidth), bins - 1)] += 1
                        }
                        if closest.isFinite { nearest[g][min(Int(closest / binWidth), bins - 1)] += 1 }
                    }
                }
            }
            print("\(file): format version \(StoreLayout.formatVersion), \(reader.configurationCount) configurations, \(reader.totalAtoms) atoms")
            let symbols = (0..<reader.speciesCount).map { $0 < reader.species.count ? reader.species[$0] : "type \($0)" }
            print("species: " + zip(symbols, speciesAtoms).map { "\($0) (\($1) atoms)" }.joined(separator: ", "))
            print("cost model: neighbour pairs within \(reader.costModel.cutoff) A + \(reader.costModel.atomWeight) x atoms")
            print("")
            print("group".padding(toLength: 14, withPad: " ", startingAt: 0) + "configs    atoms   E/atom range (eV)         |F| max (eV/A)  stress range (GPa)")
            for (g, name) in names.enumerated() where stats[g].configurations > 0 {
                print(stats[g].row(name))
            }
            if noHistograms { return }

            // Histograms, normalised per atom of the group.
            let prefix = plot ?? (file as NSString).deletingPathExtension
            let used = names.indices.filter { stats[$0].configurations > 0 }
            var marks: [(x: Double, label: String, color: String)] = []
            for c in cutoffs.flatMap(parseList) ?? [] { marks.append((c, "cutoff \(c)", "red")) }
            if let h = hcp.flatMap(parseList) {
                for (n, d) in hcpShells(a: h[0], cOverA: h[1], upTo: maxDistance).enumerated() {
                    marks.append((d, "hcp \(n + 1): \(String(format: "%.3f", d))", "gray40"))
                }
            }
            for (kind, counts, axis) in [("nearest", nearest, "nearest-neighbour distances per atom"),
                                          ("pairs", pairs, "neighbours per atom")] {
                var data = "# r_center_A " + used.map { names[$0].replacingOccurrences(of: " ", with: "_") }.joined(separator: " ") + "\n"
                for b in 0..<bins {
                    data += String(format: "%.5f", (Double(b) + 0.5) * binWidth)
                    for g in used { data += " " + String(format: "%.6g", counts[g][b] / Double(max(stats[g].atoms, 1))) }
                    data += "\n"
                }
                var plotter = Gnuplot(title: "\((file as NSString).lastPathComponent): \(kind == "nearest" ? "nearest-neighbour" : "pair") distances",
                                      xLabel: "distance (A)", yLabel: "\(axis) (per bin of \(binWidth) A)")
                plotter.series = used.enumerated().map { Gnuplot.Series(title: names[$0.element], xColumn: 1, yColumn: $0.offset + 2, style: "steps") }
                plotter.verticalLines = marks
                plotter.xRange = 0...maxDistance
                switch try plotter.render(data: data, to: "\(prefix)-\(kind).\(format)") {
                case .drawn(let image): print("\(kind) histogram: \(image) (data \(prefix)-\(kind).dat)")
                case .dataOnly(let reason): print("\(kind) histogram: no plot, \(reason)")
                }
            }
            if let h = hcp.flatMap(parseList) {
                let shells = hcpShells(a: h[0], cOverA: h[1], upTo: maxDistance)
                print("hcp shells (a = \(h[0]), c/a = \(h[1])): " + shells.map { String(format: "%.3f", $0) }.joined(separator: " "))
            }
        }
    }
}

/// Numbers separated by commas, or nil.
private func parseList(_ s: String) -> [Double]? {
    let v = s.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard !v.isEmpty, v.allSatisfy({ $0 != nil && $0!.isFinite }) else { return nil }
    return v.map { $0! }
}

/// Distinct neighbour distances (coordination shells) of an ideal hcp
/// lattice up to `upTo`, from one atom to every image of both basis atoms.
func hcpShells(a: Double, cOverA: Double, upTo: Double) -> [Double] {
    let c = a * cOverA
    let a1 = Vec3(a, 0, 0), a2 = Vec3(-a / 2, a * 3.0.squareRoot() / 2, 0), a3 = Vec3(0, 0, c)
    let basis = [Vec3.zero, a1 * (1.0 / 3) + a2 * (2.0 / 3) + a3 * 0.5]
    let n = Int((upTo / min(a, c)).rounded(.up)) + 1
    var distances: [Double] = []
    for i in -n...n { for j in -n...n { for k in -n...n {
        for b in basis {
            let d = norm(a1 * Double(i) + a2 * Double(j) + a3 * Double(k) + b)
            if d > 1e-8 && d <= upTo { distances.append(d) }
        }
    } } }
    var shells: [Double] = []
    for d in distances.sorted() where shells.last.map({ d - $0 > 1e-6 }) ?? true { shells.append(d) }
    return shells
}

/// Counts and label ranges of one group.
struct GroupStatistics {
    var configurations = 0, atoms = 0
    var energyPerAtom: (Double, Double)? = nil
    var forceMax: Double? = nil
    var stress: (Double, Double)? = nil
    var withEnergy = 0, withForces = 0, withStress = 0

    mutating func add(_ c: Configuration) {
        configurations += 1
        atoms += c.atomCount
        func widen(_ r: inout (Double, Double)?, _ x: Double) { r = r.map { (min($0.0, x), max($0.1, x)) } ?? (x, x) }
        if let e = c.energy { withEnergy += 1; widen(&energyPerAtom, e / c.normalisationCount) }
        if let f = c.forces { withForces += 1; forceMax = max(forceMax ?? 0, f.map(norm).max() ?? 0) }
        if let w = c.virial, c.pbc == .all, c.volume > 0 {
            withStress += 1
            for x in w.voigt { widen(&stress, -x / c.volume * LabelErrors.gpaPerEVPerA3) }
        }
    }

    func row(_ name: String) -> String {
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        let e = energyPerAtom.map { "[\(f($0.0)), \(f($0.1))]" } ?? "-"
        let fm = forceMax.map { f($0) } ?? "-"
        let s = stress.map { "[\(f($0.0)), \(f($0.1))]" } ?? "-"
        var line = name.padding(toLength: 13, withPad: " ", startingAt: 0) + " "
        line += String(format: "%7d %8d   ", configurations, atoms)
        line += e.padding(toLength: 26, withPad: " ", startingAt: 0) + fm.padding(toLength: 16, withPad: " ", startingAt: 0) + s
        let missing = [(withEnergy, "energy"), (withForces, "forces"), (withStress, "stress")]
            .filter { $0.0 < configurations }.map { "\(configurations - $0.0) without \($0.1)" }
        if !missing.isEmpty { line += "  (" + missing.joined(separator: ", ") + ")" }
        return line
    }
}

/// Prints each rank's shard of a store; with --check verifies the shards.
struct DataShards: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shards",
        abstract: "Show (and check) how ranks split a training store; run under mpirun.",
        discussion: """
        Every rank reads its shard with MPI-IO. Rank 0 prints each rank's range, atoms and cost. With --check,
        rank 0 also reads the whole file serially and verifies that the shards, in rank order, are exactly
        the file's configurations (no gap, no overlap, identical contents by digest) and that the cost
        imbalance (max - mean) / mean is at most --max-imbalance; exits 1 otherwise.
        """,
        shouldDisplay: false)

    @Argument(help: "Training store (.h5).") var file: String
    @Flag(help: "Verify union, overlap, contents and balance.") var check = false
    @Option(help: "Largest allowed cost imbalance for --check.") var maxImbalance: Double = 0.10

    func run() throws {
        let world = Communicator.start()
        var failed = false
        do {
            let shard = try ShardedRead.read(path: file, communicator: world)
            let digests = shard.configurations.map { Double(bitPattern: ConfigurationDigest.of($0)) }
            let all = world.allGatherOrdered(digests)
            let atoms = Double(shard.configurations.reduce(0) { $0 + $1.atomCount })
            let summary = world.allGatherOrdered([Double(shard.range.lowerBound), Double(shard.range.upperBound), shard.cost, atoms])
            if world.isRoot {
                var costs: [Double] = []
                for r in 0..<world.size {
                    let s = Array(summary[4 * r ..< 4 * r + 4])
                    costs.append(s[2])
                    print("rank \(r): configurations \(Int(s[0]))..<\(Int(s[1])) (\(Int(s[1] - s[0]))), atoms \(Int(s[3])), cost \(String(format: "%.0f", s[2]))")
                }
                let imbalance = Partition.imbalance(costs)
                print("ranks \(world.size), configurations \(shard.totalConfigurations), cost imbalance \(String(format: "%.2f", imbalance * 100))%")
                if check {
                    var problems: [String] = []
                    var expectedStart = 0
                    for r in 0..<world.size {
                        let lo = Int(summary[4 * r]), hi = Int(summary[4 * r + 1])
                        if lo != expectedStart { problems.append("rank \(r) starts at \(lo), expected \(expectedStart) (\(lo > expectedStart ? "gap" : "overlap"))") }
                        if hi < lo { problems.append("rank \(r) has an inverted range") }
                        expectedStart = max(expectedStart, hi)
                    }
                    if expectedStart != shard.totalConfigurations { problems.append("shards end at \(expectedStart), the file holds \(shard.totalConfigurations)") }
                    let serial = try StoreReader(path: file).readAll().configurations.map { Double(bitPattern: ConfigurationDigest.of($0)).bitPattern }
                    if serial.count != all.count {
                        problems.append("shards hold \(all.count) configurations, the file \(serial.count)")
                    } else if let k = zip(serial, all.map(\.bitPattern)).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
                        problems.append("configuration \(k + 1) read by its shard differs from the serial read")
                    }
                    if shard.totalConfigurations >= 10 * world.size && imbalance > maxImbalance {
                        problems.append("cost imbalance \(String(format: "%.2f", imbalance * 100))% exceeds \(String(format: "%.2f", maxImbalance * 100))%")
                    }
                    if problems.isEmpty { print("check passed: union = whole file, no overlap, contents identical") }
                    else { problems.forEach { FileHandle.standardError.write(Data("mtp: check failed: \($0)\n".utf8)) }; failed = true }
                }
            }
        } catch {
            FileHandle.standardError.write(Data("mtp: error (rank \(world.rank)): \(error)\n".utf8))
            failed = true
        }
        Communicator.finish()
        if failed { throw ExitCode(1) }
    }
}
