import ArgumentParser
import Foundation
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
    @OptionGroup var plots: PlotArguments
    var format: String { plots.format }
    @Option(help: "Largest pair distance histogrammed (A).") var maxDistance: Double = 8.2
    @Option(help: "Histogram bin width (A).") var binWidth: Double = 0.02
    @Option(help: "Candidate cutoffs to mark (A), e.g. 5.0,6.5,8.2.") var cutoffs: String?
    @Option(help: "Mark the shells of ideal hcp with lattice constant a and c/a, e.g. 3.1842,1.6282.") var hcp: String?
    @Flag(help: "Skip the histograms (counts and ranges only).") var noHistograms = false

    func validate() throws {
        guard maxDistance > 0, binWidth > 0, maxDistance / binWidth <= 1e6 else { throw ValidationError("need --max-distance > 0 and a reasonable --bin-width") }
        if let c = cutoffs, parseList(c) == nil { throw ValidationError("--cutoffs must be numbers separated by commas") }
        if let h = hcp, parseList(h)?.count != 2 { throw ValidationError("--hcp needs a,c/a, e.g. 3.1842,1.6282") }
    }

    func run() throws {
        try reportingErrors {
            let summary = try StoreSummary(path: file, histogramBinWidth: noHistograms ? nil : binWidth, maxDistance: maxDistance)
            summary.table.forEach { print($0) }
            guard let histograms = summary.histograms else { return }
            let names0 = summary.groupNames
            let found = summary.usedGroups.filter { histograms.shortest[$0].isFinite }
            if let g = found.min(by: { histograms.shortest[$0] < histograms.shortest[$1] }) {
                print(String(format: "shortest interatomic distance: %.4f A (in %@; a potential's min_dist should not exceed it: mtp train --update-mindist)",
                             histograms.shortest[g], names0[g]))
                print("  per group: " + found.map { names0[$0] + String(format: " %.4f", histograms.shortest[$0]) }.joined(separator: ", "))
            }
            let prefix = plot ?? (file as NSString).deletingPathExtension
            let hcpValues = hcp.flatMap(parseList)
            let marks = DistanceMarks.cutoffs(cutoffs.flatMap(parseList) ?? [])
                + (hcpValues.map { DistanceMarks.hcp(a: $0[0], cOverA: $0[1], upTo: maxDistance) } ?? [])
            let names = summary.usedGroups.map { summary.groupNames[$0] }
            for (kind, counts, what, axis) in [("nearest", histograms.nearest, "nearest-neighbour", "nearest-neighbour distances per atom"),
                                                ("pairs", histograms.pairs, "pair", "neighbours per atom")] {
                var plotter = HistogramPlot(title: "\((file as NSString).lastPathComponent): \(what) distances", xLabel: "distance (A)",
                                            yLabel: "\(axis) (per bin of \(binWidth) A)", binWidth: binWidth,
                                            columns: zip(names, summary.perAtom(counts)).map { HistogramPlot.Column(name: $0, values: $1) })
                plotter.marks = marks
                plotter.xRange = 0...maxDistance
                switch try plotter.render(to: "\(prefix)-\(kind).\(format)") {
                case .drawn(let image): print("\(kind) histogram: \(image) (data \(prefix)-\(kind).dat)")
                case .dataOnly(let reason): print("\(kind) histogram: no plot, \(reason)")
                }
            }
            if let h = hcpValues {
                let shells = DistanceMarks.hcpShells(a: h[0], cOverA: h[1], upTo: maxDistance)
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
            if let result = try ShardCheck.run(path: file, communicator: world, verify: check, maxImbalance: maxImbalance) {
                result.lines.forEach { print($0) }
                if check {
                    if result.problems.isEmpty { print("check passed: union = whole file, no overlap, contents identical") }
                    else { result.problems.forEach { FileHandle.standardError.write(Data("mtp: check failed: \($0)\n".utf8)) }; failed = true }
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
