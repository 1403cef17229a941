import Foundation
import Atomistic
import Parallel

/// The factor of a synthetic least-squares problem by the fixed block tree
/// (`FactorTree`, what training uses) and, optionally, by the former path
/// (every rank's streaming QR, allgather of all p factors, QR of the stack
/// on every rank), on the same ranks in one run (`mtp bench tree`): wall
/// time and each rank's peak resident memory during each, against the
/// bound of `FactorTree.memoryBound`. The rows are those of `configurations`
/// items of `rowsPerConfiguration` pseudo-random rows each (seeded by item:
/// the same under any rank count, so the R digest must not change with it),
/// spread over the ranks in equal contiguous ranges, in blocks of about n
/// rows as the trainer makes them; no derivatives, so the linear algebra
/// and its memory are measured alone, at any n.
public struct TreeBenchmark {
    public var columns: Int
    public var configurations: Int
    public var rowsPerConfiguration: Int
    public var gathered: Bool

    public init(columns: Int, configurations: Int, rowsPerConfiguration: Int, gathered: Bool) {
        self.columns = columns
        self.configurations = configurations
        self.rowsPerConfiguration = rowsPerConfiguration
        self.gathered = gathered
    }

    public struct Record: Codable, Sendable {
        public var ranks: Int
        public var oversubscribed: Bool
        public var loadAverage: String
        public var columns: Int
        public var configurations: Int
        public var rowsPerConfiguration: Int
        public var blockCount: Int
        public var blockRows: Int
        /// Per rank, in rank order.
        public var ownedBlocks: [Int]
        public var headRows: [Int]
        public var treePeakBytes: [Double]
        public var treeBoundBytes: [Double]
        public var gatheredPeakBytes: [Double]?
        /// The damped step and the condition number after the tree (replicated):
        /// each rank's peak with R counted, and the slowest rank's seconds.
        public var solvePeakBytes: [Double]
        public var solveSeconds: Double
        /// Slowest rank's wall seconds.
        public var treeSeconds: Double
        public var gatheredSeconds: Double?
        /// Bit pattern digest of the tree's R (equal under every rank count).
        public var treeDigest: String
        /// Whether the peaks could be reset between phases (else they include what ran before).
        public var peakReset: Bool
    }

    /// Every rank of `comm` calls it.
    public func measure(_ comm: Communicator) throws -> Record {
        let n = columns, rc = rowsPerConfiguration, p = comm.size
        let counts = (0..<p).map { k in configurations * (k + 1) / p - configurations * k / p }
        let blockSize = max(1, min((n + rc - 1) / rc, configurations))
        let layout = BlockLayout(counts: counts, blockSize: blockSize, rank: comm.rank)
        // The same check on every rank (nothing rank-dependent), before any allocation or message.
        let f = 8 * Double(n) * Double(n)
        let worst = max(FactorTree.memoryBound(columns: n, blocks: layout.blockCount, blockRows: blockSize * rc, headRows: blockSize * rc),
                        gathered ? f * Double(2 * p + 3) : 0)
        guard worst * Double(p) <= InputLimits.memoryBudget else {
            throw CollectiveFailure(String(format: "mtp bench tree: n = %d with blocks of %d rows on %d ranks may need %.1f GB, more than half of this machine's memory",
                                           n, blockSize * rc, p, worst * Double(p) / 1e9))
        }
        func rows(_ items: Range<Int>, _ body: (UnsafeBufferPointer<Double>) throws -> Void) rethrows {
            var row = [Double](repeating: 0, count: n)
            for c in items {
                var g = SplitMix64(seed: 0x5EED_0000 &+ UInt64(c))
                for _ in 0..<rc {
                    for j in 0..<n { row[j] = g.uniform(-1, 1) }
                    try row.withUnsafeBufferPointer { try body($0) }
                }
            }
        }
        // Tree.
        comm.barrier()
        let reset = ResidentMemory.resetPeak()
        let before = ResidentMemory.current().resident
        var r: [Double] = []
        let tTree = try ProcessTime.wallSeconds {
            r = try FactorTree.reduce(layout, columns: n, communicator: comm,
                                      rowCount: { $0.count * rc }, rows: { try rows($0, $1) })
        }
        let treePeak = ResidentMemory.current().peak - before
        let digest = r.reduce(UInt64(1469598103934665603)) { ($0 ^ $1.bitPattern) &* 1099511628211 }
        // The solve after the tree, replicated as in training: the damped
        // step and the condition number of the leading (n - 1) block (all
        // parameters linear: the largest), peak with R itself counted.
        comm.barrier()
        ResidentMemory.resetPeak()
        let beforeSolve = ResidentMemory.current().resident
        let tSolve = try ProcessTime.wallSeconds {
            _ = try Trainer.dampedSolution(r, lambda: 1e-3)
            _ = try Trainer.linearCondition(r, linearCount: n - 1)
        }
        let solvePeak = ResidentMemory.current().peak - beforeSolve + 8 * Double(n * n)
        r = []
        let bound = FactorTree.memoryBound(columns: n, blocks: layout.ownedBlocks.count,
                                           blockRows: blockSize * rc, headRows: layout.headItems.count * rc)
        // Former path.
        var gatheredPeak: Double? = nil, tGathered: Double? = nil
        if gathered {
            comm.barrier()
            ResidentMemory.resetPeak()
            let before = ResidentMemory.current().resident
            let t = try ProcessTime.wallSeconds {
                var qr = StreamingQR(columns: n)
                try rows(layout.localItems) { try qr.append($0) }
                try qr.flush()
                let all = comm.allGatherOrdered(qr.r)
                let factors = (0..<p).map { Array(all[($0 * n * n)..<(($0 + 1) * n * n)]) }
                _ = try StreamingQR.combine(factors, columns: n)
            }
            gatheredPeak = ResidentMemory.current().peak - before
            tGathered = comm.allReduceMax(t)
        }
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
            .split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        return Record(
            ranks: p, oversubscribed: Placement(comm).oversubscribed, loadAverage: load, columns: n,
            configurations: configurations, rowsPerConfiguration: rc,
            blockCount: layout.blockCount, blockRows: blockSize * rc,
            ownedBlocks: comm.allGatherOrdered([Double(layout.ownedBlocks.count)]).map { Int($0) },
            headRows: comm.allGatherOrdered([Double(layout.headItems.count * rc)]).map { Int($0) },
            treePeakBytes: comm.allGatherOrdered([treePeak]), treeBoundBytes: comm.allGatherOrdered([bound]),
            gatheredPeakBytes: gatheredPeak.map { comm.allGatherOrdered([$0]) },
            solvePeakBytes: comm.allGatherOrdered([solvePeak]), solveSeconds: comm.allReduceMax(tSolve),
            treeSeconds: comm.allReduceMax(tTree), gatheredSeconds: tGathered,
            treeDigest: String(digest, radix: 16), peakReset: comm.allReduceMax(reset ? 0 : 1) == 0)
    }
}

extension TreeBenchmark.Record {
    public var summary: [String] {
        let mb = { (x: Double) in String(format: "%.0f MB", x / 1e6) }
        var out = ["factor tree, n = \(columns), \(ranks) rank\(ranks == 1 ? "" : "s")\(oversubscribed ? " (oversubscribed)" : ""), "
                   + "\(configurations) configurations of \(rowsPerConfiguration) rows, \(blockCount) blocks of \(blockRows) rows, load \(loadAverage)",
                   String(format: "tree: %.3f s; then damped step and condition number: %.3f s", treeSeconds, solveSeconds)
                       + ", peak \(mb(solvePeakBytes.max() ?? 0)) with R" + (gatheredSeconds.map { String(format: "; former path (allgather, stack QR): %.3f s", $0) } ?? ""),
                   "R digest \(treeDigest)"]
        for k in 0..<ranks {
            out.append("rank \(k): \(ownedBlocks[k]) blocks, \(headRows[k]) head rows; tree peak \(mb(treePeakBytes[k])) (bound \(mb(treeBoundBytes[k])))"
                       + (gatheredPeakBytes.map { "; former path peak \(mb($0[k]))" } ?? ""))
        }
        if !peakReset { out.append("note: the peak could not be reset between phases (no /proc/self/clear_refs)") }
        return out
    }
}
